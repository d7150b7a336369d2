//! What a ticket's history records, and what explanations and calendar updates read from it:
//! which extension entry applied, who held the ticket when a clock breached, and when. Instants
//! are worked by hand from holidays/cn-mainland.yaml (March 2026 has no holiday; Qingming is
//! Sat 4 – Mon 6 Apr).

use crate::common::*;
use ombud_engine::runtime::{AuditEntry, Engine, Event, ExtensionRecord, record_hash};
use ombud_engine::verify_ticket;
use serde_json::json;

const HISTORY: &str = r#"
policy: history
version: "1"
calendar: cn-mainland
fields:
  complex: { type: bool }
tiers: [officer, section_chief, director]
ladders:
  std:
    - { at: 50%, do: escalate, to: next }
    - { at: deadline, do: escalate, to: next }
  watch:
    - { at: 50%, do: escalate, to: director }
ladder: std
start: handle
stages:
  handle:
    owner: officer
    due: 10 working days
    on: { done: closed }
    extensions:
      - { on: extend, to: 30 calendar days, when: 'complex' }
      - { on: extend, by: 2 working days }
  closed: { terminal: true }
obligations:
  reply:
    start_on: asked
    due: 4 working days
    owner: officer
    done_on: replied
    ladder: watch
pause:
  - { on: wait, resume_on: back }
"#;

fn history() -> Engine {
    Engine::new(compile(HISTORY))
}

/// `ticket` as a build that did not record extensions stored it: the records without their
/// extension, sealed again as that build sealed them.
fn without_extension_records(ticket: &ombud_engine::Ticket) -> ombud_engine::Ticket {
    let mut v = serde_json::to_value(ticket).unwrap();
    let mut prev = ombud_engine::runtime::Digest::default();
    for rec in v["history"].as_array_mut().unwrap() {
        rec.as_object_mut().unwrap().remove("extension");
        let parsed: ombud_engine::runtime::AuditRecord =
            serde_json::from_value(rec.clone()).unwrap();
        let hash = record_hash(&prev, &parsed.entry, &parsed.state);
        rec["hash"] = json!(hash.to_string());
        prev = hash;
    }
    v["audit_head"] = json!(prev.to_string());
    serde_json::from_value(v).unwrap()
}

