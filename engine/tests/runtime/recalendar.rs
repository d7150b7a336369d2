//! The 2027 rehearsal in the engine: tickets opened in December 2026, counted past the end of
//! cn-mainland's data, brought onto the 2027 fixture calendar (1–3 Jan 2027 New Year, 5–12 Feb
//! Spring Festival, Sun 14 Feb a make-up day). Expected instants are worked by hand.

use crate::common::*;
use ombud_engine::policy::load_policy_on_calendar;
use ombud_engine::runtime::{AuditEntry, Engine, RowKind};
use ombud_engine::{Calendar, verify_ticket};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn engines() -> (Engine, Engine) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join("tests/fixtures/policies/rehearsal-2027.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (old, _) = ombud_engine::load_policy("rehearsal-2027.yaml", &text, None).unwrap();
    let cal =
        Calendar::from_file(&root.join("tests/fixtures/calendars/cn-mainland-2027-fixture.yaml"))
            .unwrap();
    let (new, _) =
        load_policy_on_calendar("rehearsal-2027.yaml", &text, None, Arc::new(cal)).unwrap();
    (Engine::new(Arc::new(old)), Engine::new(Arc::new(new)))
}

#[test]
fn a_provisional_deadline_moves_its_steps_move_and_nothing_else_changes() {
    let (old, new) = engines();
    // 30 working days from Mon 28 Dec 2026. Plain workweek: Dec 29–31 are 1–3, Fri 1 Jan is 4,
    // the weeks of January 5–24, Feb 1–5 are 25–29, Mon 8 Feb is 30 → end of Mon 8 Feb.
    let mut ticket = open(&old, "2026-12-28T10:00:00+08:00", json!({"lane": "long"}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2027-02-09T00:00:00+08:00"));
    assert!(ticket.clock().unwrap().provisional);
    let at = t("2026-12-31T12:00:00+08:00");
    let before = ticket.clone();
    let (outcome, updates) = new.recalendar(&mut ticket, old.policy().calendar(), at).unwrap();
    // The fixture: 1 Jan is a holiday, so Dec 29–31 are 1–3, Jan 4–29 are 4–23, Feb 1–4 are
    // 24–27, 5–12 Feb is the Spring Festival, Sun 14 (make-up), Mon 15, Tue 16 Feb are 28–30.
    let c = ticket.clock().unwrap();
    assert_eq!(c.deadline, t("2027-02-17T00:00:00+08:00"));
    assert!(!c.provisional);
    assert_eq!(updates.len(), 1);
    let u = &updates[0];
    assert_eq!(
        (u.old.to_utc(), u.new.to_utc(), u.moved_working_days),
        (before.clock().unwrap().deadline, c.deadline, 3)
    );
    let row = &outcome.rows[0];
    assert_eq!(row.kind, RowKind::Recalendared);
    assert_eq!(
        row.detail,
        "`handle` moved: Mon 8 Feb 2027 24:00 → Tue 16 Feb 2027 24:00 (+3 working days) on \
         calendar cn-mainland-2027-fixture, data to 2027-03-31"
    );
    assert_eq!((row.at, row.due), (at, Some(c.deadline)));
    // The escalation a working day after the deadline re-places with it: the end of Wed 17 Feb.
    let why = u.explanation.as_ref().unwrap();
    assert_eq!(why.steps[1].at.to_utc(), t("2027-02-18T00:00:00+08:00"));
    assert!(
        why.to_string().contains("Fri 5 – Fri 12 Feb 2027     Spring Festival 春节, holiday"),
        "{why}"
    );
    // The audit chain records the update, and verifies.
    let last = ticket.history().last().unwrap();
    let AuditEntry::Calendar(record) = &last.entry else { panic!("a calendar record") };
    assert_eq!(
        (record.calendar.as_str(), record.clocks.as_slice()),
        ("cn-mainland-2027-fixture", &["handle".to_string()][..])
    );
    assert!(verify_ticket(&ticket).problem.is_none());
    // Nothing else changed: the same ticket but for the clock's deadline, total and mark, the
    // ticket's clock, the history and its head.
    let strip = |t: &ombud_engine::Ticket| {
        let mut v = serde_json::to_value(t).unwrap();
        for k in ["clock", "history", "audit_head", "clock_at", "last_event_at"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    assert_eq!(strip(&ticket), strip(&before));
    let (c0, c1) = (before.clock().unwrap(), ticket.clock().unwrap());
    assert_eq!(
        (c0.started, c0.budget, c0.fired, c0.breached),
        (c1.started, c1.budget, c1.fired, c1.breached)
    );
    // The ticket runs on under the new engine; the 50 % flag falls on the new clock.
    let next = new.next_wakeup(&ticket).unwrap().unwrap();
    assert_eq!(next, why.steps[0].at.to_utc());
}

#[test]
fn a_deadline_the_new_data_leaves_in_place_is_confirmed_and_a_covered_one_is_not_touched() {
    let (old, new) = engines();
    // 10 calendar days from Wed 30 Dec 2026: Sat 9 Jan, not a working day, rolls to the end of
    // Mon 11 Jan on both calendars.
    let mut ticket = open(&old, "2026-12-30T10:00:00+08:00", json!({"lane": "calendar"}));
    assert!(ticket.clock().unwrap().provisional);
    let at = t("2026-12-31T12:00:00+08:00");
    let (outcome, updates) = new.recalendar(&mut ticket, old.policy().calendar(), at).unwrap();
    assert_eq!(
        (updates[0].old.to_utc(), updates[0].new.to_utc()),
        (t("2027-01-12T00:00:00+08:00"), t("2027-01-12T00:00:00+08:00"))
    );
    assert!(!ticket.clock().unwrap().provisional);
    assert!(outcome.rows[0].detail.starts_with("`handle` confirmed: due Mon 11 Jan 2027 24:00"));
    // 3 working days from Mon 21 Dec end Thu 24 Dec, inside the old data: nothing to do.
    let mut covered = open(&old, "2026-12-21T10:00:00+08:00", json!({"lane": "short"}));
    let before = covered.clone();
    let (outcome, updates) = new
        .recalendar(&mut covered, old.policy().calendar(), t("2026-12-22T10:00:00+08:00"))
        .unwrap();
    assert!(updates.is_empty() && outcome.rows.is_empty());
    assert_eq!(covered.history(), before.history());
}

#[test]
fn a_paused_clock_keeps_its_remaining_working_time() {
    let (old, new) = engines();
    // 7 working days from Mon 28 Dec; paused Tue 29 Dec 10:00.
    let mut ticket = open(&old, "2026-12-28T10:00:00+08:00", json!({}));
    old.apply(&mut ticket, &ev("wait", "2026-12-29T10:00:00+08:00")).unwrap();
    let remaining = ticket.clock().unwrap().paused.as_ref().unwrap().remaining;
    let (_, updates) = new
        .recalendar(&mut ticket, old.policy().calendar(), t("2026-12-31T12:00:00+08:00"))
        .unwrap();
    assert_eq!(updates.len(), 1);
    // The budget counted from the start is 14h of Mon 28 Dec and 7 working days on both
    // calendars; paused Tue 29 Dec 10:00 after 24h, 158h remain. Resumed Mon 4 Jan 2027 09:00
    // (1–3 Jan now a holiday): 15h of Mon 4 Jan, Tue 5 – Mon 11 Jan (120h), 23h of Tue 12 Jan.
    assert_eq!(remaining, 158 * 3600);
    assert_eq!(ticket.clock().unwrap().paused.as_ref().unwrap().remaining, remaining);
    new.apply(&mut ticket, &ev("back", "2027-01-04T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2027-01-12T23:00:00+08:00"));
}

/// The rehearsal policy counted on the calendar file `yaml` (standing in for cn-mainland).
fn on_calendar(yaml: &str) -> Engine {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text =
        std::fs::read_to_string(root.join("tests/fixtures/policies/rehearsal-2027.yaml")).unwrap();
    let cal = Calendar::from_yaml("update.yaml", yaml, None).unwrap();
    let (p, _) =
        load_policy_on_calendar("rehearsal-2027.yaml", &text, None, Arc::new(cal)).unwrap();
    Engine::new(Arc::new(p))
}

#[test]
fn a_calendar_that_covers_less_than_the_one_it_replaces_is_refused() {
    let (old, _) = engines();
    // What `calendar from-notice 2027.txt` prints without `--extends`: 2027 only.
    let alone = on_calendar(
        "id: cn-mainland-2027\ntimezone: Asia/Shanghai\nworkweek: [mon, tue, wed, thu, fri]\n\
         covers: {from: 2027-01-01, to: 2027-12-31}\n\
         holidays:\n  - {name: New Year's Day, from: 2027-01-01, to: 2027-01-03}\n",
    );
    let mut ticket = open(&old, "2026-12-28T10:00:00+08:00", json!({"lane": "long"}));
    let before = ticket.clone();
    let err = alone
        .recalendar(&mut ticket, old.policy().calendar(), t("2026-12-31T12:00:00+08:00"))
        .unwrap_err();
    assert_eq!(err.code(), "calendar_mismatch");
    assert_eq!(
        err.to_string(),
        "calendar `cn-mainland-2027` cannot replace `cn-mainland`: it covers 2027-01-01 to \
         2027-12-31 and leaves out 2024-01-01 to 2026-12-31, which `cn-mainland` covers"
    );
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(
        json["hint"],
        "an update extends the calendar it replaces and adds to it: `extends: cn-mainland` in \
         the file (`ombud calendar from-notice NOTICE --extends cn-mainland`)"
    );
    assert_eq!(ticket, before);
    // Another zone or workweek is refused as well, even covering every date.
    let utc = on_calendar(
        "id: cn-utc\ntimezone: UTC\nworkweek: [mon, tue, wed, thu, fri]\n\
         covers: {from: 2024-01-01, to: 2027-12-31}\n",
    );
    let err = utc.check_calendar_update(old.policy().calendar()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "calendar `cn-utc` cannot replace `cn-mainland`: it counts in UTC, `cn-mainland` in \
         Asia/Shanghai"
    );
}

#[test]
fn a_same_deadline_still_beyond_the_data_is_unchanged_not_confirmed() {
    let (old, _) = engines();
    // cn-mainland extended to 31 Mar 2027 with no holidays: the first quarter of 2027 counts as
    // the plain workweek did.
    let quarter = on_calendar(
        "id: cn-2027-q1\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2027-03-31}\n",
    );
    let at = t("2026-12-31T12:00:00+08:00");
    // 7 working days from Mon 28 Dec 2026: Dec 29–31 are 1–3, Fri 1 Jan is 4, Jan 4–6 are 5–7
    // → the end of Wed 6 Jan, inside the new data: confirmed.
    let mut week = open(&old, "2026-12-28T10:00:00+08:00", json!({}));
    let (outcome, updates) = quarter.recalendar(&mut week, old.policy().calendar(), at).unwrap();
    assert_eq!(
        (updates[0].old.to_utc(), updates[0].new.to_utc()),
        (t("2027-01-07T00:00:00+08:00"), t("2027-01-07T00:00:00+08:00"))
    );
    assert!(updates[0].confirmed() && !updates[0].provisional);
    assert!(outcome.rows[0].detail.starts_with("`handle` confirmed: due Wed 6 Jan 2027 24:00"));
    // 10 calendar days from Wed 24 Mar 2027 end Sat 3 Apr, rolled to the end of Mon 5 Apr:
    // beyond 31 Mar on both calendars, the same instant, still provisional: not confirmed.
    let mut late = open(&old, "2027-03-24T10:00:00+08:00", json!({"lane": "calendar"}));
    assert_eq!(late.clock().unwrap().deadline, t("2027-04-06T00:00:00+08:00"));
    let at = t("2027-03-25T12:00:00+08:00");
    let (outcome, updates) = quarter.recalendar(&mut late, old.policy().calendar(), at).unwrap();
    let u = &updates[0];
    assert_eq!(
        (u.old.to_utc(), u.new.to_utc()),
        (t("2027-04-06T00:00:00+08:00"), t("2027-04-06T00:00:00+08:00"))
    );
    assert!(u.was_provisional && u.provisional && u.unchanged_provisional() && !u.confirmed());
    assert_eq!(
        outcome.rows[0].detail,
        "`handle` unchanged: due Mon 5 Apr 2027 24:00 on calendar cn-2027-q1, data to 2027-03-31 \
         (still provisional)"
    );
    assert!(late.clock().unwrap().provisional);
    // Old and new are written in the calendar's offset.
    let json = serde_json::to_value(u).unwrap();
    assert_eq!(
        (&json["old"], &json["new"]),
        (&json!("2027-04-06T00:00:00+08:00"), &json!("2027-04-06T00:00:00+08:00"))
    );
    let s = ombud_engine::runtime::UpdateSummary::of(&updates);
    assert_eq!((s.provisional, s.confirmed, s.unchanged_provisional, s.moved), (1, 0, 1, 0));
}

/// A desk on cn-mainland whose handling limit can be extended, and the same policy on the 2027
/// fixture.
fn extending_engines() -> (Engine, Engine) {
    let text = "\
policy: rehearsal-extension
version: '1'
calendar: cn-mainland
tiers: [agent, lead]
ladders:
  std:
    - { at: 50%, do: flag }
    - { at: deadline + 1 working day, do: escalate, to: lead }
ladder: std
start: handle
stages:
  handle:
    owner: agent
    due: 7 working days
    extensions:
      - { on: extended, by: 10 working days }
    on: { done: closed }
  closed: { terminal: true }
pause:
  - { on: wait, resume_on: back, resume: remaining }
";
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cal =
        Calendar::from_file(&root.join("tests/fixtures/calendars/cn-mainland-2027-fixture.yaml"))
            .unwrap();
    let (old, _) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
    let (new, _) = load_policy_on_calendar("p.yaml", text, None, Arc::new(cal)).unwrap();
    (Engine::new(Arc::new(old)), Engine::new(Arc::new(new)))
}

#[test]
fn an_extended_clock_is_recounted_from_its_history_and_moved() {
    let (old, new) = extending_engines();
    // Opened Mon 21 Dec 2026 10:00: 7 working days are Tue 22 – Fri 25 and Mon 28 – Wed 30 Dec
    // → the end of Wed 30 Dec, inside cn-mainland's data.
    let mut ticket = open(&old, "2026-12-21T10:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-12-31T00:00:00+08:00"));
    assert!(!ticket.clock().unwrap().provisional);
    // Paused Mon 28 Dec 10:00 with 62h left (14h of Mon, Tue, Wed), resumed Tue 29 Dec 10:00:
    // 14h of Tue, Wed and Thu 31 Dec → the end of Thu 31 Dec, i.e. Fri 1 Jan 2027 00:00, a
    // deadline the engine marks provisional (its instant lies in 2027).
    old.apply(&mut ticket, &ev("wait", "2026-12-28T10:00:00+08:00")).unwrap();
    old.apply(&mut ticket, &ev("back", "2026-12-29T10:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2027-01-01T00:00:00+08:00"));
    // Extended Wed 30 Dec 09:00 by 10 working days, counted on from the end of Thu 31 Dec on the
    // plain workweek: Fri 1 Jan is day 1, Mon 4 – Fri 8 Jan days 2–6, Mon 11 – Thu 14 Jan days
    // 7–10 → the end of Thu 14 Jan 2027, provisional.
    old.apply(&mut ticket, &ev("extended", "2026-12-30T09:00:00+08:00")).unwrap();
    let c = ticket.clock().unwrap().clone();
    assert_eq!(c.deadline, t("2027-01-15T00:00:00+08:00"));
    assert!(c.provisional);
    let at = t("2026-12-30T12:00:00+08:00");
    let (outcome, updates) = new.recalendar(&mut ticket, old.policy().calendar(), at).unwrap();
    // On the fixture 1–3 Jan 2027 is New Year's Day: the resume still gives the end of Thu 31
    // Dec (now within the data), and the 10 added working days are Mon 4 – Fri 8 and Mon 11 –
    // Fri 15 Jan → the end of Fri 15 Jan: one working day later, no longer provisional.
    let moved = ticket.clock().unwrap();
    assert_eq!(moved.deadline, t("2027-01-16T00:00:00+08:00"));
    assert!(!moved.provisional);
    // The limit is the same on the working clock (14h of Mon 21 Dec, 7 days, 10 days): only
    // where its days fall moved.
    assert_eq!(moved.total, c.total);
    assert_eq!(moved.extended, c.extended);
    assert_eq!(updates.len(), 1);
    let u = &updates[0];
    assert_eq!(
        (u.old.to_utc(), u.new.to_utc(), u.moved_working_days, u.was_provisional),
        (c.deadline, moved.deadline, 1, true)
    );
    assert_eq!(
        outcome.rows[0].detail,
        "`handle` moved: Thu 14 Jan 2027 24:00 → Fri 15 Jan 2027 24:00 (+1 working day) on \
         calendar cn-mainland-2027-fixture, data to 2027-03-31"
    );
    // The explanation after the update follows the history: the pause, then the extension
    // counted on the new data, ending on the moved deadline; the escalation re-placed a working
    // day after it, the end of Mon 18 Jan.
    let why = u.explanation.as_ref().unwrap();
    assert_eq!(why.deadline.to_utc(), moved.deadline);
    let text = why.to_string();
    for line in [
        "  paused Mon 28 Dec 2026 10:00 (`wait`) – Tue 29 Dec 2026 10:00 (`back`): 24h of working time held\n",
        "  extended Wed 30 Dec 2026 09:00 (`extended`): by 10 working days, counted on from the deadline Thu 31 Dec 2026 24:00\n",
        "    Fri 1 – Sun 3 Jan 2027   New Year's Day 元旦, holiday\n",
        "    Mon 4 – Fri 15 Jan 2027  working days 1–10\n",
        "    deadline Fri 15 Jan 2027 24:00\n",
        "1 working day after the extended deadline",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert_eq!(why.steps[1].at.to_utc(), t("2027-01-19T00:00:00+08:00"));
    assert!(why.provisional.is_none());
    assert!(verify_ticket(&ticket).problem.is_none());
    // A second update on the same data confirms nothing more: the clock is no longer provisional
    // and the fixture counts it alike.
    let before = ticket.clone();
    let (_, again) = new.recalendar(&mut ticket, new.policy().calendar(), at).unwrap();
    assert!(again.is_empty());
    assert_eq!(ticket.history(), before.history());
}
