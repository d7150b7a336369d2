//! Tickets on the database: opening, events, timers, migrations and reads.
//!
//! Every change is one transaction: the ticket's new state and indexed columns, its ledger line,
//! its timeline rows, its next wake-up and one outbox delivery per action and webhook. Changes to
//! one ticket are serialised: on PostgreSQL by the ticket row's lock (`FOR UPDATE`), on SQLite by
//! the single writing connection; a revision number checked on every update guards both.

use crate::AppState;
use crate::auth::Principal;
use crate::engine::{
    self, Action, Engine, OpenTicket, Outcome, RecordedEvent, Ticket, TimelineRow, columns,
};
use crate::error::ApiError;
use crate::store::{ROWS_PER_INSERT, instant, millis, values, wakeup_millis};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use std::sync::Arc;

/// How far ahead of the server's clock an opening or event may be dated (clocks differ a little).
pub const FUTURE_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The longest ticket or event id the server takes.
pub const MAX_ID_LEN: usize = 128;

/// Why one attempt at a change did not finish.
pub(crate) enum Fail {
    /// Answer the request with this.
    Api(ApiError),
    /// Another change to the same key won a race: try again.
    Retry,
}

impl From<ApiError> for Fail {
    fn from(e: ApiError) -> Self {
        Fail::Api(e)
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_unique_violation(&e) { Fail::Retry } else { Fail::Api(e.into()) }
    }
}

impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Fail::Api(e.into())
    }
}

/// Runs `attempt` until it does not ask for a retry (at most five times).
macro_rules! with_retries {
    ($attempt:expr) => {{
        let mut tries = 0;
        loop {
            tries += 1;
            match $attempt {
                Ok(v) => break Ok(v),
                Err(Fail::Api(e)) => break Err(e),
                Err(Fail::Retry) if tries < 5 => continue,
                Err(Fail::Retry) => {
                    break Err(ApiError::conflict(
                        "busy",
                        "the ticket changed meanwhile; try again",
                    ));
                }
            }
        }
    }};
}

// After `with_retries!`, which it uses.
mod recalendar;
pub(crate) use recalendar::{Recalendared, recalendar};

/// SHA-256 of a request's JSON (keys sorted): a repeated request must be the same request.
fn request_hash(body: &Value) -> String {
    crate::auth::hex(&Sha256::digest(body.to_string().as_bytes()))
}

/// Checks an id the client chose.
fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            "invalid_id",
            format!("{what} id must be 1 to {MAX_ID_LEN} bytes without control characters"),
        ));
    }
    Ok(())
}

fn check_not_future(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ApiError> {
    if at > now + FUTURE_TOLERANCE {
        return Err(ApiError::unprocessable(
            "in_the_future",
            format!(
                "`at` {} is ahead of the server's clock ({})",
                at.to_rfc3339(),
                now.to_rfc3339()
            ),
        ));
    }
    Ok(())
}

/// Takes a string member out of a request object.
fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("`{key}` must be a string"))),
    }
}

fn object(body: Value) -> Result<Map<String, Value>, ApiError> {
    match body {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::bad_request("the body must be a JSON object")),
    }
}

/// A stored ticket, as a change reads it under its lock.
struct Stored {
    ticket: Ticket,
    counters: Counters,
    /// The calendar the ticket's clocks are counted on (the `calendar` column): the policy's
    /// own, or the deployed update a calendar deploy brought the ticket onto. Its events and
    /// timers run on that calendar until the deploy reaches it, in the order the ledger has.
    calendar: String,
}

/// The counters of a stored ticket a change continues from.
#[derive(Clone, Copy)]
struct Counters {
    revision: i64,
    ledger_lines: i64,
    timeline_rows: i64,
    timeline_from: i64,
}

const STORED_COLUMNS: &str =
    "state, revision, ledger_lines, timeline_rows, timeline_from, calendar";

async fn read_stored(
    conn: &mut AnyConnection,
    sql: &str,
    id: &str,
    extra: Option<i64>,
) -> Result<Option<Stored>, Fail> {
    let mut q = sqlx::query_as::<_, (String, i64, i64, i64, i64, String)>(sql).bind(id);
    if let Some(x) = extra {
        q = q.bind(x);
    }
    let Some((state, revision, ledger_lines, timeline_rows, timeline_from, calendar)) =
        q.fetch_optional(&mut *conn).await?
    else {
        return Ok(None);
    };
    let ticket = engine::ticket_from_json(&state)
        .map_err(|e| ApiError::internal(format_args!("stored ticket `{id}` does not read: {e}")))?;
    Ok(Some(Stored {
        ticket,
        counters: Counters { revision, ledger_lines, timeline_rows, timeline_from },
        calendar,
    }))
}

