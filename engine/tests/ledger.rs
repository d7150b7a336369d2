//! The ledger: reading, replay, comparison, report figures, generation and audit verification,
//! on a small hand-checked ledger (`tests/fixtures/ledger/small.jsonl`, figures worked out by hand
//! in `docs/ledger.md` § "The hand-checked ledger").

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test on bad fixtures")]

use chrono::{DateTime, Utc};
use ombud_engine::ledger::{
    ChainBreak, GenerateOptions, LedgerMismatch, OnError, Period, ReplayError, ReplayOptions,
    ReplayResult, ReportOptions, build_report, compare_with_ledger, generate, ledger_chains,
    ledger_tickets, ledger_tickets_each, replay, replay_report, verify_ticket,
};
use ombud_engine::{Engine, Ticket};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn engine(path: &str) -> Engine {
    let (policy, _) = ombud_engine::load_policy_file(&root().join(path)).unwrap();
    Engine::new(Arc::new(policy))
}

fn reference() -> Engine {
    engine("policies/service-complaints.yaml")
}

fn small() -> String {
    std::fs::read_to_string(root().join("tests/fixtures/ledger/small.jsonl")).unwrap()
}

fn run(engines: &[Engine], text: &str, threads: usize, keep: bool) -> ReplayResult {
    let options =
        ReplayOptions { threads, on_error: OnError::Skip, keep_tickets: keep, calendars: None };
    replay(engines, text.as_bytes(), &options).unwrap()
}

/// The report options for 2026-Q3, with callback seed `seed` and a 30-day repeat window.
fn q3(seed: u64) -> ReportOptions {
    ReportOptions {
        period: "2026-Q3".parse::<Period>().unwrap(),
        seed,
        repeat_window_secs: 30 * 86_400,
        repeat_window: "30d".into(),
    }
}

