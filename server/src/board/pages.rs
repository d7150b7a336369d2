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
        include_str!("../../static/board.css"),
    )
        .into_response()
}

pub(super) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../static/board.js"),
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
}

async fn login_page(lang: Lang, uri: &Uri, jar: CookieJar, refused: bool) -> Response {
    let form_token = match random_hex(16) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let page = LoginPage {
        c: Chrome::new(lang, uri, None, "login"),
        form_token: form_token.clone(),
        refused,
    };
    let status = if refused { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    (jar.add(session::cookie(LOGIN_COOKIE, form_token)), render(&page, status)).into_response()
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
    login_page(Lang::of(&jar, &headers), &uri, jar, false).await
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    token: String,
    form_token: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
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
    match session::open(&state.store, &form.token).await {
        Ok(Some((cookie, _))) => {
            let jar = jar.remove(Cookie::build(LOGIN_COOKIE).path("/")).add(cookie);
            (jar, Redirect::to("/board")).into_response()
        }
        Ok(None) => login_page(lang, &uri, jar, true).await,
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
    (jar.remove(Cookie::build(SESSION_COOKIE).path("/")), Redirect::to("/board/login"))
        .into_response()
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

// ---- the queue --------------------------------------------------------------------------------

/// One ticket of the queue.
pub struct QueueRow {
    /// Ticket id.
    pub id: String,
    /// Policy id and version.
    pub policy: String,
    /// Stage.
    pub stage: String,
    /// Assignee.
    pub assignee: String,
    /// Red-flagged.
    pub flagged: bool,
    /// Past its deadline.
    pub overdue: bool,
    /// Stage clock stopped.
    pub paused: bool,
    /// The earliest running deadline.
    pub deadline: Option<When>,
    /// Whether it is provisional.
    pub provisional: bool,
    /// Time left (or overdue by).
    pub left: String,
    /// When the complaint was received.
    pub opened: Option<When>,
}

/// The tickets of one tier.
pub struct TierGroup {
    /// The tier (empty: none).
    pub tier: String,
    /// Its tickets, red flags and overdue first.
    pub rows: Vec<QueueRow>,
    /// How many are red-flagged or overdue.
    pub urgent: usize,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    groups: Vec<TierGroup>,
    total: usize,
    f: QueueForm,
    policies: Vec<String>,
    tiers: Vec<String>,
    stages: Vec<String>,
    assignees: Vec<String>,
    zone: String,
    bad_due_before: bool,
}

/// The queue's filters, as the board's form sends them (empty: any).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct QueueForm {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    flagged: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    due_before: String,
}

impl QueueForm {
    fn any(&self) -> bool {
        [&self.policy, &self.tier, &self.stage, &self.assignee, &self.flagged, &self.overdue]
            .iter()
            .any(|s| !s.is_empty())
            || !self.due_before.is_empty()
    }
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn yes_no(s: &str) -> Option<bool> {
    match s {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The current version of every deployed policy, with its engine.
async fn current_engines(state: &AppState) -> Result<Vec<(String, Arc<Engine>)>, ApiError> {
    let versions = state.policies.versions(&state.store, None).await?;
    let mut out = Vec::new();
    for v in versions.iter().filter(|v| v.current) {
        out.push((
            v.policy.clone(),
            state.policies.engine(&state.store.read, &v.policy, &v.version).await?,
        ));
    }
    Ok(out)
}

fn push_new(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

pub(super) async fn queue(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Query(f): Query<QueueForm>,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    let lang = Lang::of(&jar, &headers);
    let c = Chrome::new(lang, &uri, Some(&s), "queue");
    let fail = |c: Chrome, e: ApiError| error_page(c, &e);
    let engines = match current_engines(&state).await {
        Ok(e) => e,
        Err(e) => return Err(fail(c, e)),
    };
    let (mut tiers, mut stages) = (Vec::new(), Vec::new());
    for (_, e) in &engines {
        push_new(&mut tiers, engine::policy_tiers(e));
        push_new(&mut stages, engine::policy_stages(e));
    }
    // The zone a typed "due before" is read in: the chosen policy's, else the first's.
    let zone_engine = engines
        .iter()
        .find(|(p, _)| *p == f.policy)
        .or_else(|| engines.first())
        .map(|(_, e)| e.clone());
    let zone =
        zone_engine.as_ref().map(|e| engine::calendar_zone(e).1).unwrap_or_else(|| "UTC".into());
    let due_before = some(&f.due_before).map(|typed| {
        // Second 60 reads as a leap second that chrono's arithmetic counts as `:59`: refused.
        let leap = |t: &DateTime<Utc>| chrono::Timelike::nanosecond(t) >= 1_000_000_000;
        typed.parse::<DateTime<Utc>>().ok().filter(|t| !leap(t)).or_else(|| {
            let local = NaiveDateTime::parse_from_str(&typed, "%Y-%m-%dT%H:%M").ok()?;
            zone_engine.as_ref().and_then(|e| engine::local_to_instant(e, local))
        })
    });
    let bad_due_before = matches!(due_before, Some(None));
    let filter = QueueFilter {
        policy: some(&f.policy),
        tier: some(&f.tier),
        stage: some(&f.stage),
        assignee: some(&f.assignee),
        flagged: yes_no(&f.flagged),
        overdue: yes_no(&f.overdue),
        due_before: due_before.flatten(),
        limit: Some(1000),
        ..QueueFilter::default()
    };
    let listed = match tickets::queue(&state, filter).await {
        Ok(v) => v,
        Err(e) => return Err(fail(c, e)),
    };
    let now = Utc::now();
    let mut groups: Vec<TierGroup> = Vec::new();
    let mut assignees = Vec::new();
    let mut total = 0;
    for t in listed["tickets"].as_array().into_iter().flatten() {
        let (policy, version) = (text(&t["policy"]), text(&t["version"]));
        let engine = match state.policies.engine(&state.store.read, &policy, &version).await {
            Ok(e) => e,
            Err(e) => return Err(fail(c, e)),
        };
        let deadline_at = instant(&t["deadline"]);
        let overdue = t["overdue"].as_bool().unwrap_or(false);
        let left = match deadline_at {
            Some(d) if overdue => {
                format!("{} {}", lang.text().overdue_by, lang.span((now - d).num_seconds()))
            }
            Some(d) => lang.span((d - now).num_seconds().max(0)),
            None => String::new(),
        };
        let tier = text(&t["tier"]);
        let assignee = text(&t["assignee"]);
        if !assignee.is_empty() {
            push_new(&mut assignees, [assignee.clone()]);
        }
        let row = QueueRow {
            id: text(&t["id"]),
            policy: format!("{policy} {version}"),
            stage: text(&t["stage"]),
            assignee,
            flagged: t["flagged"].as_bool().unwrap_or(false),
            overdue,
            paused: t["paused"].as_bool().unwrap_or(false),
            deadline: deadline_at.map(|d| when(lang, &engine, d, now)),
            provisional: t["provisional"].as_bool().unwrap_or(false),
            left,
            opened: instant(&t["opened_at"]).map(|d| when(lang, &engine, d, now)),
        };
        // Tiers in the order of their most urgent ticket (the queue's order: red flags, then
        // overdue tickets, then by deadline).
        let at = match groups.iter().position(|g: &TierGroup| g.tier == tier) {
            Some(i) => i,
            None => {
                groups.push(TierGroup { tier: tier.clone(), rows: Vec::new(), urgent: 0 });
                groups.len() - 1
            }
        };
        if let Some(group) = groups.get_mut(at) {
            group.urgent += usize::from(row.flagged || row.overdue);
            group.rows.push(row);
        }
        total += 1;
    }
    assignees.sort();
    let page = QueuePage {
        c,
        groups,
        total,
        f,
        policies: engines.iter().map(|(p, _)| p.clone()).collect(),
        tiers,
        stages,
        assignees,
        zone,
        bad_due_before,
    };
    Ok(render(&page, StatusCode::OK))
}

// ---- a ticket ---------------------------------------------------------------------------------

/// A running clock of the ticket, with how its deadline was counted.
pub struct ClockRow {
    /// `stage` or `obligation` (as a text).
    pub kind: String,
    /// Stage or obligation name.
    pub name: String,
    /// The responsible tier.
    pub tier: String,
    /// The limit as written.
    pub budget: String,
    /// The deadline.
    pub deadline: Option<When>,
    /// Share used, in percent (capped at 100 for the bar).
    pub used: u32,
    /// Share used, in percent, as shown.
    pub used_text: String,
    /// Provisional, paused, overdue.
    pub provisional: bool,
    /// Paused.
    pub paused: bool,
    /// Overdue.
    pub overdue: bool,
    /// The counting, as the engine explains it.
    pub explanation: Option<String>,
    /// Where a pause moved the deadline since.
    pub moved_to: Option<When>,
}

/// A timeline row.
pub struct TimelineLine {
    /// When.
    pub at: When,
    /// Row kind (`opened`, `deadline`, `flag`, …).
    pub kind: String,
    /// Stage or obligation.
    pub stage: String,
    /// Tier after the row.
    pub tier: String,
    /// Detail.
    pub detail: String,
    /// Provisional.
    pub provisional: bool,
}

/// An event the ticket accepts now.
pub struct EventButton {
    /// Event name.
    pub event: String,
    /// Where it leads.
    pub to: String,
    /// The tier expected to send it.
    pub by: String,
    /// The joint-group member it completes.
    pub member: String,
    /// What blocks it.
    pub blocked_by: Vec<String>,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    c: Chrome,
    id: String,
    policy: String,
    version: String,
    stage: String,
    tier: String,
    assignee: String,
    flagged: bool,
    overdue: bool,
    closed: bool,
    opened: Option<When>,
    fields: Vec<(String, String)>,
    artifacts: Vec<(String, When)>,
    clocks: Vec<ClockRow>,
    timeline: Vec<TimelineLine>,
    events: Vec<EventButton>,
    missing_artifacts: Vec<String>,
    pending_members: Vec<String>,
    next_wakeup: Option<When>,
    tiers: Vec<String>,
    can_send: bool,
    event_id: String,
    refusal: Option<String>,
}

async fn ticket_page(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    s: &Session,
    id: &str,
    refusal: Option<String>,
) -> Response {
    let c = Chrome::new(lang, uri, Some(s), "queue");
    let view = match tickets::read(state, id).await {
        Ok(v) => v,
        Err(e) => return error_page(c, &e),
    };
    let (policy, version) = (text(&view["policy"]["id"]), text(&view["policy"]["version"]));
    let engine = match state.policies.engine(&state.store.read, &policy, &version).await {
        Ok(e) => e,
        Err(e) => return error_page(c, &e),
    };
    let ticket = match engine::ticket_from_view(&view) {
        Ok(t) => t,
        Err(e) => return ApiError::internal(format_args!("ticket `{id}`: {e}")).into_response(),
    };
    let now = Utc::now();
    let w = |at: DateTime<Utc>| when(lang, &engine, at, now);
    let t = lang.text();
    let clocks: Vec<ClockRow> = view["clocks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            let (kind, name) = (text(&k["kind"]), text(&k["name"]));
            let why = engine::explain_clock(&engine, &ticket, &name);
            let used = k["used"].as_f64().unwrap_or(0.0) * 100.0;
            ClockRow {
                kind: if kind == "obligation" {
                    t.obligation.to_string()
                } else {
                    t.stage.to_string()
                },
                name,
                tier: text(&k["tier"]),
                budget: text(&k["budget"]),
                deadline: instant(&k["deadline"]).map(w),
                used: used.clamp(0.0, 100.0).round() as u32,
                used_text: format!("{used:.0}%"),
                provisional: k["provisional"].as_bool().unwrap_or(false),
                paused: k["paused"].as_bool().unwrap_or(false),
                overdue: k["overdue"].as_bool().unwrap_or(false),
                moved_to: why.as_ref().and_then(|x| x.moved_to).map(w),
                explanation: why.map(|x| x.text),
            }
        })
        .collect();
    let timeline = view["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(TimelineLine {
                at: w(instant(&r["at"])?),
                kind: text(&r["kind"]),
                stage: text(&r["stage"]),
                tier: text(&r["tier"]),
                detail: text(&r["detail"]),
                provisional: r["provisional"].as_bool().unwrap_or(false),
            })
        })
        .collect();
    let next = &view["next_actions"];
    let events = next["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| EventButton {
            event: text(&e["event"]),
            to: text(&e["to"]),
            by: text(&e["by"]),
            member: text(&e["member"]),
            blocked_by: texts(&e["blocked_by"]),
        })
        .collect();
    let fields = view["fields"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
        .unwrap_or_default();
    let artifacts = view["artifacts"]
        .as_object()
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), w(instant(v)?)))).collect())
        .unwrap_or_default();
    let closed = next["closed"].as_bool().unwrap_or(false);
    let event_id = match random_hex(8) {
        Ok(h) => format!("board-{h}"),
        Err(e) => return e.into_response(),
    };
    let page = TicketPage {
        id: id.to_string(),
        policy,
        version,
        stage: text(&view["stage"]),
        tier: text(&view["tier"]),
        assignee: text(&view["assignee"]),
        flagged: view["flagged"].as_bool().unwrap_or(false),
        overdue: clocks.iter().any(|k| k.overdue),
        closed,
        opened: instant(&view["opened_at"]).map(w),
        fields,
        artifacts,
        clocks,
        timeline,
        events,
        missing_artifacts: texts(&next["missing_artifacts"]),
        pending_members: texts(&next["pending_members"]),
        next_wakeup: instant(&next["next_wakeup"]).map(w),
        tiers: engine::policy_tiers(&engine),
        can_send: s.may(Role::Agent) && !closed,
        event_id,
        refusal,
        c,
    };
    let status =
        if page.refusal.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(&page, status)
}

