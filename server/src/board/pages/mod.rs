//! The board's pages and forms. Each page reads what the API's handlers read (the same
//! functions of `tickets`, `policies`, `export`, `outbox`, `auth`) and renders it; each form
//! checks the session's role and CSRF token, then calls the same function the API route calls,
//! so the board can do exactly what the signed-in token may do through the API.

use super::i18n::{LANG_COOKIE, Lang, Text};
use super::session::{self, LOGIN_COOKIE, SESSION_COOKIE, Session};
use crate::AppState;
use crate::api::ReportParams;
use crate::auth::{self, Role, random_hex};
use crate::engine::{self, Engine};
use crate::error::ApiError;
use crate::login_limit::Client;
use crate::outbox::{self, DeliveryFilter};
use crate::tickets::{self, QueueFilter};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

mod admin_view;
mod policies_view;
mod queue_view;
mod report_view;
mod ticket_view;

pub(crate) use admin_view::*;
pub(crate) use policies_view::*;
pub(crate) use queue_view::*;
pub(crate) use report_view::*;
pub(crate) use ticket_view::*;

/// What every page's frame shows: the language, who is signed in, the navigation.
pub struct Chrome {
    /// The texts.
    pub t: &'static Text,
    /// The language.
    pub lang: Lang,
    /// Where the language switch leads (back to this page).
    pub switch_href: String,
    /// Who is signed in, with what role (as a text).
    pub user: Option<(String, &'static str)>,
    /// Whether the signed-in role is admin.
    pub admin: bool,
    /// The session's CSRF token (for the log-out form).
    pub csrf: String,
    /// Which navigation entry is this page.
    pub nav: &'static str,
}

impl Chrome {
    fn new(lang: Lang, uri: &Uri, session: Option<&Session>, nav: &'static str) -> Chrome {
        let here = uri.path_and_query().map_or("/board", |p| p.as_str());
        let t = lang.text();
        Chrome {
            t,
            lang,
            switch_href: format!("/board/lang/{}?back={}", lang.other().code(), urlencode(here)),
            user: session.map(|s| (s.principal.name.clone(), role_text(t, s.principal.role))),
            admin: session.is_some_and(|s| s.may(Role::Admin)),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav,
        }
    }
}

fn role_text(t: &Text, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Agent => t.role_agent,
        Role::Viewer => t.role_viewer,
    }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A rendered page, or a response that replaces it (a redirect to the login, an error page).
type PageResult = Result<Response, Response>;

fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
                ),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                header::HeaderValue::from_static("nosniff"),
            );
            response
        }
        Err(e) => ApiError::internal(format_args!("rendering a board page: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    heading: String,
    message: String,
}

/// A page with a heading and a message (a refusal, a missing ticket, a failure).
fn message(c: Chrome, status: StatusCode, heading: &str, message: String) -> Response {
    render(&MessagePage { c, heading: heading.to_string(), message }, status)
}

/// An API error as a page.
fn error_page(c: Chrome, e: &ApiError) -> Response {
    let text = e.body().get("message").and_then(Value::as_str).unwrap_or_default().to_string();
    let heading = match e.status() {
        StatusCode::NOT_FOUND => c.t.not_found,
        StatusCode::FORBIDDEN => c.t.forbidden,
        _ => c.t.refused,
    };
    message(c, e.status(), heading, text)
}

/// The request's session, or a redirect to the login page.
async fn signed_in(state: &AppState, jar: &CookieJar) -> Result<Session, Response> {
    match session::find(&state.store, jar).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Redirect::to("/board/login").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// The request's session, checked for `role` and the form's CSRF token: the session, or the
/// page that refuses.
async fn may_post(
    state: &AppState,
    jar: &CookieJar,
    lang: Lang,
    uri: &Uri,
    csrf: &str,
    role: Role,
) -> Result<Session, Response> {
    let s = signed_in(state, jar).await?;
    let c = || Chrome::new(lang, uri, Some(&s), "");
    if !s.csrf_matches(csrf) {
        let t = lang.text();
        return Err(message(c(), StatusCode::FORBIDDEN, t.forbidden, t.expired_form.into()));
    }
    if !s.may(role) {
        let t = lang.text();
        return Err(message(
            c(),
            StatusCode::FORBIDDEN,
            t.forbidden,
            format!("{} ({})", t.forbidden, role_text(t, role)),
        ));
    }
    Ok(s)
}

// ---- static files ---------------------------------------------------------------------------

pub(super) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=300")],
        include_str!("../../../static/board.css"),
    )
        .into_response()
}

