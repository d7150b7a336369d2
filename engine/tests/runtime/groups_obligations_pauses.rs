//! Joint groups, obligations and paused clocks.

use crate::common::*;
use ombud_engine::runtime::{Engine, Event, Rejection, RowKind};
use serde_json::json;

#[test]
fn joint_group_completes_when_all_members_are_done() {
    let e = engine();
    let mut ticket =
        in_work(&e, "2026-03-02T10:00:00+08:00", json!({"departments": ["billing", "network"]}));
    assert_eq!(ticket.group().unwrap().members.len(), 2);
    e.apply(&mut ticket, &Event::attach("report", t("2026-03-02T11:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &Event::member_done("billing", t("2026-03-02T12:00:00+08:00"))).unwrap();
    let next = e.next_actions(&ticket, t("2026-03-02T12:00:00+08:00")).unwrap();
    assert_eq!(next.pending_members, ["network"]);
    e.apply(&mut ticket, &Event::member_done("network", t("2026-03-03T12:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &ev("done", "2026-03-03T12:30:00+08:00")).unwrap();
    assert!(ticket.is_closed());
    assert_eq!(e.next_wakeup(&ticket).unwrap(), None);
    let err = e.apply(&mut ticket, &ev("done", "2026-03-04T12:30:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "closed");
}

#[test]
fn pause_keeps_the_remaining_working_time() {
    let e = engine();
    // A start at midnight is the end of the day before: Mon 2 Mar 00:00 counts Mon, Tue, Wed
    // and ends Wed 4 Mar; the budget is W(deadline) − W(start) = 72 working hours.
    let mut ticket = in_work(&e, "2026-03-02T00:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-05T00:00:00+08:00"));
    // Paused Tue 3 Mar 00:00 with 48 h left; resumed Mon 9 Mar 00:00 → Mon and Tue: the deadline
    // is the end of Tue 10 Mar.
    e.apply(&mut ticket, &ev("wait", "2026-03-03T00:00:00+08:00")).unwrap();
    assert_eq!(e.next_wakeup(&ticket).unwrap(), None, "a paused clock schedules nothing");
    let out = e.apply(&mut ticket, &ev("back", "2026-03-09T00:00:00+08:00")).unwrap();
    assert_eq!(out.rows.last().unwrap().kind, RowKind::Resumed);
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-11T00:00:00+08:00"));
    // The 50 % step moved with it: 36 h before the new deadline, Mon 9 Mar 12:00.
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-03-09T12:00:00+08:00")));
}

#[test]
fn obligation_runs_beside_the_stages() {
    let e = engine();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"amount": 20000}));
    let ob = ticket.obligations().get("statement").unwrap();
    assert_eq!(ob.clock.deadline, t("2026-03-05T10:00:00+08:00"));
    e.apply(&mut ticket, &ev("take", "2026-03-02T10:30:00+08:00")).unwrap();
    let out = e.advance(&mut ticket, t("2026-03-05T10:00:00+08:00")).unwrap();
    assert!(
        out.rows
            .iter()
            .any(|r| r.kind == RowKind::Breach && r.stage.as_deref() == Some("statement"))
    );
    let out = e.apply(&mut ticket, &ev("published", "2026-03-05T11:00:00+08:00")).unwrap();
    assert!(out.rows[0].detail.contains("late"));
    // Discharged obligations are not open any more.
    let err = e.apply(&mut ticket, &ev("published", "2026-03-05T12:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "bad_event");
}

#[test]
fn any_and_lead_groups() {
    let e = Engine::new(compile(SECOND));
    let mut ticket = open(
        &e,
        "2026-03-02T08:00:00Z",
        json!({"teams": ["net", "billing", "field"], "vip": true}),
    );
    // `any`: one member is enough.
    e.apply(&mut ticket, &Event::member_done("field", t("2026-03-02T09:00:00Z"))).unwrap();
    e.apply(&mut ticket, &ev("next", "2026-03-02T09:10:00Z")).unwrap();
    assert_eq!(ticket.stage(), "decide");
    // `lead`: members reporting is not enough; the lead decides.
    e.apply(&mut ticket, &Event::member_done("net", t("2026-03-02T09:20:00Z"))).unwrap();
    let err = e.apply(&mut ticket, &ev("next", "2026-03-02T09:30:00Z")).unwrap_err();
    assert!(matches!(&err, Rejection::GroupPending { pending, .. } if pending == &["lead"]));
    e.apply(&mut ticket, &Event::member_done("lead", t("2026-03-02T09:40:00Z"))).unwrap();
    e.apply(&mut ticket, &ev("next", "2026-03-02T09:50:00Z")).unwrap();
    assert!(ticket.is_closed());
}

#[test]
fn next_actions_names_each_pending_member_and_its_tier() {
    let e = engine();
    let ticket =
        in_work(&e, "2026-03-02T10:00:00+08:00", json!({"departments": ["billing", "network"]}));
    let next = e.next_actions(&ticket, t("2026-03-02T11:00:00+08:00")).unwrap();
    let members: Vec<_> = next
        .events
        .iter()
        .filter(|a| a.event == "member_done")
        .map(|a| (a.member.as_deref().unwrap(), a.by.as_deref().unwrap()))
        .collect();
    assert_eq!(members, [("billing", "supervisor"), ("network", "supervisor")]);
    assert_eq!(next.pending_members, ["billing", "network"]);
}

#[test]
fn an_obligation_in_working_days_reports_its_share_on_the_working_clock() {
    let policy =
        FOCUSED.replace("due: 72h, owner: management", "due: 2 working days, owner: management");
    let e = Engine::new(compile(&policy));
    // Opened Friday 13 Feb 2026 noon: two working days are the make-up Saturday 14 and Tue 24.
    let ticket = open(&e, "2026-02-13T12:00:00+08:00", json!({"amount": 20000}));
    let ob = ticket.obligations().get("statement").unwrap();
    assert_eq!(ob.clock.deadline, t("2026-02-25T00:00:00+08:00"));
    // On Monday 23 Feb (the festival's last day) only Saturday has been used: the rest of Friday
    // is before day 1 and counts too, so 1.5 of 2.5 working days, not 10 of 11.5 wall days.
    let next = e.next_actions(&ticket, t("2026-02-23T12:00:00+08:00")).unwrap();
    let clock = next.clocks.iter().find(|c| c.kind == "obligation").unwrap();
    assert!((clock.used - 0.6).abs() < 1e-9, "used {}", clock.used);
}

#[test]
fn no_group_forms_when_its_condition_is_false() {
    let e = engine();
    let ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({"departments": ["billing"]}));
    assert_eq!(ticket.group(), None);
    let next = e.next_actions(&ticket, t("2026-03-02T11:00:00+08:00")).unwrap();
    assert!(next.pending_members.is_empty());
    assert!(next.events.iter().all(|a| a.event != "member_done"));
}

#[test]
fn a_clock_paused_after_its_breach_does_not_breach_again() {
    let e = engine();
    // Due at the end of Wed 4 Mar (72 working hours from Mon 00:00).
    let mut ticket = in_work(&e, "2026-03-02T00:00:00+08:00", json!({}));
    e.advance(&mut ticket, t("2026-03-05T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.stats().breaches, 1);
    // Paused overdue: nothing is left, so the resume puts the deadline at the resume itself.
    e.apply(&mut ticket, &ev("wait", "2026-03-05T10:00:00+08:00")).unwrap();
    let paused = e.next_actions(&ticket, t("2026-03-06T10:00:00+08:00")).unwrap();
    let clock = &paused.clocks[0];
    assert!(clock.paused && !clock.overdue);
    assert!(paused.events.iter().any(|a| a.event == "back"));
    assert!(paused.events.iter().all(|a| a.event != "wait"));
    e.apply(&mut ticket, &ev("back", "2026-03-09T10:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-09T10:00:00+08:00"));
    // The visit has had its breach; the ladder's last step (deadline + 1 working day: the end
    // of Tue 10 March) is what remains.
    let out = e.advance(&mut ticket, t("2026-03-12T00:00:00+08:00")).unwrap();
    assert_eq!(kinds(&out.rows), [(t("2026-03-11T00:00:00+08:00"), RowKind::Escalate)]);
    assert_eq!(ticket.stats().breaches, 1);
}

#[test]
fn an_obligation_discharged_in_time_or_left_open_at_closing_never_breaches() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({"amount": 20000}));
    let next = e.next_actions(&ticket, t("2026-03-03T10:00:00+08:00")).unwrap();
    let clock = next.clocks.iter().find(|c| c.kind == "obligation").unwrap();
    assert_eq!(
        (clock.name.as_str(), clock.deadline),
        ("statement", t("2026-03-05T10:00:00+08:00"))
    );
    assert!((clock.used - 1.0 / 3.0).abs() < 1e-9, "24 of 72 hours: {}", clock.used);
    let mut on_time = ticket.clone();
    e.apply(&mut on_time, &ev("published", "2026-03-04T09:00:00+08:00")).unwrap();
    let out = e.advance(&mut on_time, t("2026-03-06T00:00:00+08:00")).unwrap();
    assert!(out.rows.iter().all(|r| r.stage.as_deref() != Some("statement")));
    assert_eq!(
        on_time.obligations().get("statement").unwrap().done,
        Some(t("2026-03-04T09:00:00+08:00"))
    );

    // Closed with the statement still open: every clock stops, the obligation's too.
    e.apply(&mut ticket, &Event::attach("report", t("2026-03-02T11:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &ev("done", "2026-03-02T12:00:00+08:00")).unwrap();
    assert_eq!(e.next_wakeup(&ticket).unwrap(), None);
    assert!(e.advance(&mut ticket, t("2026-03-10T00:00:00+08:00")).unwrap().rows.is_empty());
    assert_eq!(ticket.stats().breaches, 0);
    let next = e.next_actions(&ticket, t("2026-03-10T00:00:00+08:00")).unwrap();
    assert!(next.closed && next.events.is_empty() && next.clocks.is_empty());
    assert_eq!(next.next_wakeup, None);
}

/// A paused calendar-day clock whose deadline rolled on over rest days shows the share it had
/// used when it stopped: the time it holds leaves out the roll-off, and so does the share.
#[test]
fn a_paused_clock_shows_the_share_it_had_used_when_it_stopped() {
    let e = bundled("../examples/policies/held-calendar-days.yaml");
    // 15 calendar days from Fri 30 Jan 10:00; held Thu 5 – Tue 10 Feb: the last day is Thu 19
    // Feb, in Spring Festival, rolled on to the end of Tue 24 Feb (five days of roll-off).
    let mut ticket = open(&e, "2026-01-30T10:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("hold", "2026-02-05T10:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("unhold", "2026-02-10T10:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-25T00:00:00+08:00"));
    let share = |ticket: &ombud_engine::runtime::Ticket, at: &str| {
        let next = e.next_actions(ticket, t(at)).unwrap();
        next.clocks.iter().find(|c| c.kind == "stage").unwrap().used
    };
    // Thu 12 Feb 10:00: 302 of the limit's 494 hours (374 counted, 120 rolled on) are left.
    let running = share(&ticket, "2026-02-12T10:00:00+08:00");
    assert!((running - (1.0 - 302.0 / 494.0)).abs() < 1e-9, "used {running}");
    // Held from then on, it shows that share, not 182 hours left of 494.
    e.apply(&mut ticket, &ev("hold", "2026-02-12T10:00:00+08:00")).unwrap();
    let paused = share(&ticket, "2026-02-16T10:00:00+08:00");
    assert!((paused - running).abs() < 1e-9, "used {paused} while held, {running} before");
}