pub(super) async fn ticket(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Path(id): Path<String>,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    Ok(ticket_page(&state, Lang::of(&jar, &headers), &uri, &s, &id, None).await)
}

/// An event from the ticket page's forms.
#[derive(Deserialize)]
pub(super) struct EventForm {
    csrf: String,
    event_id: String,
    event: String,
    #[serde(default)]
    artifact: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    assignee: String,
}

pub(super) async fn send_event(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> PageResult {
    let lang = Lang::of(&jar, &headers);
    let s = may_post(&state, &jar, lang, &uri, &form.csrf, Role::Agent).await?;
    let mut body = Map::new();
    body.insert("id".into(), form.event_id.clone().into());
    body.insert("event".into(), form.event.clone().into());
    for (key, value) in [
        ("artifact", &form.artifact),
        ("member", &form.member),
        ("to", &form.to),
        ("assignee", &form.assignee),
    ] {
        if let Some(v) = some(value) {
            body.insert(key.into(), v.into());
        }
    }
    match tickets::event(&state, &id, Value::Object(body), &s.principal).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/board/tickets/{}", urlencode_path(&id))).into_response())
        }
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            Err(error_page(Chrome::new(lang, &uri, Some(&s), "queue"), &e))
        }
        Err(e) => {
            let why = e.body().get("message").and_then(Value::as_str).unwrap_or("").to_string();
            let code = e.body().get("code").and_then(Value::as_str).unwrap_or("").to_string();
            let refusal = if code.is_empty() { why } else { format!("{code}: {why}") };
            Ok(ticket_page(&state, lang, &uri, &s, &id, Some(refusal)).await)
        }
    }
}

