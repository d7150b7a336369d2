//! A ticket: its clocks with their explanations, its timeline, and the events it can take.

use super::*;

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
pub(crate) struct TicketPage {
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

pub(crate) async fn ticket_page(
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

pub(crate) async fn ticket(
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
pub(crate) struct EventForm {
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

pub(crate) async fn send_event(
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
pub(crate) fn urlencode_path(s: &str) -> String {
    urlencode(s).replace('/', "%2F")
}
