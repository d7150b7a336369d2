//! Fixtures the documentation's examples share: three policies and tickets opened under them.
//! Not part of the API.

use crate::policy::CompiledPolicy;
use crate::runtime::{Engine, OpenTicket, Ticket};
use std::sync::Arc;

/// A one-stage help desk: `open` (owner `agent`, 4 h) closes on `done`; its ladder flags the
/// ticket at 50 % and escalates to `lead` with a performance mark at 100 %; `wait` pauses the
/// clock until `back`.
pub const DESK: &str = "\
policy: desk
version: '1'
calendar: weekdays
tiers: [agent, lead]
ladders:
  l:
    - { at: 50%, do: flag }
    - { at: 100%, do: escalate, to: next, mark: performance }
ladder: l
pause:
  - { on: wait, resume_on: back, resume: remaining }
start: open
stages:
  open: { owner: agent, due: 4h, on: { done: closed } }
  closed: { terminal: true }
";

/// A one-stage policy with a joint group (one `agent` per department when there are two or
/// more, led by `head`) and an obligation (a statement within 24 h when `press` is set).
pub const JOINT: &str = "\
policy: joint
version: '1'
calendar: weekdays
fields:
  departments: { type: list }
  press: { type: bool }
tiers: [agent, head]
groups:
  joint:
    when: 'departments.len() > 1'
    lead: head
    members: { tier: agent, per: departments }
    stages: [work]
    complete: all
obligations:
  statement: { when: 'press', due: 24h, owner: head, done_on: published }
start: work
stages:
  work: { owner: agent, due: 8h, on: { done: closed } }
  closed: { terminal: true }
";

/// The reference policy, `policies/service-complaints.yaml`.
pub const REFERENCE: &str = include_str!("../../policies/service-complaints.yaml");

/// `text` compiled.
#[expect(clippy::expect_used, reason = "the fixtures are constant texts")]
fn compiled(name: &str, text: &str) -> CompiledPolicy {
    // INVARIANT: every fixture loads (the doctests that use them would fail first).
    crate::load_policy(name, text, None).expect("the fixture loads").0
}

/// The reference policy, compiled.
pub fn reference_policy() -> CompiledPolicy {
    compiled("service-complaints.yaml", REFERENCE)
}

/// An engine for the reference policy.
pub fn reference() -> Engine {
    Engine::new(Arc::new(reference_policy()))
}

/// An engine for [`DESK`].
pub fn desk() -> Engine {
    Engine::new(Arc::new(compiled("desk.yaml", DESK)))
}

/// An engine for [`JOINT`].
pub fn joint() -> Engine {
    Engine::new(Arc::new(compiled("joint.yaml", JOINT)))
}

/// The opening of ticket `D-1` at `at` with `fields` (a JSON object).
#[expect(clippy::expect_used, reason = "the examples pass constant texts")]
pub fn opening(at: &str, fields: &str) -> OpenTicket {
    let json = format!(r#"{{"id":"D-1","at":"{at}","fields":{fields}}}"#);
    // INVARIANT: the examples pass an RFC 3339 instant and a JSON object.
    serde_json::from_str(&json).expect("an opening")
}

/// Ticket `D-1` opened under `engine` at Mon 2 Mar 2026 09:00 UTC without fields.
#[expect(clippy::expect_used, reason = "the fixtures open this ticket")]
pub fn opened(engine: &Engine) -> Ticket {
    // INVARIANT: every fixture policy opens a ticket without fields.
    engine.open(&opening("2026-03-02T09:00:00Z", "{}")).expect("the ticket opens").0
}