/// Percent-encodes a path segment (`/` too).
fn urlencode_path(s: &str) -> String {
    urlencode(s).replace('/', "%2F")
}

// ---- policies ---------------------------------------------------------------------------------

/// A deployed version with its stage graph.
pub struct PolicyVersion {
    /// Version.
    pub version: String,
    /// New tickets open under it.
    pub current: bool,
    /// Deployed when and by whom.
    pub deployed: String,
    /// Open tickets on it.
    pub open_tickets: i64,
    /// All tickets on it.
    pub tickets: i64,
    /// Title.
    pub title: String,
    /// Calendar id and zone.
    pub calendar: String,
    /// The stages, in drawing order (from the start, breadth first).
    pub stages: Vec<StageCard>,
    /// The Mermaid text `ombud graph` prints.
    pub mermaid: String,
}

/// A stage of a policy's graph.
pub struct StageCard {
    /// Name.
    pub name: String,
    /// Owner tier.
    pub owner: String,
    /// Time limit.
    pub due: String,
    /// Required artifacts.
    pub requires: String,
    /// Closes the ticket.
    pub terminal: bool,
    /// The start stage.
    pub start: bool,
    /// Its transitions: label, target, automatic.
    pub out: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    c: Chrome,
    policies: Vec<(String, Vec<PolicyVersion>)>,
}

