//! Every use of the engine crate, in one place: the types the server passes around, re-exported,
//! and the few adapters that read what the server stores or indexes out of them. Nothing else in
//! the server names `ombud_engine`, so following a change of the engine's API is one file.
//!
//! The server speaks the engine's own JSON: tickets as the engine serialises them, events and
//! openings in the engine's shapes, ledger lines exactly as `ombud replay` reads them, timeline
//! rows, actions, refusals and diagnostics as the engine writes them.

use chrono::{DateTime, NaiveDate, Utc};
use ombud_engine::calendar::Calendar;
use ombud_engine::check::{Source, calendar_coverage};
use ombud_engine::ledger::{LedgerOpen, ReplayOptions, ReportOptions, build_report, replay};
use ombud_engine::policy::convert::convert;
use ombud_engine::yaml::{Document, parse_tree};
use serde_json::{Map, Value};
use std::io::BufRead;
use std::sync::Arc;

pub use ombud_engine::check::Diagnostic;
pub use ombud_engine::ledger::{LedgerLine, Period, Report, SplitMix64, seeded_hash};
pub use ombud_engine::runtime::{
    Action, ActionKind, Engine, Event, Migration, OpenTicket, Outcome, Rejection, Ticket,
    TimelineRow,
};

/// The diagnostic code of a policy the server refuses because its calendar is a file: the server
/// runs policies on the calendars bundled with it (documented in `docs/diagnostics.md`).
pub const CALENDAR_FILE_CODE: &str = "E0701";

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
    let calendar = parse_tree(text, Document::Policy).ok().and_then(|t| convert(&t).0.calendar);
    if let Some(spec) =
        calendar.filter(|c| Calendar::bundled(&c.id.value).is_none() && is_path(&c.id.value))
    {
        let bundled =
            Calendar::bundled_ids().iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ");
        return Err(vec![
            Diagnostic::error(
                CALENDAR_FILE_CODE,
                format!(
                    "calendar `{}` is a file; the server runs bundled calendars only",
                    spec.id.value
                ),
            )
            .with_span(spec.id.span)
            .with_hint(format!("name a bundled calendar: {bundled}"))
            .with_source(&Source::new(name, text)),
        ]);
    }
    let (policy, mut warnings) = ombud_engine::load_policy(name, text, None)?;
    let today =
        today.unwrap_or_else(|| Utc::now().with_timezone(&policy.calendar.tz()).date_naive());
    warnings.extend(calendar_coverage(&policy, today));
    let (id, version, digest) = (policy.id.clone(), policy.version.clone(), policy.digest.clone());
    Ok(Compiled { engine: Arc::new(Engine::new(Arc::new(policy))), id, version, digest, warnings })
}

/// Whether a calendar reference names a file, as the engine tells ids from paths.
fn is_path(reference: &str) -> bool {
    reference.contains(['/', '\\']) || reference.ends_with(".yaml") || reference.ends_with(".yml")
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
    let paused = ticket.clock.as_ref().is_some_and(|c| c.paused.is_some());
    if !closed {
        if let Some(c) = ticket.clock.as_ref().filter(|c| c.paused.is_none()) {
            consider(c.deadline, c.provisional);
        }
        for (_, o) in ticket.obligations.iter().filter(|(_, o)| o.done.is_none()) {
            consider(o.deadline, o.provisional);
        }
    }
    Columns {
        policy: ticket.policy.id.clone(),
        version: ticket.policy.version.clone(),
        stage: ticket.stage.to_string(),
        tier: ticket.tier.as_deref().map(str::to_string),
        assignee: ticket.assignee.as_deref().map(str::to_string),
        flagged: ticket.flagged,
        closed,
        paused,
        deadline: deadline.map(|(d, _)| d),
        provisional: deadline.is_some_and(|(_, p)| p),
        opened_at: ticket.opened_at,
    }
}

/// The ticket's id.
pub fn ticket_id(ticket: &Ticket) -> &str {
    &ticket.id
}

/// The ticket as the server stores it (the engine's ticket JSON).
pub fn ticket_to_json(ticket: &Ticket) -> Result<String, serde_json::Error> {
    serde_json::to_string(ticket)
}

/// A stored ticket read back.
pub fn ticket_from_json(text: &str) -> Result<Ticket, serde_json::Error> {
    serde_json::from_str(text)
}

/// The ledger line of an opening: `{"ticket":…,"open":{"at","complainant","fields"}}`.
pub fn opening_line(
    open: &OpenTicket,
    complainant: Option<String>,
) -> Result<String, serde_json::Error> {
    let body = LedgerOpen { at: open.at, complainant, fields: open.fields.clone() };
    serde_json::to_string(&LedgerLine::opening(open.id.as_str(), body))
}

/// The ledger line of an accepted event: `{"ticket":…,"event":{…}}`.
pub fn event_line(ticket: &str, event: &Event) -> Result<String, serde_json::Error> {
    serde_json::to_string(&LedgerLine::event(ticket, event.clone()))
}

/// The instant an event happened at.
pub fn event_at(event: &Event) -> DateTime<Utc> {
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
    while let Some(due) = engine.next_wakeup(ticket).filter(|due| *due <= now) {
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
    all.next_wakeup = engine.next_wakeup(ticket);
    Ok(all)
}

/// The next instant `advance` would change the ticket.
pub fn next_wakeup(engine: &Engine, ticket: &Ticket) -> Option<DateTime<Utc>> {
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
/// breaches before and after.
pub fn migration_summary(
    before: &Ticket,
    after: &Ticket,
    engine_before: Option<&Engine>,
    engine_after: &Engine,
) -> Value {
    let side = |t: &Ticket, wakeup: Option<DateTime<Utc>>| {
        let c = columns(t);
        serde_json::json!({
            "version": c.version,
            "stage": c.stage,
            "tier": c.tier,
            "deadline": c.deadline,
            "next_wakeup": wakeup,
            "breaches": t.stats.breaches,
            "closed": c.closed,
        })
    };
    serde_json::json!({
        "before": side(before, engine_before.and_then(|e| e.next_wakeup(before))),
        "after": side(after, engine_after.next_wakeup(after)),
    })
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
/// (as `ombud report` builds it).
pub fn report<R: BufRead>(
    engine: &Engine,
    ledger: R,
    period: Period,
    seed: u64,
    repeat_window_days: u32,
) -> Result<Report, String> {
    let lean = engine.clone().without_history().without_row_text();
    let options = ReplayOptions { threads: 1, keep_tickets: true, ..ReplayOptions::default() };
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
        assert_eq!(once.clock_at, now);
        assert_eq!(stepwise.clock_at, at("2026-03-02T15:00:00Z"));
        assert_eq!(one_by_one.next_wakeup, None);
        // Nothing else differs.
        stepwise.clock_at = now;
        assert_eq!(stepwise, once);
    }
}
