//! Every use of the engine crate, in one place: the types the server passes around, re-exported,
//! and the few adapters that read what the server stores or indexes out of them. Nothing else in
//! the server names `ombud_engine`, so following a change of the engine's API is one file.
//!
//! The server speaks the engine's own JSON: tickets as the engine serialises them, events and
//! openings in the engine's shapes, ledger lines exactly as `ombud replay` reads them, timeline
//! rows, actions, refusals and diagnostics as the engine writes them.

use chrono::{DateTime, NaiveDate, Utc};
use ombud_engine::calendar::Calendar;
use ombud_engine::check::{DiagnosticCode, Source, calendar_coverage};
use ombud_engine::ledger::{CalendarUpdates, ReplayOptions, ReportOptions, build_report, replay};
use ombud_engine::policy::{calendar_file, load_policy_on_calendar};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;

pub use ombud_engine::check::Diagnostic;
pub use ombud_engine::ledger::{Count, LedgerLine, Period, Report};
pub use ombud_engine::policy::StageGraph;
pub use ombud_engine::runtime::{
    Action, ActionKind, ClockUpdate, Engine, Migration, OpenTicket, Outcome, RecordedEvent,
    Rejection, Ticket, TimelineRow, UpdateSummary,
};

/// A working-day calendar, shared.
pub type SharedCalendar = Arc<Calendar>;

/// A policy compiled for running, with what the server records of it.
pub struct Compiled {
    /// The engine that runs tickets under it.
    pub engine: Arc<Engine>,
    /// `policy:` id.
    pub id: String,
    /// `version:`.
    pub version: String,
    /// SHA-256 of the source text, as tickets pin it.
    pub digest: String,
    /// Warnings (the policy still runs), the calendar-coverage warning included.
    pub warnings: Vec<Diagnostic>,
}

/// Lints and compiles a policy's text. `name` is the file name the diagnostics show; `today`
/// (in the calendar's zone when `None`) dates the calendar-coverage warning. A policy naming a
/// calendar file is refused before anything reads it: a client must not make the server read
/// files from its disk.
pub fn compile_policy(
    name: &str,
    text: &str,
    today: Option<NaiveDate>,
) -> Result<Compiled, Vec<Diagnostic>> {
    compile_policy_on(name, text, today, &HashMap::new())
}

/// [`compile_policy`], with a deployed calendar standing in for the bundled one the policy
/// names when `stand_ins` has one for its id (`cn-mainland` → the calendar that extends it with
/// next year's data). The policy's digest is its text's either way, so its tickets run on.
pub fn compile_policy_on(
    name: &str,
    text: &str,
    today: Option<NaiveDate>,
    stand_ins: &HashMap<String, SharedCalendar>,
) -> Result<Compiled, Vec<Diagnostic>> {
    if let Some((file, at)) = calendar_file(text) {
        let bundled =
            Calendar::bundled_ids().iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ");
        return Err(vec![
            Diagnostic::error(
                DiagnosticCode::E0701,
                format!("calendar `{file}` is a file; the server runs bundled calendars only"),
            )
            .with_span(at)
            .with_hint(format!("name a bundled calendar: {bundled}"))
            .with_source(&Source::new(name, text)),
        ]);
    }
    let (mut policy, mut warnings) =
        ombud_engine::load_policy(name, text, None).map_err(|e| e.into_diagnostics())?;
    if let Some(calendar) = stand_ins.get(policy.calendar().id()) {
        (policy, warnings) = load_policy_on_calendar(name, text, None, Arc::clone(calendar))
            .map_err(|e| e.into_diagnostics())?;
    }
    let today =
        today.unwrap_or_else(|| Utc::now().with_timezone(&policy.calendar().tz()).date_naive());
    warnings.extend(calendar_coverage(&policy, today));
    let (id, version, digest) =
        (policy.id().to_string(), policy.version().to_string(), policy.digest().to_string());
    Ok(Compiled { engine: Arc::new(Engine::new(Arc::new(policy))), id, version, digest, warnings })
}

