//! Administration: tokens and webhooks.

use super::*;

#[derive(Template)]
#[template(path = "admin.html")]
pub(crate) struct AdminPage {
    c: Chrome,
    tokens: Vec<(String, String, String, String)>,
    webhooks: Vec<(String, String, String)>,
    new_token: Option<(String, String, String)>,
    self_id: String,
}

pub(crate) async fn admin_page(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    s: &Session,
    new_token: Option<(String, String, String)>,
) -> Response {
    let c = Chrome::new(lang, uri, Some(s), "admin");
    if !s.may(Role::Admin) {
        let t = lang.text();
        return message(c, StatusCode::FORBIDDEN, t.forbidden, t.forbidden.into());
    }
    let tokens = match auth::list(&state.store).await {
        Ok(list) => serde_json::to_value(list).unwrap_or(Value::Null),
        Err(e) => return error_page(c, &e),
    };
    let hooks = match outbox::list_webhooks(state).await {
        Ok(v) => v,
        Err(e) => return error_page(c, &e),
    };
    let t = lang.text();
    let tokens = tokens
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            let role = Role::parse(&text(&k["role"])).map_or("", |r| role_text(t, r)).to_string();
            (text(&k["id"]), text(&k["name"]), role, text(&k["created_at"]))
        })
        .collect();
    let webhooks = hooks["webhooks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            let kinds = texts(&h["kinds"]).join(", ");
            (
                text(&h["id"]),
                text(&h["url"]),
                if kinds.is_empty() { t.all_kinds.to_string() } else { kinds },
            )
        })
        .collect();
    let page = AdminPage { c, tokens, webhooks, new_token, self_id: s.principal.token.clone() };
    render(&page, StatusCode::OK)
}

pub(crate) async fn admin(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    Ok(admin_page(&state, Lang::of(&jar, &headers), &uri, &s, None).await)
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    csrf: String,
    name: String,
    role: String,
}

pub(crate) async fn issue_token(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let lang = Lang::of(&jar, &headers);
    let s = may_post(&state, &jar, lang, &uri, &form.csrf, Role::Admin).await?;
    let c = || Chrome::new(lang, &uri, Some(&s), "admin");
    let role = auth::role_named(&form.role).map_err(|e| error_page(c(), &e))?;
    let name = form.name.trim();
    if name.is_empty() || name.len() > 128 {
        let e = ApiError::unprocessable("invalid_name", "a token's name has 1 to 128 bytes");
        return Err(error_page(c(), &e));
    }
    let made = auth::create(&state.store, role, name).await.map_err(|e| error_page(c(), &e))?;
    let shown = (made.token, made.name, role_text(lang.text(), made.role).to_string());
    Ok(admin_page(&state, lang, &uri, &s, Some(shown)).await)
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let lang = Lang::of(&jar, &headers);
    let s = may_post(&state, &jar, lang, &uri, &form.csrf, Role::Admin).await?;
    match auth::revoke(&state.store, &id).await {
        Ok(true) => Ok(Redirect::to("/board/admin").into_response()),
        Ok(false) => Err(error_page(
            Chrome::new(lang, &uri, Some(&s), "admin"),
            &ApiError::not_found(&format!("token `{id}`")),
        )),
        Err(e) => Err(error_page(Chrome::new(lang, &uri, Some(&s), "admin"), &e)),
    }
}