/// One change to write.
struct Change<'a> {
    ticket: &'a Ticket,
    engine: &'a Engine,
    rows: &'a [TimelineRow],
    actions: &'a [Action],
    /// The ledger line (an opening or an accepted event) and its instant.
    line: Option<(DateTime<Utc>, String)>,
    /// Start a new timeline (a migration that recomputed the ticket).
    restart_timeline: bool,
    /// Set when the change counted the ticket's clocks on its engine's calendar (an opening is
    /// always so): the `calendar` column then names it.
    recounted: bool,
    now: DateTime<Utc>,
}

/// Writes a new ticket (`previous` is `None`) or the change of a stored one.
async fn write(
    conn: &mut AnyConnection,
    previous: Option<Counters>,
    open_hash: &str,
    change: Change<'_>,
) -> Result<(), Fail> {
    let c = columns(change.ticket);
    let id = engine::ticket_id(change.ticket);
    let state = engine::ticket_to_json(change.ticket)?;
    let wakeup = engine::next_wakeup(change.engine, change.ticket)
        .map_err(|r| ApiError::rejected(&r))?
        .map(wakeup_millis);
    let now = millis(change.now);
    let (ledger_at, timeline_at) = previous.map_or((0, 0), |p| (p.ledger_lines, p.timeline_rows));
    let timeline_from = match previous {
        Some(_) if change.restart_timeline => timeline_at,
        Some(p) => p.timeline_from,
        None => 0,
    };
    let ledger_lines = ledger_at + i64::from(change.line.is_some());
    let timeline_rows = timeline_at + change.rows.len() as i64;
    let flag = |b: bool| i64::from(b);
    match previous {
        None => {
            sqlx::query(
                "INSERT INTO tickets (id, policy_id, policy_version, state, revision, stage, tier, assignee, \
                 flagged, closed, paused, deadline_ms, provisional, next_wakeup_ms, opened_ms, updated_ms, \
                 ledger_lines, timeline_rows, timeline_from, open_hash, calendar) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
            )
            .bind(id)
            .bind(&c.policy)
            .bind(&c.version)
            .bind(&state)
            .bind(&c.stage)
            .bind(&c.tier)
            .bind(&c.assignee)
            .bind(flag(c.flagged))
            .bind(flag(c.closed))
            .bind(flag(c.paused))
            .bind(c.deadline.map(millis))
            .bind(flag(c.provisional))
            .bind(wakeup)
            .bind(millis(c.opened_at))
            .bind(now)
            .bind(ledger_lines)
            .bind(timeline_rows)
            .bind(timeline_from)
            .bind(open_hash)
            .bind(engine::calendar_id(change.engine))
            .execute(&mut *conn)
            .await?;
        }
        Some(p) => {
            let done = sqlx::query(
                "UPDATE tickets SET policy_id = $2, policy_version = $3, state = $4, revision = revision + 1, \
                 stage = $5, tier = $6, assignee = $7, flagged = $8, closed = $9, paused = $10, \
                 deadline_ms = $11, provisional = $12, next_wakeup_ms = $13, updated_ms = $14, \
                 ledger_lines = $15, timeline_rows = $16, timeline_from = $17, \
                 calendar = COALESCE($19, calendar) \
                 WHERE id = $1 AND revision = $18",
            )
            .bind(id)
            .bind(&c.policy)
            .bind(&c.version)
            .bind(&state)
            .bind(&c.stage)
            .bind(&c.tier)
            .bind(&c.assignee)
            .bind(flag(c.flagged))
            .bind(flag(c.closed))
            .bind(flag(c.paused))
            .bind(c.deadline.map(millis))
            .bind(flag(c.provisional))
            .bind(wakeup)
            .bind(now)
            .bind(ledger_lines)
            .bind(timeline_rows)
            .bind(timeline_from)
            .bind(p.revision)
            .bind(change.recounted.then(|| engine::calendar_id(change.engine).to_string()))
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() != 1 {
                return Err(Fail::Retry);
            }
        }
    }
    if let Some((at, line)) = &change.line {
        sqlx::query("INSERT INTO ledger (ticket_id, seq, at_ms, line) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(ledger_at)
            .bind(millis(*at))
            .bind(line)
            .execute(&mut *conn)
            .await?;
    }
    let mut seq = timeline_at;
    for rows in change.rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO timeline (ticket_id, seq, row_json) VALUES {}",
            values(rows.len(), 3)
        );
        let mut insert = sqlx::query(&sql);
        for row in rows {
            insert = insert.bind(id).bind(seq).bind(serde_json::to_string(row)?);
            seq += 1;
        }
        insert.execute(&mut *conn).await?;
    }
    if !change.actions.is_empty() {
        crate::outbox::enqueue(conn, change.ticket, change.actions, change.now).await?;
    }
    Ok(())
}

