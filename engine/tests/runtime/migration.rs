//! Tickets pinned to a policy version, and moving them to another.

use crate::common::*;
use ombud_engine::runtime::{Engine, Event, Migration, RowKind, Ticket};
use serde_json::json;

#[test]
fn tickets_are_pinned_to_their_policy_version() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let v2 =
        Engine::new(compile(&FOCUSED.replace("within: 3 working days", "within: 2 working days")));
    let before = ticket.clone();
    let err = v2
        .apply(&mut ticket, &Event::attach("report", t("2026-03-02T11:00:00+08:00")))
        .unwrap_err();
    assert_eq!(err.code(), "policy_mismatch");
    assert_eq!(ticket, before);

    let (kept, _) = v2.migrate(&ticket, Migration::KeepDeadlines).unwrap();
    assert_eq!(kept.clock().unwrap().deadline, t("2026-03-06T00:00:00+08:00"));
    let (recomputed, _) = v2.migrate(&ticket, Migration::Recompute).unwrap();
    assert_eq!(recomputed.clock().unwrap().deadline, t("2026-03-05T00:00:00+08:00"));
    assert_eq!(recomputed.policy(), v2.pin());
}

/// A stored ticket from a build that dropped another event's keys instead of refusing them
/// still recomputes: its recorded events replay as they were applied.
#[test]
fn recomputing_replays_recorded_events_as_they_were_accepted() {
    let e = engine();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let take = json!({"at": "2026-03-02T10:30:00+08:00", "event": "take", "assignee": "li.wei"});
    assert!(
        unreadable(take.clone()).starts_with("`take` takes no `assignee` (only `reassign` does)")
    );
    // What the older build stored: the event as sent, applied without its assignee.
    e.apply(&mut ticket, &ev("take", "2026-03-02T10:30:00+08:00")).unwrap();
    let ticket = edited(&ticket, |json| json["history"][1]["entry"] = take);
    let v2 =
        Engine::new(compile(&FOCUSED.replace("within: 3 working days", "within: 2 working days")));
    let (recomputed, outcome) = v2.migrate(&ticket, Migration::Recompute).unwrap();
    assert_eq!(recomputed.stage(), "work");
    assert!(outcome.rows.iter().all(|r| r.kind != RowKind::Rejected));
    // Echoing a transition's stage back as `to` is refused with a word on what `to` means.
    let echoed = json!({"at": "2026-03-02T11:00:00+08:00", "event": "done", "to": "closed"});
    assert!(
        unreadable(echoed)
            .ends_with("a transition's next stage comes from the policy, and `to` names a tier")
    );
}

#[test]
fn keeping_deadlines_under_a_new_ladder_schedules_the_new_steps() {
    let e = engine();
    let ticket = in_work(&e, "2026-03-02T00:00:00+08:00", json!({}));
    // 50 % of three working days from the start of Monday 2 March.
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-03-03T12:00:00+08:00")));
    let v2 = Engine::new(compile(&FOCUSED.replace("at: 50%", "at: 80%")));
    let (kept, outcome) = v2.migrate(&ticket, Migration::KeepDeadlines).unwrap();
    assert_eq!(kept.clock().unwrap().deadline, t("2026-03-05T00:00:00+08:00"));
    // 80 % of the same clock: 2.4 working days in, Wednesday 09:36; the same for the ticket as
    // migrated and as stored and read back.
    assert_eq!(outcome.next_wakeup, Some(t("2026-03-04T09:36:00+08:00")));
    assert_eq!(v2.next_wakeup(&kept).unwrap(), outcome.next_wakeup);
    let stored: Ticket = serde_json::from_str(&serde_json::to_string(&kept).unwrap()).unwrap();
    assert_eq!(v2.next_wakeup(&stored).unwrap(), outcome.next_wakeup);
}

