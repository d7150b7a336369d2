//! Policies and helpers the runtime tests share.

use chrono::{DateTime, Utc};
use ombud_engine::policy::CompiledPolicy;
use ombud_engine::runtime::{Engine, Event, OpenTicket, RowKind, Ticket};
use std::sync::Arc;

pub(crate) const FOCUSED: &str = r#"
policy: focused
version: "1"
calendar: cn-mainland
fields:
  amount: { type: number, default: 0 }
  departments: { type: list }
  text: { type: string }
  urgent: { type: bool }
  kind: { type: enum, values: [a, b] }
derive:
  severity:
    - { value: major, when: 'amount >= 1000' }
    - { value: general }
tiers: [frontline, supervisor, management]
groups:
  joint:
    when: 'departments.len() > 1'
    lead: management
    members: { tier: supervisor, per: departments }
    stages: [work]
    complete: all
ladders:
  std:
    - { at: 50%, do: flag, notify: owner }
    - { at: 100%, do: escalate, to: next, mark: performance }
    - { at: deadline + 1 working day, do: escalate, to: management }
ladder: std
start: new
stages:
  new:
    owner: frontline
    due: 2h
    on: { take: work }
    auto: [ { to: fast, when: 'urgent' } ]
  fast: { owner: management, due: 1h, on: { done: closed } }
  work:
    owner: [ { when: 'severity == "major"', tier: supervisor }, { tier: frontline } ]
    due: [ { when: 'severity == "major"', within: 7 working days }, { within: 3 working days } ]
    requires: [report]
    on:
      done: closed
      approve: { to: closed, when: 'amount < 5000' }
  closed: { terminal: true }
obligations:
  statement: { when: 'amount >= 10000', due: 72h, owner: management, done_on: published }
pause:
  - { on: wait, resume_on: back, resume: remaining }
"#;

pub(crate) fn compile(text: &str) -> Arc<CompiledPolicy> {
    match ombud_engine::load_policy("focused.yaml", text, None) {
        Ok((policy, _warnings)) => Arc::new(policy),
        Err(diags) => panic!("policy does not compile: {diags:#?}"),
    }
}

pub(crate) fn engine() -> Engine {
    Engine::new(compile(FOCUSED))
}

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn open(engine: &Engine, at: &str, fields: serde_json::Value) -> Ticket {
    let input =
        OpenTicket { id: "T-1".into(), at: t(at), fields: serde_json::from_value(fields).unwrap() };
    engine.open(&input).unwrap().0
}

pub(crate) fn ev(name: &str, at: &str) -> Event {
    Event::named(name, t(at))
}

/// `ticket` as a host stores it (JSON), changed by `edit`, and read back.
pub(crate) fn edited(ticket: &Ticket, edit: impl FnOnce(&mut serde_json::Value)) -> Ticket {
    let mut json = serde_json::to_value(ticket).unwrap();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

/// The message of the refusal to read `json` as an event.
pub(crate) fn unreadable(json: serde_json::Value) -> String {
    serde_json::from_value::<Event>(json).unwrap_err().to_string()
}

/// A ticket in `work`, entered at `at` with `fields`.
pub(crate) fn in_work(engine: &Engine, at: &str, fields: serde_json::Value) -> Ticket {
    let mut ticket = open(engine, at, fields);
    engine.apply(&mut ticket, &ev("take", at)).unwrap();
    assert_eq!(ticket.stage(), "work");
    ticket
}

/// An engine for a policy of `policies/`.
pub(crate) fn bundled(file: &str) -> Engine {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies").join(file);
    match ombud_engine::load_policy_file(&path) {
        Ok((policy, _)) => Engine::new(Arc::new(policy)),
        Err(diags) => panic!("{file} does not compile: {diags:#?}"),
    }
}

pub(crate) fn reference() -> Engine {
    bundled("service-complaints.yaml")
}

/// A second focused policy: restart pauses, `any` and `lead` groups, reassign steps, keywords,
/// a conditional ladder step, wall-clock offsets before the deadline.
pub(crate) const SECOND: &str = r#"
policy: second
version: "1"
calendar: weekdays
fields:
  text: { type: string }
  teams: { type: list }
  vip: { type: bool }
derive:
  topic:
    - { value: billing, keywords: [invoice, 账单] }
    - { value: other }
tiers: [agent, lead, head]
groups:
  any_team:
    when: 'teams.len() > 1'
    lead: head
    members: { tier: lead, per: teams }
    stages: [triage]
    complete: any
  lead_decides:
    when: 'teams.len() > 1'
    lead: head
    members: { tier: lead, per: teams }
    stages: [decide]
    complete: lead
ladders:
  hours:
    - { at: deadline - 2h, do: reassign, to: lead }
    - { at: 90%, do: notify, notify: head, when: 'vip' }
    - { at: 100%, do: escalate, to: owner }
ladder: hours
start: triage
stages:
  triage: { owner: agent, due: 8h, on: { next: decide } }
  decide: { owner: agent, due: 8h, on: { next: done } }
  done: { terminal: true }
pause:
  - { on: hold, resume_on: unhold, resume: restart }
"#;

/// Ladder steps at `deadline ± N working days` and `± N working hours`, on a whole-day calendar
/// and on business hours with a cutoff.
pub(crate) const OFFSETS: &str = r#"
policy: offsets
version: "1"
calendar: cn-mainland
tiers: [agent, lead, head]
ladders:
  days:
    - { at: deadline - 6 working days, do: notify, notify: lead }
    - { at: deadline - 1 working day, do: notify, notify: owner }
    - { at: deadline + 2 working days, do: escalate, to: head }
  wall:
    - { at: deadline - 1 working day, do: notify, notify: owner }
    - { at: deadline + 1 working day, do: escalate, to: next }
    - { at: deadline + 3 working days, do: escalate, to: head }
start: long
stages:
  long: { owner: agent, due: 7 working days, ladder: days, on: { next: short } }
  short: { owner: agent, due: 48h, ladder: wall, on: { next: done } }
  done: { terminal: true }
"#;

/// Every row `advance` produces up to `until`, as (instant, kind).
pub(crate) fn rows_until(
    e: &Engine,
    ticket: &mut Ticket,
    until: &str,
) -> Vec<(DateTime<Utc>, RowKind)> {
    kinds(&e.advance(ticket, t(until)).unwrap().rows)
}

/// (instant, kind) of each row.
pub(crate) fn kinds(rows: &[ombud_engine::runtime::TimelineRow]) -> Vec<(DateTime<Utc>, RowKind)> {
    rows.iter().map(|r| (r.at, r.kind)).collect()
}

/// Automatic transitions: blocked by the stage's `requires`, taken once an `attach` or a `set`
/// makes them possible, and chained.
pub(crate) const AUTOS: &str = r#"
policy: autos
version: "1"
calendar: cn-mainland
fields:
  ok: { type: bool }
tiers: [clerk, chief]
start: check
stages:
  check:
    owner: clerk
    due: 4h
    requires: [form]
    auto: [ { to: review, when: 'ok' } ]
    on: { reject: done }
  review: { owner: chief, due: 2h, auto: [ { to: done, when: 'ok' } ] }
  done: { terminal: true }
"#;
