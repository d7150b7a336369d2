//! Deadlines and ladder steps after 9999-12-31T23:59:59Z, the last instant the engine keeps: the
//! call that would set one is refused (`out_of_range`) and the ticket is left exactly as it was.

use crate::common::*;
use ombud_engine::runtime::{Engine, OpenTicket, Rejection};
use serde_json::json;

fn refused(err: Rejection, what: &str) {
    assert_eq!(err.code(), "out_of_range");
    let message = err.to_string();
    assert!(message.starts_with(what), "{message}");
    assert!(message.ends_with("ends after 9999-12-31T23:59:59Z, the last instant Ombud keeps"));
}

#[test]
fn an_opening_whose_first_limit_ends_after_9999_is_refused() {
    let e = engine();
    let input =
        OpenTicket { id: "T-9".into(), at: t("9999-12-31T23:00:00Z"), fields: Default::default() };
    // In Shanghai that is 07:00 on 1 January 10000: written in UTC, as RFC 3339 can write it.
    refused(e.open(&input).unwrap_err(), "`2h` from 9999-12-31T23:00:00+00:00");
}

#[test]
fn an_event_that_would_start_a_clock_past_9999_leaves_the_ticket_as_it_was() {
    let e = engine();
    let mut ticket = open(&e, "9999-12-30T09:00:00+08:00", json!({}));
    let before = ticket.clone();
    // `take` enters `work`: 3 working days from Thursday 30 December 9999.
    let err = e.apply(&mut ticket, &ev("take", "9999-12-30T09:30:00+08:00")).unwrap_err();
    refused(err, "`3 working days` from 9999-12-30T09:30:00+08:00");
    assert_eq!(ticket, before);
    // What the ticket can still do, it does: its 2-hour `new` clock runs out.
    let out = e.advance(&mut ticket, t("9999-12-30T11:00:00+08:00")).unwrap();
    assert!(out.rows.iter().any(|r| r.kind.as_str() == "breach"), "{:?}", out.rows);
}

#[test]
fn a_ladder_step_past_9999_refuses_the_entry_not_a_later_call() {
    // The 2-hour `new` clock of a ticket opened on Friday 31 December 9999 ends that day; its
    // `deadline + 1 working day` step would fall on Monday 3 January 10000. The opening is
    // refused, not the advance that would reach the step.
    let e = engine();
    let input = OpenTicket {
        id: "T-9".into(),
        at: t("9999-12-31T10:00:00+08:00"),
        fields: Default::default(),
    };
    refused(
        e.open(&input).unwrap_err(),
        "ladder step `deadline + 1 working day` of a limit due 9999-12-31T12:00:00+08:00",
    );
}

#[test]
fn a_stored_ticket_whose_step_falls_past_9999_is_refused_and_unchanged() {
    // A host's stored ticket edited to a deadline on the last day: its `deadline + 1 working
    // day` step cannot be kept. Asking when to wake it, or bringing it to a later instant, is
    // refused; the ticket stays as stored.
    let e = engine();
    let ticket = in_work(&e, "2026-03-02T09:00:00+08:00", json!({}));
    let mut ticket = edited(&ticket, |j| {
        j["clock"]["deadline"] = json!("9999-12-31T12:00:00Z");
        j["clock"]["fired"] = json!(3);
    });
    let err = e.next_wakeup(&ticket).unwrap_err();
    refused(err, "ladder step `deadline + 1 working day` of a limit due 9999-12-31T20:00:00+08:00");
    let before = ticket.clone();
    let err = e.advance(&mut ticket, t("2026-03-03T09:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "out_of_range");
    assert_eq!(ticket, before);
}

#[test]
fn instants_a_long_way_from_9999_are_not_refused() {
    // The same policy in 2026: nothing near the end, no copy of the ticket is needed, and
    // every call answers as before.
    let e: Engine = engine();
    let mut ticket = in_work(&e, "2026-03-02T09:00:00+08:00", json!({}));
    assert!(e.next_wakeup(&ticket).unwrap().is_some());
    e.advance(&mut ticket, t("2026-03-20T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.tier(), Some("management"));
}

#[test]
fn an_extension_whose_ladder_step_falls_past_9999_is_refused_and_unchanged() {
    // The policy lints clean: its limits and steps end before 9999 for a ticket opened in 2000.
    // But an extension of 2,000,000 working days (about 7,660 years) puts the deadline in the 97th
    // century, and the `deadline + 150000 calendar days` step (about 410 years) after 9999.
    let e = Engine::new(compile(
        r#"
policy: far
version: "1"
calendar: cn-mainland
tiers: [officer, chief]
ladders:
  std:
    - { at: deadline + 150000 calendar days, do: escalate, to: next }
ladder: std
start: work
stages:
  work:
    owner: officer
    due: 10 working days
    on: { done: closed }
    extensions:
      - { on: extend, by: 2000000 working days }
  closed: { terminal: true }
"#,
    ));
    let mut ticket = open(&e, "2026-03-02T09:00:00+08:00", json!({}));
    let before = ticket.clone();
    let err = e.apply(&mut ticket, &ev("extend", "2026-03-03T09:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "out_of_range", "{err}");
    assert_eq!(ticket, before);
}