#[test]
fn the_extension_entry_that_applied_is_recorded_and_explained_after_its_field_changed() {
    let e = history();
    // Opened Mon 2 Mar 10:00: 10 working days are 3–6, 9–13 and 16 Mar → the end of Mon 16 Mar.
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"complex": true}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-17T00:00:00+08:00"));
    // `complex` holds, so the first entry applies: 30 calendar days from Mon 2 Mar is Wed 1 Apr,
    // a working day → the end of Wed 1 Apr.
    e.apply(&mut ticket, &ev("extend", "2026-03-04T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-04-02T00:00:00+08:00"));
    let record = ticket.history().last().unwrap().extension.clone();
    let to = Some("30 calendar days".parse().unwrap());
    let expected =
        ExtensionRecord { stage: Some("handle".into()), obligation: None, entry: 0, by: None, to };
    assert_eq!(record, Some(expected));
    let json = serde_json::to_value(ticket.history().last().unwrap()).unwrap();
    assert_eq!(json["extension"], json!({"stage": "handle", "entry": 0, "to": "30 calendar days"}));
    // The field the entry's `when` read changes afterwards, and the second entry extends the
    // clock by 2 working days from the end of Wed 1 Apr: Thu 2, Fri 3 Apr → the end of Fri
    // 3 Apr (Qingming begins Sat 4 Apr).
    let unset = serde_json::from_value(json!({"complex": false})).unwrap();
    e.apply(&mut ticket, &Event::set(unset, t("2026-03-05T09:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &ev("extend", "2026-03-06T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-04-04T00:00:00+08:00"));
    let json = serde_json::to_value(ticket.history().last().unwrap()).unwrap();
    assert_eq!(json["extension"], json!({"stage": "handle", "entry": 1, "by": "2 working days"}));
    // Read with `complex` as it is now, the first extension would be the second entry's.
    let why = e.explain(&ticket, "handle").unwrap().unwrap();
    let shown: Vec<_> = (why.extensions.iter())
        .map(|x| (x.change.as_str(), x.from.to_utc(), x.deadline.to_utc()))
        .collect();
    assert_eq!(
        shown,
        [
            ("to 30 calendar days", t("2026-03-17T00:00:00+08:00"), t("2026-04-02T00:00:00+08:00")),
            ("by 2 working days", t("2026-04-02T00:00:00+08:00"), t("2026-04-04T00:00:00+08:00")),
        ]
    );
    // The first added 12 working days: 17–20, 23–27, 30–31 Mar and 1 Apr.
    assert_eq!(why.extensions[0].added_seconds, 12 * 86_400);
    let text = why.to_string();
    let line = "extended Wed 4 Mar 2026 09:00 (`extend`): to 30 calendar days, the whole limit";
    assert!(text.contains(line), "{text}");
    assert!(verify_ticket(&ticket).problem.is_none());
    // The ledger replay of the same lines gives the same chain.
    let ledger = [
        json!({"ticket": "T-1", "open": {"at": "2026-03-02T10:00:00+08:00", "fields": {"complex": true}}}),
        json!({"ticket": "T-1", "event": {"at": "2026-03-04T09:00:00+08:00", "event": "extend"}}),
        json!({"ticket": "T-1", "event": {"at": "2026-03-05T09:00:00+08:00", "event": "set", "data": {"complex": false}}}),
        json!({"ticket": "T-1", "event": {"at": "2026-03-06T09:00:00+08:00", "event": "extend"}}),
    ]
    .map(|l| l.to_string())
    .join("\n");
    let none = ombud_engine::ledger::CalendarUpdates::default();
    let (chains, errors) =
        ombud_engine::ledger::ledger_chains(&e, &none, ledger.as_bytes()).unwrap();
    assert!(errors.is_empty());
    assert_eq!(&chains[0].head, ticket.audit_head());
}

#[test]
fn a_ticket_stored_without_extension_records_still_loads_verifies_and_explains() {
    let e = history();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"complex": true}));
    e.apply(&mut ticket, &ev("extend", "2026-03-04T09:00:00+08:00")).unwrap();
    let old = without_extension_records(&ticket);
    assert!(old.history().iter().all(|r| r.extension.is_none()));
    assert!(verify_ticket(&old).problem.is_none());
    // The field is as it was when the extension came: the entry worked out is the one applied.
    let why = e.explain(&old, "handle").unwrap().unwrap();
    assert_eq!(why.extensions[0].change, "to 30 calendar days");
    assert_eq!(why, e.explain(&ticket, "handle").unwrap().unwrap());
    // It runs on: the next extension is recorded.
    let mut old = old;
    let unset = serde_json::from_value(json!({"complex": false})).unwrap();
    e.apply(&mut old, &Event::set(unset, t("2026-03-05T09:00:00+08:00"))).unwrap();
    assert!(matches!(old.history()[2].entry, AuditEntry::Event(_)));
    assert!(verify_ticket(&old).problem.is_none());
}

/// The breach row of `rows`: its instant, and the tier it names.
fn breach_row(
    rows: &[ombud_engine::runtime::TimelineRow],
) -> (chrono::DateTime<chrono::Utc>, String) {
    let row = rows.iter().find(|r| r.kind == ombud_engine::RowKind::Breach).unwrap();
    (row.at, row.tier.as_deref().unwrap_or_default().to_string())
}