/// Opens a ticket: `{"policy", "id", "at", "fields"}` (the engine's opening plus the policy id,
/// and optionally `complainant` for the report's repeat rate; `at` defaults to now). 201 with
/// the ticket; the same request again, 200 with the ticket as it is now.
pub async fn open(state: &AppState, body: Value) -> Result<(StatusCode, Value), ApiError> {
    let hash = request_hash(&body);
    let now = Utc::now();
    let mut map = object(body)?;
    let policy = take_string(&mut map, "policy")?.ok_or_else(|| {
        ApiError::bad_request("`policy` is missing: name the policy to open under")
    })?;
    let complainant = take_string(&mut map, "complainant")?;
    map.entry("at").or_insert_with(|| Value::String(now.to_rfc3339()));
    let open: OpenTicket = serde_json::from_value(Value::Object(map))
        .map_err(|e| ApiError::bad_request(format!("not an opening: {e}")))?;
    check_id("ticket", &open.id)?;
    check_not_future(open.at, now)?;
    let version = state.policies.current(&state.store, &policy).await.map_err(|e| {
        if e.status() == StatusCode::NOT_FOUND {
            ApiError::unprocessable("unknown_policy", format!("no policy `{policy}` is deployed"))
        } else {
            e
        }
    })?;
    let engine = state.policies.engine(&state.store.read, &policy, &version).await?;
    // On a deployed calendar update, the line names it: readers open the ticket on it too.
    let id = engine::calendar_id(&engine);
    let update = state.policies.calendars().by_id.contains_key(id).then_some(id);
    let line = engine::opening_line_on(&open, complainant.as_deref(), update);
    let opened = with_retries!(open_once(state, &engine, &open, &line, &hash, now).await)?;
    match opened {
        Some((view, actions)) => {
            state.metrics.opened.inc();
            state.metrics.actions(&actions);
            Ok((StatusCode::CREATED, view))
        }
        None => Ok((StatusCode::OK, read(state, &open.id).await?)),
    }
}

/// One attempt at opening: the new ticket's view and its actions, or `None` when it exists
/// from the same request.
async fn open_once(
    state: &AppState,
    engine: &Arc<Engine>,
    open: &OpenTicket,
    line: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Value, Vec<Action>)>, Fail> {
    let (sql, engine, open) =
        (state.store.lock_ticket("open_hash", ""), engine.clone(), open.clone());
    let (line, hash) = (line.to_string(), hash.to_string());
    state
        .store
        .change(move |conn| {
            Box::pin(async move { open_in(conn, &sql, &engine, &open, &line, &hash, now).await })
        })
        .await
}

async fn open_in(
    tx: &mut AnyConnection,
    lock: &str,
    engine: &Engine,
    open: &OpenTicket,
    line: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Value, Vec<Action>)>, Fail> {
    let existing: Option<(String,)> =
        sqlx::query_as(lock).bind(&open.id).fetch_optional(&mut *tx).await?;
    if let Some((existing,)) = existing {
        if existing == hash {
            return Ok(None);
        }
        return Err(ApiError::conflict(
            "ticket_exists",
            format!("ticket `{}` exists, opened by another request", open.id),
        )
        .into());
    }
    let (ticket, outcome) = engine.open(open).map_err(|r| ApiError::rejected(&r))?;
    write(
        tx,
        None,
        hash,
        Change {
            ticket: &ticket,
            engine,
            rows: &outcome.rows,
            actions: &outcome.actions,
            line: Some((open.at, line.to_string())),
            restart_timeline: false,
            recounted: true,
            now,
        },
    )
    .await?;
    let rows = outcome.rows.iter().map(serde_json::to_value).collect::<Result<Vec<_>, _>>()?;
    let view =
        engine::ticket_view(engine, &ticket, rows, now).map_err(|r| ApiError::rejected(&r))?;
    Ok(Some((view, outcome.actions)))
}

