//! Deadlines and ladder offsets on the working-day calendar, across Spring Festival and National Day.

use crate::common::*;
use ombud_engine::runtime::{ActionKind, Engine, OpenTicket, RowKind};
use serde_json::json;

#[test]
fn general_complaint_across_spring_festival() {
    let e = engine();
    // Friday 13 Feb 2026, 18:00. 14 Feb is a make-up working day (day 1), 15–23 Feb the holiday,
    // so days 2 and 3 are 24 and 25 Feb: the deadline is the instant that ends 25 Feb.
    let mut ticket = in_work(&e, "2026-02-13T18:00:00+08:00", json!({}));
    let clock = ticket.clock().unwrap();
    assert_eq!(clock.deadline, t("2026-02-26T00:00:00+08:00"));
    assert_eq!(ticket.tier(), Some("frontline"));

    // 50 % of the working budget: 6 h of Friday + 24 h of Sat 14 + 9 h of Tue 24 = 39 h of 78 h.
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-02-24T09:00:00+08:00")));
    let out = e.advance(&mut ticket, t("2026-02-24T09:00:00+08:00")).unwrap();
    assert_eq!(out.rows.len(), 1);
    assert_eq!(out.rows[0].kind, RowKind::Flag);
    assert!(ticket.flagged());
    assert!(
        out.actions
            .iter()
            .any(|a| a.kind == ActionKind::Notify && a.tier.as_deref() == Some("frontline"))
    );

    // At the deadline: one breach, escalation to the supervisor, a performance mark on frontline.
    let out = e.advance(&mut ticket, t("2026-02-26T00:00:00+08:00")).unwrap();
    let kinds: Vec<_> = out.rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RowKind::Breach, RowKind::Escalate]);
    assert_eq!(ticket.tier(), Some("supervisor"));
    assert_eq!(ticket.marks().len(), 1);
    assert_eq!(ticket.marks()[0].tier, "frontline");
    assert_eq!(ticket.marks()[0].mark, "performance");

    // deadline + 1 working day = the end of Thu 26 Feb: management.
    assert_eq!(out.next_wakeup, Some(t("2026-02-27T00:00:00+08:00")));
    e.advance(&mut ticket, t("2026-03-10T00:00:00+08:00")).unwrap();
    assert_eq!(ticket.tier(), Some("management"));
    assert_eq!(ticket.stats().breaches, 1, "one breach per stage visit");
    assert_eq!(ticket.stats().escalations, 2);
    assert_eq!(e.next_wakeup(&ticket).unwrap(), None);
}

#[test]
fn major_complaint_gets_seven_working_days_and_the_supervisor() {
    let e = engine();
    let ticket = in_work(&e, "2026-02-13T18:00:00+08:00", json!({"amount": 2000}));
    // 14, 24, 25, 26, 27, 28 (Saturday, make-up), 2 March.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-03T00:00:00+08:00"));
    assert_eq!(ticket.tier(), Some("supervisor"));
}

#[test]
fn national_day_2026() {
    let e = engine();
    // Wed 30 Sep: 1–7 Oct holiday; 8 (Thu), 9 (Fri), 10 (Sat, make-up) are days 1–3.
    let ticket = in_work(&e, "2026-09-30T10:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-10-11T00:00:00+08:00"));
    // Filed on a public holiday: 8, 9, 10 Oct again.
    let ticket = in_work(&e, "2026-10-03T10:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-10-11T00:00:00+08:00"));
}

#[test]
fn late_december_deadline_is_provisional() {
    let e = engine();
    let ticket = in_work(&e, "2026-12-29T10:00:00+08:00", json!({}));
    let clock = ticket.clock().unwrap();
    assert!(clock.provisional);
    // 30, 31 Dec, then 2027 on the plain workweek: Fri 1 Jan is day 3.
    assert_eq!(clock.deadline, t("2027-01-02T00:00:00+08:00"));
}