/// A calendar update, loaded: a calendar file that extends a bundled calendar with more (or
/// corrected) data.
pub struct CompiledCalendar {
    /// The calendar.
    pub calendar: SharedCalendar,
    /// Its `id:`.
    pub id: String,
    /// The bundled calendar it extends (and stands in for).
    pub extends: String,
    /// The last date its data covers.
    pub covered_until: Option<NaiveDate>,
}

/// Lints and loads a calendar update's text as `ombud lint` does (every located diagnostic).
/// It must `extends:` a bundled calendar by id: a path would make the server read its own disk
/// for a client, and a calendar standing alone replaces no calendar a policy names.
pub fn compile_calendar(name: &str, text: &str) -> Result<CompiledCalendar, Vec<Diagnostic>> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        extends: Option<String>,
    }
    let source = Source::new(name, text);
    let bundled =
        Calendar::bundled_ids().iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ");
    // Only a readable `extends:` is judged here; anything else is left to the calendar loader,
    // which reports it located.
    if let Ok(Head { extends }) = serde_saphyr::from_str::<Head>(text) {
        let refusal = match extends.as_deref() {
            None => Some((
                DiagnosticCode::E0508,
                "a calendar update must `extends:` the bundled calendar it adds data to"
                    .to_string(),
            )),
            Some(base) if Calendar::bundled(base).is_none() => Some((
                DiagnosticCode::E0507,
                format!(
                    "`extends: {base}` is not a bundled calendar; the server extends bundled calendars only"
                ),
            )),
            Some(_) => None,
        };
        if let Some((code, message)) = refusal {
            let mut d = Diagnostic::error(code, message)
                .with_hint(format!("extend a bundled calendar: {bundled}"));
            // Without the key, the file's start.
            let span = top_level_key(text, "extends")
                .unwrap_or(ombud_engine::check::Span::new(1, 1, 0, 0));
            d = d.with_span(span);
            return Err(vec![d.with_source(&source)]);
        }
    }
    let calendar = Calendar::from_yaml(name, text, None)?;
    let extends = match serde_saphyr::from_str::<Head>(text) {
        Ok(Head { extends: Some(base) }) => base,
        _ => String::new(),
    };
    Ok(CompiledCalendar {
        id: calendar.id().to_string(),
        covered_until: calendar.covered_until(),
        calendar: Arc::new(calendar),
        extends,
    })
}

/// Where a top-level key's value starts (`extends: cn-mainland` → the `c`), for a diagnostic.
fn top_level_key(text: &str, key: &str) -> Option<ombud_engine::check::Span> {
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
            let value = rest.trim_start();
            let at = offset + key.len() + 1 + (rest.len() - value.len());
            let column = text[offset..at].chars().count() + 1;
            let len = value.trim_end().len();
            return Some(ombud_engine::check::Span::new(
                u32::try_from(n + 1).ok()?,
                u32::try_from(column).ok()?,
                at,
                len,
            ));
        }
        offset += line.len();
    }
    None
}

/// The id of the calendar a policy's engine counts on (a deployed update's, when one stands in).
pub fn calendar_id(engine: &Engine) -> &str {
    engine.policy().calendar().id()
}

/// Refuses `engine`'s calendar standing in for `previous` when it lacks what `previous` has
/// (covered dates, time zone, workweek, business hours, cutoff):
/// [`Engine::check_calendar_update`].
pub fn check_calendar_update(engine: &Engine, previous: &Calendar) -> Result<(), Rejection> {
    engine.check_calendar_update(previous)
}

/// Brings `ticket`'s clocks onto `engine`'s calendar from `previous`, the engine whose calendar
/// they were counted on ([`Engine::recalendar`]): each provisional deadline confirmed or moved.
pub fn recalendar(
    engine: &Engine,
    previous: &Engine,
    ticket: &mut Ticket,
    at: DateTime<Utc>,
) -> Result<(Outcome, Vec<ClockUpdate>), Rejection> {
    engine.recalendar(ticket, previous.policy().calendar(), at)
}