/// Applies an event: the engine's event JSON plus `"id"`, the event's id (`at` defaults to
/// now, `by` to the name of the sender's token). 200 with the outcome and the ticket's stage; refused, 422 with the engine's refusal and
/// the ticket unchanged. The same id again gets the first answer and changes nothing.
pub async fn event(
    state: &AppState,
    ticket_id: &str,
    body: Value,
    sender: &Principal,
) -> Result<(StatusCode, Value), ApiError> {
    let hash = request_hash(&body);
    let now = Utc::now();
    let mut map = object(body)?;
    let event_id = take_string(&mut map, "id")?
        .ok_or_else(|| ApiError::bad_request("`id` is missing: every event carries its own id"))?;
    check_id("event", &event_id)?;
    map.entry("at").or_insert_with(|| Value::String(now.to_rfc3339()));
    map.entry("by").or_insert_with(|| Value::String(sender.name.clone()));
    let event: RecordedEvent = serde_json::from_value(Value::Object(map))
        .map_err(|e| ApiError::bad_request(format!("not an event: {e}")))?;
    check_not_future(engine::event_at(&event), now)?;
    let (status, body, fresh, actions) =
        with_retries!(event_once(state, ticket_id, &event_id, &event, &hash, now).await)?;
    state.metrics.event(status, fresh);
    state.metrics.actions(&actions);
    if status.is_success() { Ok((status, body)) } else { Err(ApiError::stored(status, body)) }
}