/// A report table as (key, count) pairs.
fn counts(c: &[ombud_engine::ledger::Count]) -> Vec<(String, u64)> {
    c.iter().map(|c| (c.key.clone(), c.count)).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn replay_figures_of_the_small_ledger() {
    let r = run(&[reference()], &small(), 1, false);
    assert_eq!((r.lines, r.skipped), (81, 0));
    assert_eq!(r.end.unwrap().to_rfc3339(), "2026-07-10T05:30:00+00:00");
    let f = &r.figures[0];
    assert_eq!(f.policy, "service-complaints@2026.2");
    assert_eq!((f.tickets, f.closed, f.applied, f.rejected), (11, 8, 80, 1));
    assert_eq!(f.rejected_by_code.get("not_accepted"), Some(&1));
    assert_eq!(f.breaches, 3);
    assert_eq!(f.breaches_by_stage["intake"]["service_center"], 1);
    assert_eq!(f.breaches_by_stage["verify"]["frontline"], 2);
    assert_eq!(f.escalations, 4);
    assert_eq!(f.escalations_to["management"], 2);
    assert_eq!(f.escalations_to["supervisor"], 2);
    assert_eq!(f.flags, 3);
    assert_eq!(f.marks["frontline"]["performance"], 2);
    assert_eq!(f.marks["service_center"]["performance"], 1);
    let stage = |name: &str| f.stages.iter().find(|s| s.stage == name).unwrap();
    let s = stage("intake");
    assert_eq!((s.visits, s.on_time, s.late, s.running), (11, 10, 1, 0));
    let s = stage("verify");
    assert_eq!((s.visits, s.on_time, s.late, s.running), (11, 8, 2, 1));
    assert!(close(s.on_time_rate.unwrap(), 0.8));
    let s = stage("handle");
    assert_eq!((s.visits, s.on_time, s.late), (9, 9, 0));
    let s = stage("feedback");
    assert_eq!((s.visits, s.on_time, s.late), (9, 9, 0));
    assert_eq!(stage("emergency").visits, 0);
}

#[test]
fn replay_against_a_shorter_handling_limit_lists_exactly_the_changed_tickets() {
    let engines = [reference(), engine("tests/fixtures/ledger/short-handling.yaml")];
    let r = run(&engines, &small(), 1, false);
    let ids: Vec<&str> = r.changes.iter().map(|c| c.ticket.as_str()).collect();
    // T-01, T-03 and T-07 also get a 1-working-day deadline but resolve before it: their
    // timelines differ, their outcomes do not.
    assert_eq!(ids, ["T-02", "T-08"]);
    let t02 = &r.changes[0];
    assert_eq!((t02.before.breaches, t02.after.breaches), (1, 2));
    assert_eq!((t02.before.escalations, t02.after.escalations), (1, 2));
    assert_eq!((t02.before.marks, t02.after.marks), (1, 2));
    let (before, after) = t02.first_difference.clone().unwrap();
    assert_eq!(before.unwrap().detail, "3 working days → due Mon 6 Jul 2026 24:00");
    assert_eq!(after.unwrap().detail, "1 working day → due Thu 2 Jul 2026 24:00");
    let t08 = &r.changes[1];
    assert_eq!((t08.before.breaches, t08.after.breaches), (0, 1));
    assert_eq!(t08.line, 57);
    assert_eq!(r.figures[1].breaches_by_stage["handle"]["supervisor"], 2);
}

#[test]
fn report_figures_of_the_small_ledger() {
    let e = reference();
    let r = run(std::slice::from_ref(&e), &small(), 1, true);
    let options = q3(1);
    let rep = build_report(e.policy(), &r.tickets, &options);
    // T-00 was opened on 30 June: outside the quarter.
    assert_eq!((rep.tickets, rep.closed, rep.closed_on_time, rep.breaches), (10, 7, 6, 3));
    assert!(close(rep.completion_rate.unwrap(), 0.7));
    assert!(close(rep.on_time_rate.unwrap(), 6.0 / 7.0));
    let v = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    };
    assert_eq!(
        counts(&rep.by_category),
        v(&[
            ("fees", 3),
            ("attitude", 2),
            ("quality", 2),
            ("contract", 1),
            ("safety", 1),
            ("unclassified", 1)
        ])
    );
    assert_eq!(
        counts(&rep.by_channel),
        v(&[
            ("app", 3),
            ("web", 2),
            ("consumer_association", 1),
            ("mailbox", 1),
            ("regulator", 1),
            ("social", 1),
            ("window", 1)
        ])
    );
    assert_eq!(counts(&rep.by_severity), v(&[("general", 8), ("major", 2)]));
    assert_eq!(
        counts(&rep.by_department),
        v(&[
            ("customer_care", 3),
            ("finance", 3),
            ("network", 3),
            ("field_service", 1),
            ("metering", 1)
        ])
    );
    assert_eq!(rep.cross_department, 1);
    let problems: Vec<(String, Option<String>, u64)> = rep
        .frequent_problems
        .iter()
        .map(|p| (p.category.clone(), p.keyword.clone(), p.count))
        .collect();
    let p = |c: &str, k: Option<&str>| (c.to_string(), k.map(str::to_string), 1);
    assert_eq!(
        problems,
        [
            p("attitude", Some("impolite")),
            p("attitude", Some("rude")),
            p("contract", Some("contract")),
            p("fees", Some("double billing")),
            p("fees", Some("overcharge")),
            p("fees", Some("price")),
            p("quality", Some("broken")),
            p("quality", Some("delay")),
            p("safety", Some("hazard")),
            p("unclassified", None),
        ]
    );
    let stage = |name: &str| rep.stages.iter().find(|s| s.stage == name).unwrap();
    let s = stage("intake");
    assert_eq!((s.visits, s.on_time, s.late, s.completed), (10, 9, 1, 10));
    assert!(close(s.mean_hours.unwrap(), 4.583_333_333_333_333 / 10.0));
    assert!(close(s.p90_hours.unwrap(), 0.5));
    let s = stage("verify");
    assert_eq!((s.visits, s.on_time, s.late, s.completed), (10, 7, 2, 7));
    assert!(close(s.on_time_rate.unwrap(), 7.0 / 9.0));
    assert!(close(s.mean_hours.unwrap(), (8.0 + 4.5 + 6.0 + 23.0 / 6.0 + 6.0 + 2.0 + 3.0) / 7.0));
    assert!(close(s.p90_hours.unwrap(), 8.0));
    let s = stage("handle");
    assert_eq!((s.visits, s.on_time, s.late), (8, 8, 0));
    assert!(close(s.mean_hours.unwrap(), 313.0 / 8.0));
    assert!(close(s.p90_hours.unwrap(), 72.0));
    let s = stage("feedback");
    assert_eq!((s.visits, s.on_time), (8, 8));
    assert!(close(s.mean_hours.unwrap(), 101.0 / 8.0));
    assert!(close(s.p90_hours.unwrap(), 22.0));
    assert!(close(
        rep.mean_total_hours.unwrap(),
        (50.5 + 72.0 + 226.0 / 3.0 + 98.0 + 217.0 / 3.0 + 30.25 + 52.5) / 7.0
    ));
    assert!(close(rep.p90_total_hours.unwrap(), 98.0));
    let buckets: Vec<u64> = rep.handling_distribution.iter().map(|b| b.count).collect();
    assert_eq!(buckets, [0, 0, 1, 2, 4, 0, 0]);
    assert_eq!((rep.repeats.with_complainant, rep.repeats.repeats), (9, 3));
    assert_eq!(counts(&rep.escalations_by_tier), v(&[("management", 2), ("supervisor", 2)]));
    assert_eq!(counts(&rep.marks_by_tier), v(&[("frontline", 2), ("service_center", 1)]));
    assert_eq!(counts(&rep.marks_by_assignee), v(&[]), "nobody is named in the small ledger");
    let strata: Vec<(String, u64, u64)> =
        rep.callback_strata.iter().map(|s| (s.category.clone(), s.closed, s.sampled)).collect();
    assert_eq!(strata.iter().map(|s| s.2).sum::<u64>(), 6);
    assert!(strata.contains(&("quality".into(), 2, 1)));
    assert_eq!(rep.callback.len(), 6);
    // A shorter window: T-02 (30 June → 1 July) and T-05 (1 → 6 July) are still repeats,
    // T-09 (2 → 9 July) is not.
    let week = ReportOptions { repeat_window_secs: 6 * 86_400, ..options.clone() };
    assert_eq!(build_report(e.policy(), &r.tickets, &week).repeats.repeats, 2);
    // Only June: T-00 alone.
    let june = ReportOptions { period: "2026-06".parse().unwrap(), ..options };
    assert_eq!(build_report(e.policy(), &r.tickets, &june).tickets, 1);
}