/// The instant of the ticket's clock: nothing before it may change it.
pub fn clock_at(ticket: &Ticket) -> DateTime<Utc> {
    ticket.clock_at()
}

/// Diagnostics in the engine's JSON shape:
/// `[{"severity","code","message","file","line","column","hint"}]`.
pub fn diagnostics_json(diagnostics: &[Diagnostic]) -> Value {
    Value::Array(
        diagnostics
            .iter()
            .map(|d| serde_json::to_value(d.to_json()).unwrap_or(Value::Null))
            .collect(),
    )
}

/// Whether a diagnostic is an error (not a warning).
pub fn is_error(diagnostic: &Diagnostic) -> bool {
    diagnostic.is_error()
}

/// A refusal as the engine serialises it (`code` beside its details) plus its `message`.
pub fn rejection_json(rejection: &Rejection) -> Value {
    let mut value = serde_json::to_value(rejection).unwrap_or_else(|_| Value::Object(Map::new()));
    if let Value::Object(map) = &mut value {
        map.insert("code".into(), rejection.code().into());
        map.insert("message".into(), rejection.to_string().into());
    }
    value
}

/// What the server indexes of a ticket, for the queue and the timers.
#[derive(Clone, Debug, PartialEq)]
pub struct Columns {
    /// Policy id the ticket is pinned to.
    pub policy: String,
    /// Policy version the ticket is pinned to.
    pub version: String,
    /// Current stage.
    pub stage: String,
    /// Responsible tier.
    pub tier: Option<String>,
    /// The person handling it, if named.
    pub assignee: Option<String>,
    /// Red flag of the current stage visit.
    pub flagged: bool,
    /// Reached a terminal stage.
    pub closed: bool,
    /// The stage clock is stopped.
    pub paused: bool,
    /// The earliest running deadline: the stage clock's (unless paused) or an open obligation's.
    pub deadline: Option<DateTime<Utc>>,
    /// Whether that deadline rests on days beyond the calendar's data.
    pub provisional: bool,
    /// When the complaint was received.
    pub opened_at: DateTime<Utc>,
}

/// The indexed columns of `ticket`.
pub fn columns(ticket: &Ticket) -> Columns {
    let closed = ticket.is_closed();
    let mut deadline: Option<(DateTime<Utc>, bool)> = None;
    let mut consider = |at: DateTime<Utc>, provisional: bool| {
        if deadline.is_none_or(|(d, _)| at < d) {
            deadline = Some((at, provisional));
        }
    };
    let paused = ticket.clock().is_some_and(|c| c.paused.is_some());
    if !closed {
        if let Some(c) = ticket.clock().filter(|c| c.paused.is_none()) {
            consider(c.deadline, c.provisional);
        }
        for (_, o) in ticket.obligations().iter().filter(|(_, o)| o.done.is_none()) {
            consider(o.clock.deadline, o.clock.provisional);
        }
    }
    Columns {
        policy: ticket.policy().id.clone(),
        version: ticket.policy().version.clone(),
        stage: ticket.stage().to_string(),
        tier: ticket.tier().map(str::to_string),
        assignee: ticket.assignee().map(str::to_string),
        flagged: ticket.flagged(),
        closed,
        paused,
        deadline: deadline.map(|(d, _)| d),
        provisional: deadline.is_some_and(|(_, p)| p),
        opened_at: ticket.opened_at(),
    }
}

/// The ticket's id.
pub fn ticket_id(ticket: &Ticket) -> &str {
    ticket.id()
}

/// The ticket as the server stores it (the engine's ticket JSON).
pub fn ticket_to_json(ticket: &Ticket) -> Result<String, serde_json::Error> {
    serde_json::to_string(ticket)
}

/// A stored ticket read back.
pub fn ticket_from_json(text: &str) -> Result<Ticket, serde_json::Error> {
    serde_json::from_str(text)
}