/// One attempt at an event: status, body, whether it was new (not a repeat), and its actions.
async fn event_once(
    state: &AppState,
    ticket_id: &str,
    event_id: &str,
    event: &RecordedEvent,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(StatusCode, Value, bool, Vec<Action>), Fail> {
    let state = state.clone();
    let (ticket_id, event_id, event, hash) =
        (ticket_id.to_string(), event_id.to_string(), event.clone(), hash.to_string());
    let store = state.store.clone();
    store
        .change(move |conn| {
            Box::pin(async move {
                event_in(conn, &state, &ticket_id, &event_id, &event, &hash, now).await
            })
        })
        .await
}

async fn event_in(
    tx: &mut AnyConnection,
    state: &AppState,
    ticket_id: &str,
    event_id: &str,
    event: &RecordedEvent,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(StatusCode, Value, bool, Vec<Action>), Fail> {
    let store = &state.store;
    let Some(mut stored) =
        read_stored(tx, &store.lock_ticket(STORED_COLUMNS, ""), ticket_id, None).await?
    else {
        return Err(ApiError::not_found(&format!("ticket `{ticket_id}`")).into());
    };
    let earlier: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT request_hash, status, response FROM intake WHERE ticket_id = $1 AND event_id = $2",
    )
    .bind(ticket_id)
    .bind(event_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((earlier_hash, status, response)) = earlier {
        if earlier_hash != hash {
            return Err(ApiError::conflict(
                "event_id_reused",
                format!(
                    "event `{event_id}` of ticket `{ticket_id}` was sent before with other content"
                ),
            )
            .into());
        }
        let status = StatusCode::from_u16(u16::try_from(status).unwrap_or(500))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Ok((status, serde_json::from_str(&response)?, false, Vec::new()));
    }
    let c = columns(&stored.ticket);
    let engine =
        state.policies.engine_on(&mut *tx, &c.policy, &c.version, &stored.calendar).await?;
    let (status, body, actions) = match engine.apply_recorded(&mut stored.ticket, event) {
        Err(rejection) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::engine::rejection_json(&rejection),
            Vec::new(),
        ),
        Ok(outcome) => {
            let line = engine::event_line(ticket_id, event);
            write(
                tx,
                Some(stored.counters),
                "",
                Change {
                    ticket: &stored.ticket,
                    engine: &engine,
                    rows: &outcome.rows,
                    actions: &outcome.actions,
                    line: Some((engine::event_at(event), line)),
                    restart_timeline: false,
                    recounted: false,
                    now,
                },
            )
            .await?;
            (StatusCode::OK, outcome_json(&outcome, &stored.ticket)?, outcome.actions)
        }
    };
    sqlx::query(
        "INSERT INTO intake (ticket_id, event_id, request_hash, status, response, received_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ticket_id)
    .bind(event_id)
    .bind(hash)
    .bind(i64::from(status.as_u16()))
    .bind(body.to_string())
    .bind(millis(now))
    .execute(&mut *tx)
    .await?;
    Ok((status, body, true, actions))
}

/// An outcome as an event's answer: the engine's outcome JSON and a summary of the ticket.
fn outcome_json(outcome: &Outcome, ticket: &Ticket) -> Result<Value, serde_json::Error> {
    let mut value = serde_json::to_value(outcome)?;
    let c = columns(ticket);
    if let Value::Object(map) = &mut value {
        map.insert(
            "ticket".into(),
            json!({
                "id": engine::ticket_id(ticket),
                "stage": c.stage,
                "tier": c.tier,
                "assignee": c.assignee,
                "flagged": c.flagged,
                "closed": c.closed,
            }),
        );
    }
    Ok(value)
}

/// Advances ticket `id` if it is due at `now` and no other instance holds it: fires every due
/// ladder step, breach and obligation deadline at its own instant. True when it changed.
pub async fn advance(state: &AppState, id: &str, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let actions = with_retries!(advance_once(state, id, now).await)?;
    if let Some(actions) = &actions {
        state.metrics.actions(actions);
        state.metrics.advanced.inc();
    }
    Ok(actions.is_some())
}

/// One attempt at advancing: the actions, or `None` when the ticket was not due or another
/// instance holds it.
async fn advance_once(
    state: &AppState,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Vec<Action>>, Fail> {
    let (state, id) = (state.clone(), id.to_string());
    let store = state.store.clone();
    store
        .change(move |conn| Box::pin(async move { advance_in(conn, &state, &id, now).await }))
        .await
}

async fn advance_in(
    tx: &mut AnyConnection,
    state: &AppState,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Vec<Action>>, Fail> {
    let store = &state.store;
    let sql = store.lock_ticket_skip_locked(STORED_COLUMNS, " AND next_wakeup_ms <= $2");
    let Some(mut stored) = read_stored(tx, &sql, id, Some(millis(now))).await? else {
        return Ok(None);
    };
    let c = columns(&stored.ticket);
    let engine =
        state.policies.engine_on(&mut *tx, &c.policy, &c.version, &stored.calendar).await?;
    let outcome = engine::advance_due(&engine, &mut stored.ticket, now).map_err(|r| {
        ApiError::internal(format_args!(
            "advancing ticket `{id}`: {}",
            crate::engine::rejection_json(&r)
        ))
    })?;
    write(
        tx,
        Some(stored.counters),
        "",
        Change {
            ticket: &stored.ticket,
            engine: &engine,
            rows: &outcome.rows,
            actions: &outcome.actions,
            line: None,
            restart_timeline: false,
            recounted: false,
            now,
        },
    )
    .await?;
    Ok(Some(outcome.actions))
}

/// A ticket with its timeline, clocks and next actions, as `GET /v1/tickets/{id}` shows it.
pub async fn read(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let row: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT state, timeline_from, timeline_rows FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.store.read)
            .await?;
    let Some((text, from, to)) = row else {
        return Err(ApiError::not_found(&format!("ticket `{id}`")));
    };
    let ticket = engine::ticket_from_json(&text)?;
    // The rows up to the count read with the state: rows are only ever appended.
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT row_json FROM timeline WHERE ticket_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .fetch_all(&state.store.read)
    .await?;
    let timeline =
        rows.iter().map(|(r,)| serde_json::from_str(r)).collect::<Result<Vec<Value>, _>>()?;
    let c = columns(&ticket);
    let engine = state.policies.engine(&state.store.read, &c.policy, &c.version).await?;
    engine::ticket_view(&engine, &ticket, timeline, Utc::now()).map_err(|r| ApiError::rejected(&r))
}

/// What the queue can be filtered by.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueFilter {
    /// Policy id.
    pub policy: Option<String>,
    /// Responsible tier.
    pub tier: Option<String>,
    /// Current stage.
    pub stage: Option<String>,
    /// The person handling it.
    pub assignee: Option<String>,
    /// Only flagged (`true`) or unflagged (`false`) tickets.
    pub flagged: Option<bool>,
    /// Only tickets past (`true`) or within (`false`) their deadline.
    pub overdue: Option<bool>,
    /// Only tickets whose earliest running deadline is before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// `open` (default), `closed` or `all`.
    pub state: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

/// The queue: open tickets by default, red flags and overdue tickets first, then by deadline.
pub async fn queue(state: &AppState, f: QueueFilter) -> Result<Value, ApiError> {
    enum Arg {
        Text(String),
        Int(i64),
    }
    let now = millis(Utc::now());
    let mut args = vec![Arg::Int(now)];
    let mut conditions: Vec<String> = Vec::new();
    let mut add = |column: &str, op: &str, arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        conditions.push(format!("{column} {op} ${}", args.len()));
    };
    match f.state.as_deref().unwrap_or("open") {
        "open" => add("closed", "=", Arg::Int(0), &mut args),
        "closed" => add("closed", "=", Arg::Int(1), &mut args),
        "all" => {}
        other => {
            return Err(ApiError::bad_request(format!(
                "`state` is `{other}`: use open, closed or all"
            )));
        }
    }
    for (column, value) in
        [("policy_id", f.policy), ("tier", f.tier), ("stage", f.stage), ("assignee", f.assignee)]
    {
        if let Some(v) = value {
            add(column, "=", Arg::Text(v), &mut args);
        }
    }
    if let Some(flagged) = f.flagged {
        add("flagged", "=", Arg::Int(i64::from(flagged)), &mut args);
    }
    if let Some(before) = f.due_before {
        add("deadline_ms", "<", Arg::Int(millis(before)), &mut args);
    }
    const OVERDUE: &str = "(closed = 0 AND deadline_ms IS NOT NULL AND deadline_ms <= $1)";
    match f.overdue {
        Some(true) => conditions.push(OVERDUE.into()),
        Some(false) => conditions.push(format!("NOT {OVERDUE}")),
        None => {}
    }
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    let offset = f.offset.unwrap_or(0).max(0);
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT id, policy_id, policy_version, stage, tier, assignee, flagged, closed, paused, \
         deadline_ms, provisional, next_wakeup_ms, opened_ms, updated_ms, \
         CASE WHEN {OVERDUE} THEN 1 ELSE 0 END AS overdue \
         FROM tickets {filter} \
         ORDER BY flagged DESC, overdue DESC, CASE WHEN deadline_ms IS NULL THEN 1 ELSE 0 END, deadline_ms, id \
         LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql);
    for arg in args {
        q = match arg {
            Arg::Text(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
        };
    }
    use sqlx::Row;
    let rows = q.fetch_all(&state.store.read).await?;
    let mut tickets = Vec::with_capacity(rows.len());
    for r in rows {
        let at = |name: &str| -> Result<Option<DateTime<Utc>>, sqlx::Error> {
            Ok(r.try_get::<Option<i64>, _>(name)?.and_then(instant))
        };
        tickets.push(json!({
            "id": r.try_get::<String, _>("id")?,
            "policy": r.try_get::<String, _>("policy_id")?,
            "version": r.try_get::<String, _>("policy_version")?,
            "stage": r.try_get::<String, _>("stage")?,
            "tier": r.try_get::<Option<String>, _>("tier")?,
            "assignee": r.try_get::<Option<String>, _>("assignee")?,
            "flagged": r.try_get::<i64, _>("flagged")? != 0,
            "overdue": r.try_get::<i64, _>("overdue")? != 0,
            "closed": r.try_get::<i64, _>("closed")? != 0,
            "paused": r.try_get::<i64, _>("paused")? != 0,
            "deadline": at("deadline_ms")?,
            "provisional": r.try_get::<i64, _>("provisional")? != 0,
            "next_wakeup": at("next_wakeup_ms")?,
            "opened_at": at("opened_ms")?,
            "updated_at": at("updated_ms")?,
        }));
    }
    Ok(json!({ "tickets": tickets, "limit": limit, "offset": offset }))
}

/// How to migrate tickets to another version of their policy.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateRequest {
    /// Target version (default: the latest deployed).
    pub to: Option<String>,
    /// `keep_deadlines` (default) or `recompute`.
    pub how: Option<String>,
    /// Only these tickets (default: every open ticket of the policy on another version).
    pub tickets: Option<Vec<String>>,
    /// Only tickets on this version.
    pub from: Option<String>,
    /// Show what would change, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Migrates open tickets of `policy` (each in its own transaction) or previews it.
pub async fn migrate(
    state: &AppState,
    policy: &str,
    req: MigrateRequest,
) -> Result<Value, ApiError> {
    let store = &state.store;
    let to = match req.to {
        Some(v) => v,
        None => state.policies.current(store, policy).await?,
    };
    let recompute = match req.how.as_deref().unwrap_or("keep_deadlines") {
        "keep_deadlines" => false,
        "recompute" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "`how` is `{other}`: use keep_deadlines or recompute"
            )));
        }
    };
    let target = state.policies.engine(&store.read, policy, &to).await?;
    let ids: Vec<String> = match req.tickets {
        Some(ids) => ids,
        None => sqlx::query_as::<_, (String,)>(
            "SELECT id FROM tickets WHERE policy_id = $1 AND policy_version <> $2 AND closed = 0 \
             AND ($3 = '' OR policy_version = $3) ORDER BY id",
        )
        .bind(policy)
        .bind(&to)
        .bind(req.from.as_deref().unwrap_or(""))
        .fetch_all(&store.read)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect(),
    };
    let mut results = Vec::with_capacity(ids.len());
    let (mut migrated, mut refused) = (0, 0);
    for id in &ids {
        let result =
            with_retries!(migrate_once(state, policy, id, &target, recompute, req.dry_run).await)?;
        if result.get("refused").is_some() {
            refused += 1;
        } else if result.get("unchanged").is_none() {
            migrated += 1;
        }
        results.push(result);
    }
    Ok(json!({
        "policy": policy,
        "to": to,
        "how": if recompute { "recompute" } else { "keep_deadlines" },
        "dry_run": req.dry_run,
        "migrated": migrated,
        "refused": refused,
        "tickets": results,
    }))
}