/// A `reassign` line naming the person: the marks of T-05 and T-09, both left in verification
/// past their deadline, are counted against the people who held them, in the tier table as
/// before and in the person table.
#[test]
fn report_counts_marks_against_the_person_who_held_the_ticket() {
    let e = reference();
    let mut lines: Vec<String> = small().lines().map(str::to_string).collect();
    let at = |t: &str, person: &str| {
        format!(
            r#"{{"ticket":"{t}","event":{{"at":"{}","event":"reassign","assignee":"{person}"}}}}"#,
            if t == "T-05" { "2026-07-06T09:40:00+08:00" } else { "2026-07-09T09:30:00+08:00" }
        )
    };
    // After each ticket's `registered` line (41 and 69, 1-based), the later one first.
    lines.insert(69, at("T-09", "zhang.min"));
    lines.insert(41, at("T-05", "zhang.min"));
    let r = run(std::slice::from_ref(&e), &(lines.join("\n") + "\n"), 1, true);
    assert_eq!(r.figures[0].rejected, 1, "the reassign lines are applied (T-07's refusal stays)");
    let rep = build_report(e.policy(), &r.tickets, &q3(1));
    assert_eq!(counts(&rep.marks_by_tier), [("frontline".into(), 2), ("service_center".into(), 1)]);
    assert_eq!(counts(&rep.marks_by_assignee), [("zhang.min".to_string(), 2)]);
}

#[test]
fn callback_sample_is_seeded_and_stratified() {
    let e = reference();
    let mut text = Vec::new();
    let g = GenerateOptions {
        tickets: 400,
        seed: 11,
        from: "2026-07-01T00:00:00+08:00".parse().unwrap(),
        to: "2026-09-20T00:00:00+08:00".parse().unwrap(),
    };
    generate(&e, &g, &mut text).unwrap();
    let r = run(std::slice::from_ref(&e), std::str::from_utf8(&text).unwrap(), 2, true);
    let a = build_report(e.policy(), &r.tickets, &q3(1));
    let b = build_report(e.policy(), &r.tickets, &q3(1));
    let c = build_report(e.policy(), &r.tickets, &q3(2));
    assert_eq!(a.callback, b.callback);
    assert_ne!(a.callback, c.callback);
    for s in &a.callback_strata {
        assert_eq!(s.sampled, (s.closed * 20).div_ceil(100), "stratum {}", s.category);
    }
    assert_eq!(a.callback.len() as u64, a.callback_strata.iter().map(|s| s.sampled).sum::<u64>());
}