/// The ledger line of an opening: `{"ticket":…,"open":{"at","complainant","fields"}}`, with
/// `"calendar"` when the ticket is opened on a deployed calendar update (`calendar`: its id;
/// `None`: on the calendar the policy names).
pub fn opening_line_on(
    open: &OpenTicket,
    complainant: Option<&str>,
    calendar: Option<&str>,
) -> String {
    ombud_engine::ledger::opening_line_on(open, complainant, calendar)
}

/// The ledger line of a calendar update that brought ticket `ticket` onto calendar `calendar`
/// at `at`: `{"ticket":…,"calendar":{"at","id"}}`.
pub fn calendar_line(ticket: &str, at: DateTime<Utc>, calendar: &str) -> String {
    ombud_engine::ledger::calendar_line(ticket, at, calendar)
}

/// The ledger line of an accepted event: `{"ticket":…,"event":{…}}`.
pub fn event_line(ticket: &str, event: &RecordedEvent) -> String {
    ombud_engine::ledger::event_line(ticket, event)
}

/// The instant an event happened at.
pub fn event_at(event: &RecordedEvent) -> DateTime<Utc> {
    event.at
}

/// Brings `ticket` up to `now` one due item at a time: every ladder step, breach and obligation
/// deadline fires at its own instant, and the ticket's clock stops at the last of them (not at
/// `now`), so an event that happened after that instant but reached the server a little later is
/// still in order. One outcome with every row and action, and the next wake-up.
pub fn advance_due(
    engine: &Engine,
    ticket: &mut Ticket,
    now: DateTime<Utc>,
) -> Result<Outcome, Rejection> {
    let mut all = Outcome::default();
    let mut last = None;
    while let Some(due) = engine.next_wakeup(ticket)?.filter(|due| *due <= now) {
        if last.is_some_and(|l| due <= l) {
            // Advancing to an instant changes nothing more: stop rather than spin.
            break;
        }
        last = Some(due);
        let outcome = engine.advance(ticket, due)?;
        all.rows.extend(outcome.rows);
        all.actions.extend(outcome.actions);
        for e in outcome.condition_errors {
            if !all.condition_errors.contains(&e) {
                all.condition_errors.push(e);
            }
        }
    }
    all.next_wakeup = engine.next_wakeup(ticket)?;
    Ok(all)
}

/// The next instant `advance` would change the ticket (refused when the ticket does not run
/// under `engine`'s policy).
pub fn next_wakeup(engine: &Engine, ticket: &Ticket) -> Result<Option<DateTime<Utc>>, Rejection> {
    engine.next_wakeup(ticket)
}

/// A ticket as the API shows it: the engine's ticket JSON, plus `clocks` (each running clock at
/// `now`), `next_actions` (what it accepts and waits for) and `timeline`.
pub fn ticket_view(
    engine: &Engine,
    ticket: &Ticket,
    timeline: Vec<Value>,
    now: DateTime<Utc>,
) -> Result<Value, Rejection> {
    let next = engine.next_actions(ticket, now)?;
    let mut view = serde_json::to_value(ticket).unwrap_or(Value::Null);
    let mut next = serde_json::to_value(next).unwrap_or(Value::Null);
    let clocks = next.as_object_mut().and_then(|n| n.remove("clocks")).unwrap_or_default();
    if let Value::Object(map) = &mut view {
        map.insert("clocks".into(), clocks);
        map.insert("next_actions".into(), next);
        map.insert("timeline".into(), Value::Array(timeline));
    }
    Ok(view)
}

/// What a migration would change, for the preview: stage, tier, deadline, next wake-up and
/// breaches before and after (refused when a ticket does not run under its engine's policy).
pub fn migration_summary(
    before: &Ticket,
    after: &Ticket,
    engine_before: Option<&Engine>,
    engine_after: &Engine,
) -> Result<Value, Rejection> {
    let side = |t: &Ticket, wakeup: Option<DateTime<Utc>>| {
        let c = columns(t);
        serde_json::json!({
            "version": c.version,
            "stage": c.stage,
            "tier": c.tier,
            "deadline": c.deadline,
            "next_wakeup": wakeup,
            "breaches": t.stats().breaches,
            "closed": c.closed,
        })
    };
    let wakeup_before = match engine_before {
        Some(e) => e.next_wakeup(before)?,
        None => None,
    };
    Ok(serde_json::json!({
        "before": side(before, wakeup_before),
        "after": side(after, engine_after.next_wakeup(after)?),
    }))
}

