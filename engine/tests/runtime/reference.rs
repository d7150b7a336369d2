//! The reference policy, end to end.

use crate::common::*;
use ombud_engine::runtime::{Event, RowKind};
use serde_json::json;

#[test]
fn next_actions_lists_events_artifacts_and_clocks() {
    let e = engine();
    let ticket = in_work(&e, "2026-03-02T00:00:00+08:00", json!({}));
    let next = e.next_actions(&ticket, t("2026-03-03T12:00:00+08:00")).unwrap();
    assert_eq!(next.stage, "work");
    assert_eq!(next.missing_artifacts, ["report"]);
    let done = next.events.iter().find(|a| a.event == "done").unwrap();
    assert_eq!(done.to.as_deref(), Some("closed"));
    assert_eq!(done.blocked_by, ["missing report"]);
    let clock = &next.clocks[0];
    assert_eq!(clock.deadline, t("2026-03-05T00:00:00+08:00"));
    assert!((clock.used - 0.5).abs() < 1e-9, "36 of 72 working hours used: {}", clock.used);
}

#[test]
fn reference_policy_spring_festival_fee_complaint() {
    let e = reference();
    // The design's scenario: received Friday 13 Feb 2026 17:30, registered 20 minutes later.
    let mut ticket = open(
        &e,
        "2026-02-13T17:30:00+08:00",
        json!({"text": "重复计费", "departments": ["billing"]}),
    );
    assert_eq!(ticket.fields()["category"], json!("fees"));
    assert_eq!(ticket.fields()["severity"], json!("general"));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-13T18:30:00+08:00"));
    e.apply(&mut ticket, &ev("registered", "2026-02-13T17:50:00+08:00")).unwrap();
    // Verification: 24 wall-clock hours, red flag at 80 % (19 h 12 m).
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-14T17:50:00+08:00"));
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-02-14T13:02:00+08:00")));
    e.apply(&mut ticket, &Event::attach("investigation_report", t("2026-02-14T10:00:00+08:00")))
        .unwrap();
    e.apply(&mut ticket, &ev("report_filed", "2026-02-14T10:05:00+08:00")).unwrap();
    // Handling starts on Sat 14 Feb (a make-up working day, not counted): 24, 25, 26 Feb.
    let clock = ticket.clock().unwrap();
    assert_eq!(clock.deadline, t("2026-02-27T00:00:00+08:00"));
    assert_eq!(ticket.tier(), Some("supervisor"));
    // 80 % of 85 h 55 m of working time: 17 h 11 m before the deadline.
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-02-26T06:49:00+08:00")));
    let out = e.advance(&mut ticket, t("2026-03-02T00:00:00+08:00")).unwrap();
    let fired: Vec<_> = out
        .rows
        .iter()
        .map(|r| (r.at, r.kind, r.tier.as_deref().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(
        fired,
        [
            (t("2026-02-26T06:49:00+08:00"), RowKind::Flag, "supervisor".to_string()),
            (t("2026-02-27T00:00:00+08:00"), RowKind::Breach, "supervisor".to_string()),
            (t("2026-02-27T00:00:00+08:00"), RowKind::Escalate, "service_center".to_string()),
            (t("2026-02-28T00:00:00+08:00"), RowKind::Escalate, "management".to_string()),
        ]
    );
    assert_eq!(ticket.marks()[0].tier, "supervisor");
}

#[test]
fn reference_policy_threat_takes_the_emergency_path() {
    let e = reference();
    let ticket = open(&e, "2026-10-01T23:10:00+08:00", json!({"threat": true, "text": "abuse"}));
    assert_eq!(ticket.stage(), "emergency");
    assert_eq!(ticket.tier(), Some("management"));
    assert_eq!(ticket.fields()["severity"], json!("major"));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-10-02T01:10:00+08:00"));
}