#[test]
fn the_result_is_the_same_for_any_number_of_threads() {
    let e = reference();
    let mut text = Vec::new();
    let g = GenerateOptions {
        tickets: 400,
        seed: 5,
        from: "2026-07-01T00:00:00+08:00".parse().unwrap(),
        to: "2026-08-31T00:00:00+08:00".parse().unwrap(),
    };
    generate(&e, &g, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    let engines = [reference(), engine("tests/fixtures/ledger/short-handling.yaml")];
    let one = run(&engines, &text, 1, true);
    assert!(!one.changes.is_empty());
    for threads in [2, 3, 4] {
        let many = run(&engines, &text, threads, true);
        // Every figure; not the most tickets held at once, which is each worker's most.
        assert!(many.held_at_most >= one.held_at_most);
        let many = ReplayResult { held_at_most: one.held_at_most, ..many };
        assert_eq!(one, many, "{threads} threads");
        assert_eq!(one.tickets, many.tickets, "{threads} threads");
    }
}

#[test]
fn generated_ledgers_are_deterministic_and_valid() {
    let e = reference();
    let g = GenerateOptions {
        tickets: 300,
        seed: 42,
        from: "2026-07-01T00:00:00+08:00".parse().unwrap(),
        to: "2026-09-30T00:00:00+08:00".parse().unwrap(),
    };
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    generate(&e, &g, &mut a).unwrap();
    generate(&e, &g, &mut b).unwrap();
    generate(&e, &GenerateOptions { seed: 43, ..g.clone() }, &mut c).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let text = String::from_utf8(a).unwrap();
    let r = run(&[e], &text, 1, false);
    let f = &r.figures[0];
    assert_eq!(r.skipped, 0);
    assert_eq!(f.tickets, 300);
    assert!(f.closed * 10 >= f.tickets * 8, "closed {} of {}", f.closed, f.tickets);
    assert!(f.breaches > 0, "some tickets are late");
    // Only the deliberate stray events are refused.
    assert!(f.rejected_by_code.keys().all(|k| k == "not_accepted"), "{:?}", f.rejected_by_code);
    assert!(f.rejected * 50 < f.applied);
}

const MALFORMED: &str = r#"{"ticket":"A","open":{"at":"2026-07-01T09:00:00+08:00","fields":{"channel":"app"}}}
{"ticket":"A","event":{"at":"2026-07-01T09:10:00+08:00","event":"registered"}
{"ticket":"A","event":{"at":"2026-07-01T09:20:00+08:00","event":"attach","artifact":"investigation_report"}}

{"ticket":"B"}
{"ticket":"C","event":{"at":"2026-07-01T09:30:00+08:00","event":"registered"}}
{"ticket":"A","open":{"at":"2026-07-01T09:40:00+08:00"}}
{"ticket":"A","event":{"at":"2026-07-01T09:50:00+08:00","event":"teleport","colour":"red"}}
{"ticket":"A","event":{"at":"2026-07-01T10:00:00+08:00","event":"registered"}}
"#;

#[test]
fn malformed_lines_are_skipped_counted_and_located() {
    for threads in [1, 2] {
        let r = run(&[reference()], MALFORMED, threads, false);
        assert_eq!(r.lines, 8, "blank line not counted");
        assert_eq!(r.skipped, 5);
        let lines: Vec<u64> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 5, 6, 7, 8]);
        assert!(
            r.errors[0].message.starts_with("malformed line: EOF while parsing"),
            "{}",
            r.errors[0]
        );
        assert_eq!(
            r.errors[1].message,
            "a ledger line needs exactly one of `open`, `event` and `calendar`"
        );
        assert_eq!(r.errors[2].message, "event for ticket `C` before its `open` line");
        assert_eq!(r.errors[3].message, "ticket `A` is opened a second time");
        assert!(r.errors[4].message.contains("unknown field `colour`"), "{}", r.errors[4]);
        // The good lines were applied: A is in verify with its report attached.
        let f = &r.figures[0];
        assert_eq!((f.tickets, f.applied, f.rejected), (1, 3, 0));
    }
}

#[test]
fn on_error_fail_stops_at_the_first_malformed_line() {
    for threads in [1, 2, 3] {
        let options = ReplayOptions { threads, on_error: OnError::Fail, ..Default::default() };
        match replay(&[reference()], MALFORMED.as_bytes(), &options) {
            Err(ReplayError::Malformed(e)) => assert_eq!(e.line, 2, "{threads} threads"),
            other => panic!("expected a malformed-line error, got {other:?}"),
        }
    }
}

/// T-03 of the small ledger as a host stores it: 16 records (opening + 15 events).
fn stored_t03() -> Ticket {
    let (tickets, errors) =
        ledger_tickets(&reference(), &Default::default(), small().as_bytes()).unwrap();
    assert!(errors.is_empty());
    let (t, _) = tickets.into_iter().find(|(t, _)| t.id() == "T-03").unwrap();
    assert_eq!(t.history().len(), 16);
    t
}