/// Migrates `ticket` to `engine`'s policy: `recompute` replays its recorded events under the new
/// policy, anything else keeps its stage and deadlines.
pub fn migrate(
    engine: &Engine,
    ticket: &Ticket,
    recompute: bool,
) -> Result<(Ticket, Outcome), Rejection> {
    let how = if recompute { Migration::Recompute } else { Migration::KeepDeadlines };
    engine.migrate(ticket, how)
}

/// The period report of a ledger under `engine`'s policy, built by the engine's own report code
/// (as `ombud report` builds it). `updates` is the policy on each calendar update the ledger's
/// `calendar` lines (and openings on an update) may name.
pub fn report<R: BufRead>(
    engine: &Engine,
    updates: &[Arc<Engine>],
    ledger: R,
    period: Period,
    seed: u64,
    repeat_window_days: u32,
) -> Result<Report, String> {
    // A calendar update reads a clock's pauses from the history: with updates, it is kept.
    let prepare =
        |e: Engine| if updates.is_empty() { e.without_history() } else { e }.without_row_text();
    let lean = prepare(engine.clone());
    let mut calendars = CalendarUpdates::default();
    for e in updates {
        calendars.insert(vec![prepare(Engine::clone(e))]);
    }
    let options = ReplayOptions {
        threads: 1,
        keep_tickets: true,
        calendars: Some(&calendars),
        ..ReplayOptions::default()
    };
    let result =
        replay(std::slice::from_ref(&lean), ledger, &options).map_err(|e| e.to_string())?;
    let options = ReportOptions {
        period,
        seed,
        repeat_window_secs: i64::from(repeat_window_days) * 86_400,
        repeat_window: format!("{repeat_window_days}d"),
    };
    Ok(build_report(engine.policy(), &result.tickets, &options))
}