#[test]
fn working_day_offsets_from_the_deadline_across_spring_festival() {
    let e = Engine::new(compile(OFFSETS));
    let mut ticket = open(&e, "2026-02-13T17:30:00+08:00", json!({}));
    // Days 1–7: Sat 14 (make-up), 24, 25, 26, 27, Sat 28 (make-up), Mon 2 March.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-03T00:00:00+08:00"));
    assert_eq!(
        rows_until(&e, &mut ticket, "2026-03-06T00:00:00+08:00"),
        [
            // Six working days before the end of 2 March: back over the festival to the end of
            // the make-up Saturday, 14 February.
            (t("2026-02-15T00:00:00+08:00"), RowKind::Notify),
            // One before: the end of the make-up Saturday 28 February, not of Friday 27.
            (t("2026-03-01T00:00:00+08:00"), RowKind::Notify),
            (t("2026-03-03T00:00:00+08:00"), RowKind::Breach),
            // Two after: Tue 3 and Wed 4 March.
            (t("2026-03-05T00:00:00+08:00"), RowKind::Escalate),
        ]
    );
}

#[test]
fn working_day_offsets_from_a_deadline_on_national_day() {
    let e = Engine::new(compile(OFFSETS));
    let mut ticket = open(&e, "2026-09-29T14:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("next", "2026-09-29T14:00:00+08:00")).unwrap();
    // 48 h of wall time: the deadline falls on the holiday, Thu 1 Oct 14:00.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-10-01T14:00:00+08:00"));
    assert_eq!(
        rows_until(&e, &mut ticket, "2026-10-12T00:00:00+08:00"),
        [
            // No working time passes on the holiday, so one working day of it is left at the
            // end of Tue 29 September.
            (t("2026-09-30T00:00:00+08:00"), RowKind::Notify),
            (t("2026-10-01T14:00:00+08:00"), RowKind::Breach),
            // After the day the deadline ends (1 Oct): Thu 8, then Fri 9 and Sat 10 (make-up).
            (t("2026-10-09T00:00:00+08:00"), RowKind::Escalate),
            (t("2026-10-11T00:00:00+08:00"), RowKind::Escalate),
        ]
    );
}

#[test]
fn working_offsets_in_business_hours_ignore_the_receipt_cutoff() {
    let policy = r#"
policy: hours-offsets
version: "1"
calendar: { id: cn-mainland, hours: "09:00-12:00,13:30-17:30", timezone: Asia/Shanghai, cutoff: "16:00" }
tiers: [teller, manager, unit]
ladders:
  h:
    - { at: deadline - 1 working day, do: notify, notify: owner }
    - { at: deadline - 2 working hours, do: notify, notify: manager }
    - { at: deadline + 3 working hours, do: escalate, to: next }
    - { at: deadline + 1 working day, do: escalate, to: unit }
start: received
stages:
  received: { owner: teller, due: 8 working hours, ladder: h, on: { done: closed } }
  closed: { terminal: true }
"#;
    let e = Engine::new(compile(policy));
    let mut ticket = open(&e, "2026-09-29T10:00:00+08:00", json!({}));
    // Tue 29 Sep: 10:00–12:00 and 13:30–17:30 (6 h); Wed 30: 09:00–11:00.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-09-30T11:00:00+08:00"));
    assert_eq!(
        rows_until(&e, &mut ticket, "2026-10-12T00:00:00+08:00"),
        [
            // A working day (7 h) before a mid-morning deadline: the same time the day before.
            (t("2026-09-29T11:00:00+08:00"), RowKind::Notify),
            // Two working hours before 11:00 reach back past the opening to Tuesday's close.
            (t("2026-09-29T17:30:00+08:00"), RowKind::Notify),
            (t("2026-09-30T11:00:00+08:00"), RowKind::Breach),
            (t("2026-09-30T15:30:00+08:00"), RowKind::Escalate),
            // The deadline's own day never counts, though it fell before the 16:00 cutoff:
            // the next working day after the holiday is Thu 8 October, closing at 17:30.
            (t("2026-10-08T17:30:00+08:00"), RowKind::Escalate),
        ]
    );
}

#[test]
fn steps_before_the_entry_fire_on_entry_and_the_wakeup_is_always_ahead() {
    let e = bundled("city-hotline-12345.yaml");
    // The 30-minute call stage: its `deadline - 2h` notice would fall at 07:30, before the call.
    let input = OpenTicket {
        id: "H-1".into(),
        at: t("2026-03-02T09:00:00+08:00"),
        fields: serde_json::from_value(
            json!({"text": "停水 since Sunday", "request_type": "help"}),
        )
        .unwrap(),
    };
    let (mut ticket, opened) = e.open(&input).unwrap();
    assert_eq!(
        kinds(&opened.rows),
        [
            (t("2026-03-02T09:00:00+08:00"), RowKind::Opened),
            (t("2026-03-02T09:00:00+08:00"), RowKind::Entered),
            (t("2026-03-02T09:00:00+08:00"), RowKind::Deadline),
            (t("2026-03-02T09:00:00+08:00"), RowKind::Notify),
        ]
    );
    assert_eq!(opened.next_wakeup, Some(t("2026-03-02T09:30:00+08:00")));

    // Unreachable at 09:10, reached at 12:00: the clock restarts in full from 12:00, and the
    // re-armed notice, which would fall at 10:30, fires at the restart, not in the past.
    e.apply(&mut ticket, &ev("citizen_unreachable", "2026-03-02T09:10:00+08:00")).unwrap();
    let resumed =
        e.apply(&mut ticket, &ev("citizen_reached", "2026-03-02T12:00:00+08:00")).unwrap();
    assert_eq!(
        kinds(&resumed.rows),
        [
            (t("2026-03-02T12:00:00+08:00"), RowKind::Resumed),
            (t("2026-03-02T12:00:00+08:00"), RowKind::Notify),
        ]
    );
    let clock = ticket.clock().unwrap();
    assert_eq!(
        (clock.started, clock.deadline),
        (t("2026-03-02T12:00:00+08:00"), t("2026-03-02T12:30:00+08:00"))
    );
    assert_eq!(resumed.next_wakeup, Some(t("2026-03-02T12:30:00+08:00")));

    // The 2-hour dispatch stage: its notice falls exactly at the entry.
    let dispatched = e.apply(&mut ticket, &ev("dispatched", "2026-03-02T12:10:00+08:00")).unwrap();
    assert_eq!(
        dispatched.rows.last().map(|r| (r.at, r.kind)),
        Some((t("2026-03-02T12:10:00+08:00"), RowKind::Notify))
    );
    assert_eq!(dispatched.next_wakeup, Some(t("2026-03-02T14:10:00+08:00")));

    // A host that sleeps until each wake-up always finds something to do, and time moves on.
    let mut wakeups = Vec::new();
    while let Some(w) = e.next_wakeup(&ticket).unwrap() {
        assert!(w > ticket.clock_at(), "wake-up {w} is not after the ticket's clock");
        let out = e.advance(&mut ticket, w).unwrap();
        assert!(!out.rows.is_empty(), "advancing to the wake-up {w} did nothing");
        wakeups.push(w);
        if wakeups.len() > 8 {
            break;
        }
    }
    // Deadline (reassign), deadline + 4 h (escalate); nothing after.
    assert_eq!(wakeups, [t("2026-03-02T14:10:00+08:00"), t("2026-03-02T18:10:00+08:00")]);
}

#[test]
fn calendar_day_offsets_are_wall_time_from_the_deadline() {
    let policy = r#"
policy: calendar-offsets
version: "1"
calendar: cn-mainland
tiers: [agent, head]
ladders:
  late:
    - { at: deadline + 2 calendar days, do: escalate, to: head }
start: work
stages:
  work: { owner: agent, due: 3 working days, ladder: late, on: { done: closed } }
  closed: { terminal: true }
"#;
    let e = Engine::new(compile(policy));
    // Mon 2 Mar 10:00: Tue 3, Wed 4, Thu 5 → the end of Thu 5 March; two days later is the
    // Sunday midnight that ends Sat 7 March, weekend or not.
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-06T00:00:00+08:00"));
    assert_eq!(
        rows_until(&e, &mut ticket, "2026-03-10T00:00:00+08:00"),
        [
            (t("2026-03-06T00:00:00+08:00"), RowKind::Breach),
            (t("2026-03-08T00:00:00+08:00"), RowKind::Escalate),
        ]
    );
}