#[test]
fn a_breach_names_the_tier_an_obligations_ladder_moved_the_ticket_to() {
    let e = history();
    // Opened Mon 2 Mar 10:00: due the end of Mon 16 Mar (10 working days: 3–6, 9–13, 16 Mar).
    // The stage's 50 % is 127 of its 254 working hours (14 h of Mon 2 Mar and 10 days): the
    // rest of Mon 2 Mar, Tue 3 – Fri 6 Mar, then 17 h of Mon 9 Mar → Mon 9 Mar 17:00, when the
    // escalation moves the ticket from officer to section_chief.
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    // The reply obligation starts Tue 10 Mar 09:00: 4 working days are 11–13 and 16 Mar → the
    // end of Mon 16 Mar; its 50 % is 55.5 of 111 working hours: 15 h of Tue 10, Wed 11, then
    // 16.5 h of Thu 12 → Thu 12 Mar 16:30, when its ladder escalates the ticket to director.
    e.apply(&mut ticket, &ev("asked", "2026-03-10T09:00:00+08:00")).unwrap();
    e.advance(&mut ticket, t("2026-03-13T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.tier(), Some("director"));
    // At the end of Mon 16 Mar the stage breaches with director holding the ticket; its
    // `deadline` escalation then finds director at the top and moves nothing.
    let out = e.advance(&mut ticket, t("2026-03-17T09:00:00+08:00")).unwrap();
    assert_eq!(breach_row(&out.rows), (t("2026-03-17T00:00:00+08:00"), "director".to_string()));
    let why = e.explain(&ticket, "handle").unwrap().unwrap();
    let b = why.breach.as_ref().unwrap();
    assert_eq!(b.deadline.to_utc(), t("2026-03-17T00:00:00+08:00"));
    assert_eq!(b.tier.as_deref(), Some("director"), "{why}");
    assert!(why.to_string().contains("held by director"), "{why}");
    assert!(verify_ticket(&ticket).problem.is_none());
}

#[test]
fn a_breach_keeps_the_deadline_that_ran_out_when_a_pause_moves_the_clock_afterwards() {
    let e = history();
    // Due the end of Mon 16 Mar; at 24:00 it breaches with section_chief holding it (the 50 %
    // escalation fired Mon 9 Mar 17:00), and the `deadline` step escalates it to director.
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let out = e.advance(&mut ticket, t("2026-03-17T09:00:00+08:00")).unwrap();
    assert_eq!(breach_row(&out.rows), (t("2026-03-17T00:00:00+08:00"), "section_chief".into()));
    // Paused after the breach with nothing left, resumed a day later: the clock's deadline is
    // the resume, Wed 18 Mar 10:00; the breach stays where it fell.
    e.apply(&mut ticket, &ev("wait", "2026-03-17T10:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("back", "2026-03-18T10:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-18T10:00:00+08:00"));
    let why = e.explain(&ticket, "handle").unwrap().unwrap();
    let b = why.breach.as_ref().unwrap();
    assert_eq!(b.deadline.to_utc(), t("2026-03-17T00:00:00+08:00"));
    assert_eq!(b.tier.as_deref(), Some("section_chief"));
    assert!(why.to_string().contains("breached at Mon 16 Mar 2026 24:00"), "{why}");
}

#[test]
fn a_breach_after_an_extension_shows_the_extended_deadline_and_who_held_it_then() {
    let e = history();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    // The 50 % escalation fires Mon 9 Mar 17:00 (officer → section_chief); then the second
    // entry extends the clock by 2 working days from the end of Mon 16 Mar: Tue 17, Wed 18 →
    // the end of Wed 18 Mar.
    e.advance(&mut ticket, t("2026-03-10T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.tier(), Some("section_chief"));
    e.apply(&mut ticket, &ev("extend", "2026-03-10T09:00:00+08:00")).unwrap();
    let out = e.advance(&mut ticket, t("2026-03-19T09:00:00+08:00")).unwrap();
    assert_eq!(breach_row(&out.rows), (t("2026-03-19T00:00:00+08:00"), "section_chief".into()));
    assert_eq!(ticket.tier(), Some("director"));
    let why = e.explain(&ticket, "handle").unwrap().unwrap();
    let b = why.breach.as_ref().unwrap();
    assert_eq!(b.deadline.to_utc(), t("2026-03-19T00:00:00+08:00"));
    assert_eq!(b.tier.as_deref(), Some("section_chief"));
}