#[test]
fn a_ticket_under_another_policy_is_refused_by_every_call_and_left_unchanged() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let v2 = Engine::new(compile(&FOCUSED.replace("version: \"1\"", "version: \"2\"")));
    let before = serde_json::to_string(&ticket).unwrap();
    let at = t("2026-03-10T00:00:00+08:00");
    assert_eq!(v2.advance(&mut ticket, at).unwrap_err().code(), "policy_mismatch");
    assert_eq!(v2.next_actions(&ticket, at).unwrap_err().code(), "policy_mismatch");
    assert_eq!(v2.next_wakeup(&ticket).unwrap_err().code(), "policy_mismatch");
    assert_eq!(
        v2.apply(&mut ticket, &ev("done", "2026-03-03T10:00:00+08:00")).unwrap_err().code(),
        "policy_mismatch"
    );
    assert_eq!(serde_json::to_string(&ticket).unwrap(), before);

    // A ticket edited to stand in a stage its policy does not have is refused the same way.
    let mut lost = edited(&ticket, |json| json["stage"] = json!("limbo"));
    let err = e.apply(&mut lost, &ev("done", "2026-03-03T10:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "unknown_stage");
    assert_eq!(err.to_string(), "ticket `T-1` is at stage `limbo`, which its policy does not have");
    assert_eq!(e.next_wakeup(&lost).unwrap_err().code(), "unknown_stage");
    assert_eq!(e.advance(&mut lost, at).unwrap_err().code(), "unknown_stage");
    assert_eq!(e.next_actions(&lost, at).unwrap_err().code(), "unknown_stage");

    // A closed ticket refuses events and is left exactly as it was.
    e.apply(&mut ticket, &Event::attach("report", t("2026-03-02T11:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &ev("done", "2026-03-02T12:00:00+08:00")).unwrap();
    let closed = serde_json::to_string(&ticket).unwrap();
    let err =
        e.apply(&mut ticket, &Event::attach("report", t("2026-03-03T11:00:00+08:00"))).unwrap_err();
    assert_eq!(err.code(), "closed");
    assert_eq!(serde_json::to_string(&ticket).unwrap(), closed);
}

#[test]
fn keeping_deadlines_does_not_replay_steps_already_past() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T00:00:00+08:00", json!({}));
    // The 50 % flag fires Tue 3 Mar 12:00.
    e.advance(&mut ticket, t("2026-03-03T13:00:00+08:00")).unwrap();
    assert_eq!(ticket.stats().flags, 1);
    // Under 80 %, the flag is still ahead (Wed 4 Mar 09:36), and it fires once.
    let v2 = Engine::new(compile(&FOCUSED.replace("at: 50%", "at: 80%")));
    let (mut kept, outcome) = v2.migrate(&ticket, Migration::KeepDeadlines).unwrap();
    assert_eq!(outcome.next_wakeup, Some(t("2026-03-04T09:36:00+08:00")));
    let rows = v2.advance(&mut kept, t("2026-03-04T10:00:00+08:00")).unwrap().rows;
    assert_eq!(kinds(&rows), [(t("2026-03-04T09:36:00+08:00"), RowKind::Flag)]);
    // A new step that falls before the ticket's clock (25 %, Mon 2 Mar 18:00) counts as past:
    // nothing fires again, and the next wake-up lies ahead.
    let v3 = Engine::new(compile(&FOCUSED.replace(
        "    - { at: 50%, do: flag, notify: owner }",
        "    - { at: 25%, do: flag }\n    - { at: 50%, do: flag, notify: owner }",
    )));
    let (mut kept, outcome) = v3.migrate(&ticket, Migration::KeepDeadlines).unwrap();
    assert_eq!(outcome.next_wakeup, Some(t("2026-03-05T00:00:00+08:00")));
    assert!(v3.advance(&mut kept, t("2026-03-04T23:00:00+08:00")).unwrap().rows.is_empty());
    assert_eq!(kept.stats().flags, 1);
}

#[test]
fn keeping_deadlines_needs_the_ticket_stage_in_the_new_policy() {
    let e = engine();
    let ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let text = FOCUSED
        .replace("take: work", "take: handling")
        .replace("stages: [work]", "stages: [handling]")
        .replace("\n  work:\n", "\n  handling:\n");
    let renamed = Engine::new(compile(&text));
    let err = renamed.migrate(&ticket, Migration::KeepDeadlines).unwrap_err();
    assert_eq!(err.code(), "bad_event");
    assert!(
        err.to_string().starts_with("stage `work` does not exist in policy `focused`"),
        "{err}"
    );
    // Recomputing from the history replays the same events into the renamed stage.
    let (moved, _) = renamed.migrate(&ticket, Migration::Recompute).unwrap();
    assert_eq!(moved.stage(), "handling");
    assert_eq!(moved.clock().unwrap().deadline, ticket.clock().unwrap().deadline);
}
