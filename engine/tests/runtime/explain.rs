//! Explanations of a ticket's clocks: pauses with the working time they held, ladder steps with
//! their rule, breaches with what was missing and who held the ticket, obligations.

use crate::common::*;
use ombud_engine::runtime::{ClockKind, ClockState};
use serde_json::json;

#[test]
fn a_paused_clock_explains_the_pause_and_the_deadline_it_moved_to() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T00:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("wait", "2026-03-03T00:00:00+08:00")).unwrap();
    let why = e.explain(&ticket, "work").unwrap().unwrap();
    assert_eq!(why.state, ClockState::Paused);
    assert_eq!(why.pauses.len(), 1);
    assert_eq!((why.pauses[0].to, why.pauses[0].held_seconds), (None, 0));
    e.apply(&mut ticket, &ev("back", "2026-03-09T00:00:00+08:00")).unwrap();
    let why = e.explain(&ticket, "work").unwrap().unwrap();
    assert_eq!(why.state, ClockState::Running);
    // Counted from the start: Mon, Tue, Wed → end of Wed 4 Mar. Paused Tue 3 Mar 00:00 to
    // Mon 9 Mar 00:00: Tue 3 – Fri 6 Mar are four working days held; the deadline moves by them
    // to the end of Tue 10 Mar.
    assert_eq!(why.derivation.deadline.to_utc(), t("2026-03-05T00:00:00+08:00"));
    let pause = &why.pauses[0];
    assert_eq!((pause.on.as_str(), pause.resume_on.as_str()), ("wait", "back"));
    assert_eq!((pause.held_seconds, pause.working), (4 * 86_400, true));
    assert_eq!(why.deadline.to_utc(), t("2026-03-11T00:00:00+08:00"));
    let text = why.to_string();
    assert!(
        text.contains(
            "  paused Mon 2 Mar 2026 24:00 (`wait`) – Sun 8 Mar 2026 24:00 (`back`): 96h of working time held\n  deadline after the pauses: Tue 10 Mar 2026 24:00\n"
        ),
        "{text}"
    );
    // The 50 % step is placed on the moved clock.
    assert_eq!(why.steps[0].at.to_utc(), t("2026-03-09T12:00:00+08:00"));
    assert_eq!(why.steps[0].rule, "50 % of the working time");
    assert_eq!(why.steps[2].rule, "1 working day after the deadline");
}

#[test]
fn a_breach_explains_what_was_missing_and_who_held_the_ticket() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({"departments": ["a", "b"]}));
    let out = e.advance(&mut ticket, t("2026-03-06T00:00:00+08:00")).unwrap();
    let breach = out.rows.iter().find(|r| r.kind == ombud_engine::RowKind::Breach).unwrap();
    assert_eq!(
        breach.detail,
        "`work` overdue: 3 working days ran out Thu 5 Mar 2026 24:00: waiting for `done` or \
         `approve`; missing report; pending members a, b; held by frontline"
    );
    let why = e.explain(&ticket, "work").unwrap().unwrap();
    assert_eq!(why.state, ClockState::Breached);
    let b = why.breach.as_ref().unwrap();
    assert_eq!(b.waiting_for, ["done", "approve"]);
    assert_eq!(b.missing_artifacts, ["report"]);
    assert_eq!(b.pending_members, ["a", "b"]);
    // The 100 % step escalated to supervisor after the breach: the ticket is held there now,
    // but frontline held it when it breached.
    assert_eq!(why.tier.as_deref(), Some("supervisor"));
    assert_eq!((b.tier.as_deref(), b.assignee.as_deref()), (Some("frontline"), None));
    assert!(why.steps[1].fired);
    assert!(why.to_string().contains("pending members a, b; held by frontline\n"), "{why}");
}

#[test]
fn a_breach_names_the_person_who_held_the_ticket_when_it_breached() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let assign = ombud_engine::runtime::Event::assign("zhang.min", t("2026-03-02T11:00:00+08:00"));
    e.apply(&mut ticket, &assign).unwrap();
    // 3 working days from Mon 2 Mar 10:00 end Thu 5 Mar 24:00; the 100 % step escalates to
    // supervisor then, with its mark against frontline (zhang.min), and the hand-over leaves
    // the ticket unassigned.
    e.advance(&mut ticket, t("2026-03-06T00:00:00+08:00")).unwrap();
    assert_eq!((ticket.tier(), ticket.assignee()), (Some("supervisor"), None));
    let why = e.explain(&ticket, "work").unwrap().unwrap();
    let b = why.breach.as_ref().unwrap();
    assert_eq!((b.tier.as_deref(), b.assignee.as_deref()), (Some("frontline"), Some("zhang.min")));
    assert!(
        why.to_string().contains("breached at Thu 5 Mar 2026 24:00: waiting for `done` or `approve`; missing report; held by frontline (zhang.min)\n"),
        "{why}"
    );
}