pub(super) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../../static/board.js"),
    )
        .into_response()
}

// ---- language ---------------------------------------------------------------------------------

#[derive(Deserialize)]
pub(super) struct Back {
    back: Option<String>,
}

/// Remembers the language chosen (a cookie for a year) and goes back to the page.
pub(super) async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Back>,
    jar: CookieJar,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let back = q
        .back
        .filter(|b| b.starts_with("/board") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/board".into());
    let mut cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.behind_https_proxy)
        .build();
    cookie.set_max_age(cookie::time::Duration::days(365));
    (jar.add(cookie), Redirect::to(&back)).into_response()
}

// ---- login ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    form_token: String,
    refused: bool,
    /// Why no token may be tried now, with how long to wait.
    limited: Option<String>,
}

/// What the login page answers.
enum Attempt {
    /// The form, before any try.
    First,
    /// The token was not valid.
    Refused,
    /// Too many wrong tokens: no try for this many seconds.
    Limited(u64),
}

async fn login_page(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    jar: CookieJar,
    attempt: Attempt,
) -> Response {
    let form_token = match random_hex(16) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let t = lang.text();
    let limited = match attempt {
        Attempt::Limited(seconds) => {
            let minutes = seconds.div_ceil(60).saturating_mul(60);
            Some((t.login_limited)(&lang.span(i64::try_from(minutes).unwrap_or(i64::MAX))))
        }
        Attempt::First | Attempt::Refused => None,
    };
    let page = LoginPage {
        c: Chrome::new(lang, uri, None, "login"),
        form_token: form_token.clone(),
        refused: matches!(attempt, Attempt::Refused),
        limited,
    };
    let status = match attempt {
        Attempt::First => StatusCode::OK,
        Attempt::Refused => StatusCode::UNAUTHORIZED,
        Attempt::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
    };
    let jar = jar.add(session::cookie(state.config.behind_https_proxy, LOGIN_COOKIE, form_token));
    let mut response = (jar, render(&page, status)).into_response();
    if let Attempt::Limited(seconds) = attempt {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

pub(super) async fn login_form(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    if let Ok(Some(_)) = session::find(&state.store, &jar).await {
        return Redirect::to("/board").into_response();
    }
    login_page(&state, Lang::of(&jar, &headers), &uri, jar, Attempt::First).await
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    token: String,
    form_token: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::of(&jar, &headers);
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if expected.is_empty() || !session::same(&expected, &form.form_token) {
        let t = lang.text();
        let c = Chrome::new(lang, &uri, None, "login");
        return message(c, StatusCode::FORBIDDEN, t.forbidden, t.expired_form.into());
    }
    if let Err(seconds) = state.limiter.check(client) {
        return login_page(&state, lang, &uri, jar, Attempt::Limited(seconds)).await;
    }
    let secure = state.config.behind_https_proxy;
    match session::open(&state.store, secure, &form.token).await {
        Ok(Some((cookie, _))) => {
            state.limiter.succeeded(client);
            let jar = jar.add(session::removal(secure, LOGIN_COOKIE)).add(cookie);
            (jar, Redirect::to("/board")).into_response()
        }
        Ok(None) => {
            state.limiter.failed(client);
            login_page(&state, lang, &uri, jar, Attempt::Refused).await
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn logout(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(&jar, &headers);
    let s = match may_post(&state, &jar, lang, &uri, &form.csrf, Role::Viewer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = session::close(&state.store, &s).await {
        return e.into_response();
    }
    let removal = session::removal(state.config.behind_https_proxy, SESSION_COOKIE);
    (jar.add(removal), Redirect::to("/board/login")).into_response()
}

// ---- times ------------------------------------------------------------------------------------

/// An instant as the board shows it: the day and time in the policy calendar's zone.
pub struct When {
    /// `Wed 25 Feb 24:00` / `2月25日 周三 24:00`.
    pub text: String,
    /// RFC 3339, for the `datetime` attribute and the tooltip.
    pub iso: String,
}

fn when(lang: Lang, engine: &Engine, at: DateTime<Utc>, now: DateTime<Utc>) -> When {
    let (day, time) = engine::local_day_time(engine, at);
    let (this_year, _) = engine::local_day_time(engine, now);
    When { text: format!("{} {time}", lang.day(day, this_year.year())), iso: at.to_rfc3339() }
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(|s| s.parse().ok())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(text).collect()).unwrap_or_default()
}