async fn migrate_once(
    state: &AppState,
    policy: &str,
    id: &str,
    target: &Arc<Engine>,
    recompute: bool,
    dry_run: bool,
) -> Result<Value, Fail> {
    let (state, policy, id, target) =
        (state.clone(), policy.to_string(), id.to_string(), target.clone());
    let store = state.store.clone();
    store
        .change(move |conn| {
            Box::pin(async move {
                migrate_in(conn, &state, &policy, &id, &target, recompute, dry_run).await
            })
        })
        .await
}

async fn migrate_in(
    tx: &mut AnyConnection,
    state: &AppState,
    policy: &str,
    id: &str,
    target: &Engine,
    recompute: bool,
    dry_run: bool,
) -> Result<Value, Fail> {
    let store = &state.store;
    let Some(stored) = read_stored(tx, &store.lock_ticket(STORED_COLUMNS, ""), id, None).await?
    else {
        return Ok(
            json!({"id": id, "refused": {"code": "not_found", "message": format!("ticket `{id}` does not exist")}}),
        );
    };
    let c = columns(&stored.ticket);
    if c.policy != policy {
        return Ok(
            json!({"id": id, "refused": {"code": "other_policy", "message": format!("ticket `{id}` runs policy `{}`", c.policy)}}),
        );
    }
    let source = state.policies.engine(&mut *tx, &c.policy, &c.version).await.ok();
    let (ticket, outcome) = match engine::migrate(target, &stored.ticket, recompute) {
        Ok(done) => done,
        Err(r) => return Ok(json!({"id": id, "refused": crate::engine::rejection_json(&r)})),
    };
    let summary = engine::migration_summary(&stored.ticket, &ticket, source.as_deref(), target);
    let mut result = match summary {
        Ok(summary) => summary,
        Err(r) => return Ok(json!({"id": id, "refused": crate::engine::rejection_json(&r)})),
    };
    result["id"] = id.into();
    if ticket == stored.ticket {
        result["unchanged"] = true.into();
        return Ok(result);
    }
    if !dry_run {
        write(
            tx,
            Some(stored.counters),
            "",
            Change {
                ticket: &ticket,
                engine: target,
                rows: &outcome.rows,
                actions: &[],
                line: None,
                restart_timeline: recompute,
                recounted: recompute,
                now: Utc::now(),
            },
        )
        .await?;
    }
    Ok(result)
}