#[test]
fn an_obligation_explains_itself_and_the_same_ticket_gives_the_same_bytes() {
    let e = engine();
    let ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"amount": 20000}));
    let why = e.explain(&ticket, "statement").unwrap().unwrap();
    assert_eq!((why.kind, why.tier.as_deref()), (ClockKind::Obligation, Some("management")));
    assert_eq!(why.deadline.to_utc(), t("2026-03-05T10:00:00+08:00"));
    let again = e.explain(&ticket.clone(), "statement").unwrap().unwrap();
    assert_eq!(serde_json::to_string(&why).unwrap(), serde_json::to_string(&again).unwrap());
    assert_eq!(why.to_string(), again.to_string());
    // A clock the ticket does not have.
    assert_eq!(e.explain(&ticket, "work").unwrap(), None);
}

#[test]
fn a_deadline_beyond_the_calendars_data_is_explained_as_provisional_from_its_first_day() {
    let e = engine();
    let ticket = in_work(&e, "2026-12-29T10:00:00+08:00", json!({}));
    let why = e.explain(&ticket, "work").unwrap().unwrap();
    let p = why.provisional.as_ref().unwrap();
    assert_eq!(p.date.to_string(), "2027-01-01");
    assert!(why.to_string().contains("no holiday data (plain workweek)"), "{why}");
}

#[test]
fn an_obligation_breached_then_discharged_late_still_explains_its_breach() {
    let e = engine();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"amount": 20000}));
    e.advance(&mut ticket, t("2026-03-05T10:00:00+08:00")).unwrap();
    let why = e.explain(&ticket, "statement").unwrap().unwrap();
    assert_eq!(why.state, ClockState::Breached);
    assert_eq!(why.breach.as_ref().unwrap().waiting_for, ["published"]);
    e.apply(&mut ticket, &ev("published", "2026-03-05T11:00:00+08:00")).unwrap();
    let why = e.explain(&ticket, "statement").unwrap().unwrap();
    assert_eq!(why.state, ClockState::Done);
    let breach = why.breach.as_ref().unwrap();
    assert!(breach.waiting_for.is_empty());
    assert_eq!(breach.to_string(), "breached at Thu 5 Mar 2026 10:00: held by management");
}

/// The example policy of a 15-calendar-day limit held and extended, with its extension entry
/// as `change` writes it.
fn held_calendar_days(change: &str) -> ombud_engine::runtime::Engine {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/policies/held-calendar-days.yaml");
    let text = std::fs::read_to_string(file).unwrap();
    let text = text.replace("to: 30 calendar days", change);
    ombud_engine::runtime::Engine::new(compile(&text))
}

#[test]
fn a_resume_that_rolls_the_new_end_off_a_holiday_says_so() {
    let e = held_calendar_days("to: 30 calendar days");
    // 15 calendar days from Fri 30 Jan 10:00, held Thu 5 – Tue 10 Feb: the last day is Thu 19
    // Feb, in Spring Festival, rolled on to the end of Tue 24 Feb.
    let mut ticket = open(&e, "2026-01-30T10:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("hold", "2026-02-05T10:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("unhold", "2026-02-10T10:00:00+08:00")).unwrap();
    let why = e.explain(&ticket, "answer").unwrap().unwrap();
    let rolled = why.pauses[0].rolled_on.as_ref().unwrap();
    assert_eq!(rolled.last_day.to_string(), "2026-02-19");
    assert_eq!(rolled.deadline.to_utc(), t("2026-02-25T00:00:00+08:00"));
    let text = why.to_string();
    assert!(
        text.contains(
            "(`unhold`): 120h held; last day Thu 19 Feb 2026 (Spring Festival 春节, holiday), rolled on to Tue 24 Feb 2026 24:00\n"
        ),
        "{text}"
    );
    // A resume whose new last day is a working day rolls nothing on: held ten days, the last
    // day is Tue 24 Feb.
    let mut ticket = open(&e, "2026-01-30T10:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("hold", "2026-02-05T10:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("unhold", "2026-02-15T10:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-25T00:00:00+08:00"));
    let why = e.explain(&ticket, "answer").unwrap().unwrap();
    assert_eq!(why.pauses[0].rolled_on, None);
    assert!(!why.to_string().contains("rolled on"), "{why}");
}

#[test]
fn a_calendar_day_by_from_a_rolled_deadline_names_the_day_it_counts_from() {
    let e = held_calendar_days("by: 10 calendar days");
    let mut ticket = open(&e, "2026-01-30T10:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("hold", "2026-02-05T10:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("unhold", "2026-02-10T10:00:00+08:00")).unwrap();
    let attach = ombud_engine::runtime::Event::attach("approval", t("2026-02-12T10:00:00+08:00"));
    e.apply(&mut ticket, &attach).unwrap();
    e.apply(&mut ticket, &ev("ext", "2026-02-12T11:00:00+08:00")).unwrap();
    // 10 days on from Thu 19 Feb, the last day before roll-off: Sun 1 Mar, rolled on to the end
    // of Mon 2 Mar.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-03T00:00:00+08:00"));
    let text = e.explain(&ticket, "answer").unwrap().unwrap().to_string();
    assert!(
        text.contains(
            "(`ext`): by 10 calendar days, counted on from Thu 19 Feb 2026 24:00, the end of the limit's last day before its deadline rolled on to Tue 24 Feb 2026 24:00\n"
        ),
        "{text}"
    );
}