/// `ticket` as a host stores it (JSON), changed by `edit`, and read back.
fn tampered(ticket: &Ticket, edit: &dyn Fn(&mut Value)) -> Ticket {
    let mut json = serde_json::to_value(ticket).unwrap();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

/// The records of a stored ticket's JSON.
fn records(json: &mut Value) -> &mut Vec<Value> {
    json["history"].as_array_mut().unwrap()
}

#[test]
fn an_intact_chain_verifies() {
    let t = stored_t03();
    let v = verify_ticket(&t);
    assert_eq!(v.problem, None);
    assert_eq!(v.records, 16);
}

#[test]
fn tampering_names_the_altered_record() {
    let problem = |f: &dyn Fn(&mut Value)| verify_ticket(&tampered(&stored_t03(), f)).problem;
    let hash = |seq| Some(ChainBreak::Hash { seq });
    assert_eq!(problem(&|t| t["history"][5]["entry"]["event"] = "confirmed".into()), hash(5));
    assert_eq!(
        problem(&|t| {
            let at: DateTime<Utc> =
                t["history"][7]["entry"]["at"].as_str().unwrap().parse().unwrap();
            t["history"][7]["entry"]["at"] =
                (at + chrono::Duration::minutes(1)).to_rfc3339().into();
        }),
        hash(7)
    );
    assert_eq!(
        problem(&|t| t["history"][9]["entry"]["data"] = json!({"claim_amount": 99999})),
        hash(9)
    );
    assert_eq!(problem(&|t| t["history"][3]["entry"]["member"] = "finance".into()), hash(3));
    assert_eq!(
        problem(&|t| t["history"][0]["entry"]["fields"]["claim_amount"] = 1.into()),
        hash(0)
    );
    assert_eq!(problem(&|t| t["history"][11]["state"] = "0".repeat(64).into()), hash(11));
    assert_eq!(problem(&|t| t["history"][4]["hash"] = "f".repeat(64).into()), hash(4));
    assert_eq!(
        problem(&|t| t["history"][6]["seq"] = 60.into()),
        Some(ChainBreak::Sequence { position: 6, seq: 60 })
    );
    assert_eq!(
        problem(&|t| {
            records(t).remove(8);
        }),
        Some(ChainBreak::Sequence { position: 8, seq: 9 })
    );
    assert_eq!(
        problem(&|t| records(t).swap(12, 13)),
        Some(ChainBreak::Sequence { position: 12, seq: 13 })
    );
    // Renumbering after a removal does not help: the next record's link breaks.
    assert_eq!(
        problem(&|t| {
            records(t).remove(8);
            for (i, r) in records(t).iter_mut().enumerate() {
                r["seq"] = i.into();
            }
        }),
        hash(8)
    );
    assert_eq!(
        problem(&|t| t["audit_head"] = "a".repeat(64).into()),
        Some(ChainBreak::Head { last_seq: 15 })
    );
    assert_eq!(
        problem(&|t| {
            records(t).pop();
        }),
        Some(ChainBreak::Head { last_seq: 14 })
    );
    assert_eq!(
        problem(&|t| t["stats"]["breaches"] = 5.into()),
        Some(ChainBreak::State { last_seq: 15 })
    );
    assert_eq!(problem(&|t| records(t).clear()), Some(ChainBreak::Empty));
}

#[test]
fn verify_messages_name_the_record() {
    let t = tampered(&stored_t03(), &|t| {
        records(t).remove(8);
    });
    assert_eq!(
        verify_ticket(&t).problem.unwrap().to_string(),
        "record seq 8 is missing: position 8 holds seq 9 (records removed)"
    );
}

#[test]
fn a_ledger_is_checked_against_the_stored_tickets() {
    let e = reference();
    let text = small();
    let (stored, _) = ledger_tickets(&e, &Default::default(), text.as_bytes()).unwrap();
    let stored: Vec<Ticket> = stored.into_iter().map(|(t, _)| t).collect();
    let (chains, _) = ledger_chains(&e, &Default::default(), text.as_bytes()).unwrap();
    assert!(compare_with_ledger(&chains, &stored).is_empty());
    // Someone edits the ledger: T-02's `resolved` (line 34) two days earlier.
    let edited: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == 34 {
                assert!(l.contains(r#""ticket":"T-02""#) && l.contains("resolved"), "{l}");
                l.replace("2026-07-03T16:00", "2026-07-01T17:00")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (chains, _) = ledger_chains(&e, &Default::default(), edited.as_bytes()).unwrap();
    assert_eq!(
        compare_with_ledger(&chains, &stored),
        [LedgerMismatch::Record { ticket: "T-02".into(), seq: 4, line: Some(34) }]
    );
    // A stored ticket that was tampered with is reported as broken.
    let mut altered = stored.clone();
    altered[1] = tampered(&stored[1], &|t| t["history"][2]["state"] = "0".repeat(64).into());
    let (chains, _) = ledger_chains(&e, &Default::default(), text.as_bytes()).unwrap();
    assert_eq!(
        compare_with_ledger(&chains, &altered),
        [LedgerMismatch::Broken { ticket: "T-01".into(), problem: ChainBreak::Hash { seq: 2 } }]
    );
}

/// A ledger of `n` tickets of the desk policy, each closed before the next one opens.
fn one_at_a_time(n: u32) -> String {
    (0..n)
        .map(|i| {
            let (h, m) = (9 + i / 60, i % 60);
            format!(
                "{{\"ticket\":\"D-{i}\",\"open\":{{\"at\":\"2026-07-06T{h:02}:{m:02}:00Z\"}}}}\n\
                 {{\"ticket\":\"D-{i}\",\"event\":{{\"at\":\"2026-07-06T{h:02}:{m:02}:30Z\",\"event\":\"done\"}}}}\n"
            )
        })
        .collect()
}

#[test]
fn a_finished_ticket_is_not_held() {
    // `report` and `ledger tickets` held every finished ticket to the end (1.86 GB for a million
    // tickets). Now a ticket is folded into the figures, or handed out, as it finishes: with one
    // ticket open at a time, one is held at a time, however long the ledger.
    let e = ombud_engine::doc_support::desk();
    let ledger = one_at_a_time(300);
    let july = ReportOptions {
        period: "2026-07".parse().unwrap(),
        seed: 1,
        repeat_window_secs: 86_400,
        repeat_window: "1d".into(),
    };
    for threads in [1, 2] {
        let options = ReplayOptions { threads, ..ReplayOptions::default() };
        let (result, report) = replay_report(&e, ledger.as_bytes(), &options, &july).unwrap();
        assert_eq!((result.figures[0].tickets, report.tickets, report.closed), (300, 300, 300));
        assert!(result.tickets.is_empty(), "no records kept");
        assert!(result.held_at_most <= threads as u64, "{} held", result.held_at_most);
        // The same report as from the records a replay keeps when asked to.
        let keep = ReplayOptions { keep_tickets: true, ..options };
        let kept = replay(std::slice::from_ref(&e), ledger.as_bytes(), &keep).unwrap();
        assert_eq!(report, build_report(e.policy(), &kept.tickets, &july));
    }
    let mut written = 0;
    let (errors, held) =
        ledger_tickets_each(&e, &Default::default(), ledger.as_bytes(), |ticket, _, _| {
            assert!(ticket.is_closed());
            written += 1;
        })
        .unwrap();
    assert_eq!((errors.len(), held, written), (0, 1, 300));
}

/// Every bundled and example policy: December 2026 (a month of tickets).
fn policy_files() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["policies", "examples/policies"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_policy_generates_a_ledger_whose_tickets_all_open() {
    let files = policy_files();
    // The four bundled policies and the example: the list is not silently empty.
    assert!(files.len() >= 5, "{files:?}");
    for file in &files {
        let e = engine(file);
        let g = GenerateOptions {
            tickets: 200,
            seed: 7,
            from: "2026-12-01T00:00:00+08:00".parse().unwrap(),
            to: "2026-12-31T23:59:59+08:00".parse().unwrap(),
        };
        let mut text = Vec::new();
        let stats = generate(&e, &g, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        // At least the 200 openings.
        assert!(stats.lines >= 200, "{file}: {} lines", stats.lines);
        let r = run(std::slice::from_ref(&e), &text, 1, false);
        let f = &r.figures[0];
        assert_eq!((r.lines, r.skipped), (stats.lines, 0), "{file}: malformed lines");
        assert_eq!(f.tickets, 200, "{file}");
        assert_eq!(f.rejected_by_code.get("not_opened"), None, "{file}: {:?}", f.rejected_by_code);
        // Every required field is given, with a value of its type.
        let required: Vec<_> = e.policy().fields().iter().filter(|d| d.required).collect();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let Some(fields) = v["open"]["fields"].as_object() else { continue };
            for d in &required {
                assert!(fields.contains_key(&d.name), "{file}: {line} lacks `{}`", d.name);
            }
        }
    }
}

#[test]
fn required_enum_fields_take_each_of_their_values() {
    // samr-12315: `kind: {type: enum, values: [complaint, report], required: true}`;
    // city-hotline-12345: `request_type`, five values, required. Drawn equally often, 200
    // tickets give every value (each is missed with odds below 5 × (4/5)^200).
    for (file, field, values) in [
        ("policies/samr-12315.yaml", "kind", &["complaint", "report"][..]),
        (
            "policies/city-hotline-12345.yaml",
            "request_type",
            &["enquiry", "help", "complaint", "report", "suggestion"][..],
        ),
    ] {
        let e = engine(file);
        let g = GenerateOptions {
            tickets: 200,
            seed: 7,
            from: "2026-12-01T00:00:00+08:00".parse().unwrap(),
            to: "2026-12-31T23:59:59+08:00".parse().unwrap(),
        };
        let mut text = Vec::new();
        generate(&e, &g, &mut text).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for line in std::str::from_utf8(&text).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if let Some(k) = v["open"]["fields"][field].as_str() {
                seen.insert(k.to_string());
            }
        }
        let mut want: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), want, "{file}");
    }
}

#[test]
fn an_opening_the_engine_refuses_stops_generation_with_the_reason() {
    // samr-12315's first stage is due in 7 working days: from 30 Dec 9999 that ends after the
    // last instant the engine keeps, so the engine refuses every opening.
    let e = engine("policies/samr-12315.yaml");
    let g = GenerateOptions {
        tickets: 3,
        seed: 1,
        from: "9999-12-30T00:00:00+08:00".parse().unwrap(),
        to: "9999-12-30T23:59:59+08:00".parse().unwrap(),
    };
    let mut text = Vec::new();
    let err = generate(&e, &g, &mut text).unwrap_err();
    assert!(matches!(
        &err,
        ombud_engine::ledger::GenerateError::Opening { ticket, .. } if ticket == "T-000001"
    ));
    assert!(err.to_string().contains("`7 working days` from 9999-12-30"), "{err}");
    assert!(text.is_empty());
}

#[test]
fn required_fields_of_every_type_are_given() {
    let yaml = "policy: every-type\ncalendar: weekdays\ntiers: [agent]\nstart: open\n\
        fields:\n\
        \x20 level: {type: enum, values: [low, high], required: true}\n\
        \x20 count: {type: int, required: true}\n\
        \x20 amount: {type: number, required: true}\n\
        \x20 flag: {type: bool, required: true}\n\
        \x20 district: {type: string, required: true}\n\
        \x20 tags: {type: list, required: true}\n\
        \x20 extra: {type: map, required: true}\n\
        stages:\n\
        \x20 open: {owner: agent, due: 1 working day, on: {done: closed}}\n\
        \x20 closed: {terminal: true}\n";
    let (policy, _) = ombud_engine::load_policy("every-type.yaml", yaml, None).unwrap();
    let e = Engine::new(Arc::new(policy));
    let from: DateTime<Utc> = "2026-07-06T00:00:00Z".parse().unwrap();
    let g =
        GenerateOptions { tickets: 50, seed: 2, from, to: "2026-12-31T00:00:00Z".parse().unwrap() };
    let mut text = Vec::new();
    let stats = generate(&e, &g, &mut text).unwrap();
    // Each ticket: its opening and one `done` (1 working day, long before `to`).
    assert_eq!((stats.lines, stats.closed), (100, 50));
    let text = String::from_utf8(text).unwrap();
    let mut flags = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| l.contains("\"open\"")) {
        let v: Value = serde_json::from_str(line).unwrap();
        let f = &v["open"]["fields"];
        assert!(["low", "high"].contains(&f["level"].as_str().unwrap()), "{line}");
        assert!((1..=9).contains(&f["count"].as_i64().unwrap()), "{line}");
        assert!(f["amount"].is_number(), "{line}");
        flags.insert(f["flag"].as_bool().unwrap());
        assert!(f["district"].as_str().unwrap().starts_with("district "), "{line}");
        assert_eq!(f["tags"].as_array().unwrap().len(), 1, "{line}");
        assert_eq!(f["extra"], json!({}), "{line}");
    }
    // `false` is given too, not left out as a default would be.
    assert_eq!(flags.into_iter().collect::<Vec<_>>(), [false, true]);
    let r = run(std::slice::from_ref(&e), &text, 1, false);
    assert_eq!((r.figures[0].tickets, r.figures[0].closed), (50, 50));
}

/// 400 tickets of `file` opened over 2026, replayed with their records.
fn generated_year(file: &str, seed: u64) -> (Engine, ReplayResult) {
    let e = engine(file);
    let g = GenerateOptions {
        tickets: 400,
        seed,
        from: "2026-01-01T00:00:00+08:00".parse().unwrap(),
        to: "2026-12-31T23:59:59+08:00".parse().unwrap(),
    };
    let mut text = Vec::new();
    generate(&e, &g, &mut text).unwrap();
    let r = run(std::slice::from_ref(&e), std::str::from_utf8(&text).unwrap(), 1, true);
    (e, r)
}

/// How many of `r`'s tickets visited `stage` (and, with `left`, went on from it).
fn visited(r: &ReplayResult, stage: &str, left: bool) -> usize {
    let visits = |t: &&ombud_engine::ledger::TicketRecord| {
        t.visits.iter().any(|v| v.stage == stage && (!left || v.left.is_some()))
    };
    r.tickets.iter().filter(visits).count()
}

#[test]
fn generated_tickets_go_through_the_whole_process() {
    // samr-12315's `verify_report` goes on only once `filing` (and `real_name`) say where: the
    // generator records them with a `set`. Measured with seed 11: 194 of 205 reports went on
    // (the rest were opened in the last weeks), 95 to a case, 51 to `not_filed`, and 360 of
    // 400 tickets closed.
    let (_, r) = generated_year("policies/samr-12315.yaml", 11);
    let f = &r.figures[0];
    let reports = visited(&r, "verify_report", false);
    assert!(reports >= 100, "{reports} reports");
    assert!(visited(&r, "verify_report", true) * 10 >= reports * 9, "{reports} reports");
    assert!(visited(&r, "case", false) * 5 >= reports, "{reports} reports");
    assert!(visited(&r, "not_filed", false) * 10 >= reports, "{reports} reports");
    assert!(f.closed * 4 >= f.tickets * 3, "{} of {} closed", f.closed, f.tickets);
    // The other policies' tickets go on as well: 389 of 400 closed in each (seed 11).
    for file in ["policies/city-hotline-12345.yaml", "policies/bank-complaints.yaml"] {
        let (_, r) = generated_year(file, 11);
        let f = &r.figures[0];
        assert!(f.closed * 10 >= f.tickets * 9, "{file}: {} of {} closed", f.closed, f.tickets);
    }
}

#[test]
fn a_stage_left_only_by_conditions_gets_the_values_that_open_it() {
    // `wait` has no event that leaves it while `calls` is 0 and `tier` is `low`: the generator
    // sets `calls` above 10 (the automatic transition) or `tier` to `high` (then sends `go`).
    let yaml = "policy: shut\ncalendar: weekdays\ntiers: [agent]\nstart: wait\n\
        fields:\n\
        \x20 calls: {type: int, default: 0}\n\
        \x20 tier: {type: enum, values: [low, high], default: low}\n\
        stages:\n\
        \x20 wait:\n\
        \x20   owner: agent\n\
        \x20   due: 1 working day\n\
        \x20   on: {go: {to: closed, when: 'tier == \"high\"'}}\n\
        \x20   auto: [{to: closed, when: 'calls > 10'}]\n\
        \x20 closed: {terminal: true}\n";
    let (policy, _) = ombud_engine::load_policy("shut.yaml", yaml, None).unwrap();
    let e = Engine::new(Arc::new(policy));
    let from: DateTime<Utc> = "2026-07-06T00:00:00Z".parse().unwrap();
    let g =
        GenerateOptions { tickets: 40, seed: 5, from, to: "2026-12-31T00:00:00Z".parse().unwrap() };
    let mut text = Vec::new();
    let stats = generate(&e, &g, &mut text).unwrap();
    assert_eq!(stats.closed, 40);
    let text = String::from_utf8(text).unwrap();
    let sets: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"]["event"] == "set")
        .map(|v| v["event"]["data"].clone())
        .collect();
    // One `set` per ticket, each giving one of the two ways out (both drawn).
    assert_eq!(sets.len(), 40);
    assert!(sets.iter().all(|d| d == &json!({"calls": 11}) || d == &json!({"tier": "high"})));
    assert!(sets.contains(&json!({"calls": 11})) && sets.contains(&json!({"tier": "high"})));
    assert_eq!(
        text.matches(r#""event":"go""#).count(),
        sets.iter().filter(|d| d["tier"] == "high").count()
    );
    let r = run(std::slice::from_ref(&e), &text, 1, false);
    assert_eq!(r.figures[0].closed, 40);
}