/// The action kind's name as JSON writes it (`flag`, `notify`, `escalate`, `reassign`,
/// `breach`).
pub fn action_kind(action: &Action) -> String {
    serde_json::to_value(action.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Whether `name` is an action kind (as JSON writes them).
pub fn is_action_kind(name: &str) -> bool {
    serde_json::from_value::<ActionKind>(Value::String(name.to_string())).is_ok()
}

/// The policy's title, if it has one.
pub fn policy_title(engine: &Engine) -> Option<String> {
    engine.policy().title().map(str::to_string)
}

/// The policy's tiers, lowest first.
pub fn policy_tiers(engine: &Engine) -> Vec<String> {
    engine.policy().tiers().to_vec()
}

/// The policy's stage names, in the policy's order.
pub fn policy_stages(engine: &Engine) -> Vec<String> {
    engine.policy().stages().iter().map(|s| s.name.clone()).collect()
}

/// The policy's stage graph (what `ombud graph` draws).
pub fn stage_graph(engine: &Engine) -> StageGraph {
    StageGraph::of(engine.policy())
}

/// The id of the policy's calendar and its time zone (`cn-mainland`, `Asia/Shanghai`).
pub fn calendar_zone(engine: &Engine) -> (String, String) {
    let calendar = engine.policy().calendar();
    (calendar.id().to_string(), calendar.tz().name().to_string())
}

/// An instant in the policy calendar's zone: the day it belongs to and its time of day, with
/// local midnight as `24:00` of the day it ends (how statutory deadlines are spoken of, as in
/// the engine's timelines); seconds only when there are some.
pub fn local_day_time(engine: &Engine, at: DateTime<Utc>) -> (NaiveDate, String) {
    let tz = engine.policy().calendar().tz();
    let local = at.with_timezone(&tz).naive_local();
    let human = ombud_engine::timefmt::human(tz, at);
    // `human` ends with the time (`Wed 25 Feb 2026 24:00`); the day is the one before local
    // midnight's when it says 24:00.
    let time = human.rsplit(' ').next().unwrap_or_default().to_string();
    let day = if time.starts_with("24:00") {
        (at - chrono::TimeDelta::seconds(1)).with_timezone(&tz).date_naive()
    } else {
        local.date()
    };
    (day, time)
}

/// A local date and time typed into the board (`2026-02-25T17:30`, as an HTML `datetime-local`
/// input sends it) read in the policy calendar's zone.
pub fn local_to_instant(engine: &Engine, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let tz = engine.policy().calendar().tz();
    tz.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
}

/// How a running clock's deadline was counted, for a person to check against a wall calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockExplanation {
    /// The explanation as the engine writes it: the counting rule, the days walked from the
    /// clock's start, pauses, the ladder steps, a breach.
    pub text: String,
    /// Set when the clock's deadline is not the counted one (a pause moved it): the deadline
    /// the clock holds now.
    pub moved_to: Option<DateTime<Utc>>,
}

/// Explains clock `name` of `ticket` (its current stage's, or an obligation's) as the engine
/// does ([`Engine::explain`]); `None` when the ticket has no such clock or runs under another
/// policy.
pub fn explain_clock(engine: &Engine, ticket: &Ticket, name: &str) -> Option<ClockExplanation> {
    let why = engine.explain(ticket, name).ok().flatten()?;
    let moved = why.deadline != why.derivation.deadline;
    Some(ClockExplanation {
        text: why.to_string(),
        moved_to: moved.then(|| why.deadline.with_timezone(&Utc)),
    })
}

/// A ticket read from its view (the engine's ticket JSON with the server's additions).
pub fn ticket_from_view(view: &Value) -> Result<Ticket, serde_json::Error> {
    Ticket::deserialize(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESK: &str = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 50%, do: flag }\n    - { at: 100%, do: escalate, to: next }\n    - { at: deadline + 2h, do: notify }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";

    /// The engine's `advance(ticket, now)` fires every due step at its own instant; the
    /// server's `advance_due` fires the same rows and actions, one instant at a time, and stops
    /// the ticket's clock at the last of them instead of at `now`.
    #[test]
    fn advance_due_fires_what_advance_fires_each_at_its_instant() {
        let compiled = compile_policy("desk.yaml", DESK, None).unwrap();
        let engine = &compiled.engine;
        let input: OpenTicket =
            serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
        let (opened, _) = engine.open(&input).unwrap();
        let now: DateTime<Utc> = "2026-03-03T09:00:00Z".parse().unwrap();
        let (mut once, mut stepwise) = (opened.clone(), opened);
        let all_at_once = engine.advance(&mut once, now).unwrap();
        let one_by_one = advance_due(engine, &mut stepwise, now).unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let fired: Vec<(&str, DateTime<Utc>)> =
            all_at_once.rows.iter().map(|r| (r.kind.as_str(), r.at)).collect();
        assert_eq!(
            fired,
            [
                ("flag", at("2026-03-02T11:00:00Z")),
                ("breach", at("2026-03-02T13:00:00Z")),
                ("escalate", at("2026-03-02T13:00:00Z")),
                ("notify", at("2026-03-02T15:00:00Z")),
            ]
        );
        assert_eq!(one_by_one.rows, all_at_once.rows);
        assert_eq!(one_by_one.actions, all_at_once.actions);
        assert_eq!(once.clock_at(), now);
        assert_eq!(stepwise.clock_at(), at("2026-03-02T15:00:00Z"));
        assert_eq!(one_by_one.next_wakeup, None);
        // Nothing else differs: advancing the stepwise ticket to `now` fires nothing more and
        // makes it the ticket advanced at once.
        let rest = engine.advance(&mut stepwise, now).unwrap();
        assert!(rest.rows.is_empty() && rest.actions.is_empty());
        assert_eq!(stepwise, once);
    }
}