pub(super) async fn policies(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    let lang = Lang::of(&jar, &headers);
    let c = Chrome::new(lang, &uri, Some(&s), "policies");
    let versions = match state.policies.versions(&state.store, None).await {
        Ok(v) => v,
        Err(e) => return Err(error_page(c, &e)),
    };
    let now = Utc::now();
    let mut out: Vec<(String, Vec<PolicyVersion>)> = Vec::new();
    for v in versions.iter().rev() {
        let engine = match state.policies.engine(&state.store.read, &v.policy, &v.version).await {
            Ok(e) => e,
            Err(e) => return Err(error_page(c, &e)),
        };
        let graph = engine::stage_graph(&engine);
        let order = super::graph::breadth_first(&graph);
        let stages = order
            .iter()
            .filter_map(|&i| {
                let st = graph.stages.get(i)?;
                Some(StageCard {
                    name: st.name.clone(),
                    owner: st.owner.clone().unwrap_or_default(),
                    due: st.due.clone().unwrap_or_default(),
                    requires: st.requires.join(", "),
                    terminal: st.terminal,
                    start: i == graph.start,
                    out: graph
                        .transitions
                        .iter()
                        .filter(|t| t.from == i)
                        .map(|t| {
                            let to =
                                graph.stages.get(t.to).map(|s| s.name.clone()).unwrap_or_default();
                            (t.label.clone(), to, t.auto)
                        })
                        .collect(),
                })
            })
            .collect();
        let (calendar, zone) = engine::calendar_zone(&engine);
        let deployed = v
            .deployed_at
            .map(|d| format!("{} · {}", when(lang, &engine, d, now).text, v.deployed_by))
            .unwrap_or_default();
        let entry = PolicyVersion {
            version: v.version.clone(),
            current: v.current,
            deployed,
            open_tickets: v.open_tickets,
            tickets: v.tickets,
            title: engine::policy_title(&engine).unwrap_or_default(),
            calendar: format!("{calendar} ({zone})"),
            stages,
            mermaid: graph.mermaid(),
        };
        match out.iter_mut().find(|(p, _)| *p == v.policy) {
            Some((_, list)) => list.push(entry),
            None => out.push((v.policy.clone(), vec![entry])),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(render(&PoliciesPage { c, policies: out }, StatusCode::OK))
}

// ---- report and dead letters ------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub(super) struct ReportForm {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    period: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
    policies: Vec<String>,
    policy: String,
    period: String,
    report: Option<engine::Report>,
    failure: Option<String>,
    dead: Vec<DeadLetter>,
    retried: bool,
}

impl ReportPage {
    /// The report's count tables with their titles.
    fn tables(&self) -> Vec<(&'static str, &[engine::Count])> {
        let (Some(r), t) = (&self.report, self.c.t) else { return Vec::new() };
        vec![
            (t.by_category, &r.by_category),
            (t.by_channel, &r.by_channel),
            (t.by_severity, &r.by_severity),
            (t.by_department, &r.by_department),
            (t.escalations_by_tier, &r.escalations_by_tier),
            (t.marks_by_tier, &r.marks_by_tier),
        ]
    }
}

/// A dead webhook delivery.
pub struct DeadLetter {
    /// Delivery id.
    pub id: String,
    /// Ticket.
    pub ticket: String,
    /// Action kind.
    pub kind: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last error.
    pub last_error: String,
    /// When it was queued.
    pub created: String,
}

/// `2026-Q3` for the quarter of `now`.
fn this_quarter(now: DateTime<Utc>) -> String {
    format!("{}-Q{}", now.year(), (now.month() - 1) / 3 + 1)
}

/// A share as a percentage (`87.5%`), or `–`.
pub fn percent(rate: &Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// A share as a percentage (`87.5%`).
pub fn share(share: &f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Hours to one decimal, or `–`.
pub fn hours(h: &Option<f64>) -> String {
    h.map_or_else(|| "–".to_string(), |h| format!("{h:.1}"))
}

pub(super) async fn report(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Query(form): Query<ReportForm>,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    let lang = Lang::of(&jar, &headers);
    let c = Chrome::new(lang, &uri, Some(&s), "report");
    let engines = match current_engines(&state).await {
        Ok(e) => e,
        Err(e) => return Err(error_page(c, &e)),
    };
    let policies: Vec<String> = engines.iter().map(|(p, _)| p.clone()).collect();
    let policy = some(&form.policy).or_else(|| policies.first().cloned()).unwrap_or_default();
    let period = some(&form.period).unwrap_or_else(|| this_quarter(Utc::now()));
    let (mut report, mut failure) = (None, None);
    if !policy.is_empty() {
        match period.parse::<engine::Period>() {
            Err(e) => failure = Some(e.to_string()),
            Ok(p) => {
                let params = ReportParams {
                    policy: policy.clone(),
                    version: None,
                    seed: None,
                    repeat_window_days: None,
                };
                match crate::export::build_report(&state, params, p).await {
                    Ok(r) => report = Some(r),
                    Err(e) => failure = Some(text(&e.body()["message"])),
                }
            }
        }
    }
    let dead = match outbox::list(&state, DeliveryFilter::default()).await {
        Ok(v) => v["deliveries"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| DeadLetter {
                id: text(&d["id"]),
                ticket: text(&d["ticket"]),
                kind: text(&d["kind"]),
                attempts: d["attempts"].as_i64().unwrap_or(0),
                last_error: text(&d["last_error"]),
                created: instant(&d["created_at"])
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        Err(e) => return Err(error_page(c, &e)),
    };
    let retried = uri.query().is_some_and(|q| q.contains("retried=1"));
    let page = ReportPage { c, policies, policy, period, report, failure, dead, retried };
    Ok(render(&page, StatusCode::OK))
}

pub(super) async fn retry_delivery(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let lang = Lang::of(&jar, &headers);
    let s = may_post(&state, &jar, lang, &uri, &form.csrf, Role::Admin).await?;
    match outbox::retry(&state, &id).await {
        Ok(true) => Ok(Redirect::to("/board/report?retried=1").into_response()),
        Ok(false) => Err(error_page(
            Chrome::new(lang, &uri, Some(&s), "report"),
            &ApiError::not_found(&format!("dead delivery `{id}`")),
        )),
        Err(e) => Err(error_page(Chrome::new(lang, &uri, Some(&s), "report"), &e)),
    }
}

// ---- admin: tokens and webhooks ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    tokens: Vec<(String, String, String, String)>,
    webhooks: Vec<(String, String, String)>,
    new_token: Option<(String, String, String)>,
    self_id: String,
}

async fn admin_page(
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

pub(super) async fn admin(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    Ok(admin_page(&state, Lang::of(&jar, &headers), &uri, &s, None).await)
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    csrf: String,
    name: String,
    role: String,
}

pub(super) async fn issue_token(
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

pub(super) async fn revoke_token(
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
