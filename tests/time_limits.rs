//! Time limits and ladder steps that reach past 9999-12-31T23:59:59Z, the last instant Ombud
//! keeps (issue 19's reproductions): a lint error when the policy alone shows it, a refusal with
//! its reason when only a ticket's instants do, never a panic, a silent clamp or figures of zero.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test on bad fixtures")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const POLICY: &str = "policies/service-complaints.yaml";
const SMALL: &str = "tests/fixtures/ledger/small.jsonl";
const SCENARIO: &str = "examples/scenarios/general-quality-complaint-on-time.yaml";
const SCENARIOS: &str = "examples/scenarios";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ombud(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ombud"))
        .current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .env("OMBUD_TODAY", "2026-06-01")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ombud-time-limits-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The reference policy with `from` replaced by `to`, written to `dir`.
fn policy_with(dir: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join(POLICY)).unwrap();
    assert!(text.contains(from), "{from}");
    let path = dir.join(name);
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

#[test]
fn limits_and_steps_past_9999_are_lint_errors_every_command_reports() {
    // Each linted clean; `simulate` then panicked (`DateTime + TimeDelta overflowed`), `replay`
    // and `report` on two threads printed "tickets 0" and exited 0, and `ledger tickets`,
    // `audit verify --policy` and `diff` exited 101.
    let d = dir("lint");
    let cases = [
        ("due.yaml", "{ within: 3 working days }", "{ within: 99999999 working days }", "E0430"),
        ("days.yaml", "{ within: 3 working days }", "{ within: 55000000 working days }", "E0430"),
        (
            "step.yaml",
            "deadline + 1 working day, do: escalate",
            "deadline + 4294967295 calendar days, do: escalate",
            "E0431",
        ),
        ("share.yaml", "at: 80%, do: flag", "at: 1e300%, do: flag", "E0431"),
        // Held at 4,294,967,295 minutes before: the same deadline as any larger count.
        ("hours.yaml", "{ within: 3 working days }", "{ within: 71582789 working hours }", "E0404"),
    ];
    for (name, from, to, code) in cases {
        let policy = policy_with(&d, name, from, to);
        let p = s(&policy);
        let o = ombud(&["lint", p]);
        let (out, _) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {out}");
        assert!(out.contains(&format!("error[{code}]")), "{name}: {out}");
        let commands: Vec<Vec<&str>> = vec![
            vec!["simulate", "--policy", p, SCENARIO],
            vec!["replay", "--policy", p, "--ledger", SMALL, "--threads", "2"],
            vec![
                "report",
                "--policy",
                p,
                "--ledger",
                SMALL,
                "--period",
                "2026-Q3",
                "--threads",
                "2",
            ],
            vec!["ledger", "tickets", "--policy", p, "--ledger", SMALL],
            vec!["audit", "verify", "--policy", p, SMALL],
            vec!["diff", POLICY, p, SCENARIOS],
        ];
        for args in commands {
            let o = ombud(&args);
            let (out, err) = text(&o);
            let code_seen = out.contains(code) || err.contains(code);
            assert!(matches!(o.status.code(), Some(1 | 2)), "{name} {args:?}: {err}");
            assert!(code_seen && !err.contains("panicked"), "{name} {args:?}: {out}{err}");
            assert!(!out.contains("tickets"), "{name} {args:?}: no figures: {out}");
        }
    }
    // `calendar add` returned +262142-12-31T23:59:59Z for 55 million working days, marked only
    // provisional; and the same deadline for any count of working hours from 71582789 up.
    let add = |duration: &str| {
        let args = ["calendar", "add", "--calendar", "cn-mainland", "--from"];
        ombud(&[&args[..], &["2026-02-13T17:30:00+08:00", "--duration", duration]].concat())
    };
    let o = add("55000000 working days");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o),
        (
            String::new(),
            "error: `55000000 working days` from 2026-02-13T17:30:00+08:00 ends after \
             9999-12-31T23:59:59Z, the last instant Ombud keeps\n"
                .to_string()
        )
    );
    let o = add("71582789 working hours");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("`71582789` is too large: at most 71582788 working hours"));
    let o = add("71582788 working hours");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o).1);
    assert!(text(&o).1.contains("ends after 9999-12-31T23:59:59Z"));
}

#[test]
fn a_deadline_past_9999_at_run_time_is_refused_with_its_reason() {
    let d = dir("run");
    // A ticket of the last days of 9999: its 1-hour intake fits, the clock that `registered`
    // would start does not (its ladder's step a working day after its deadline). The event is
    // refused, and the figures say why.
    let ledger = d.join("late.jsonl");
    let open = r#"{"ticket":"Z-1","open":{"at":"9999-12-30T10:00:00+08:00","fields":{"text":"late delivery","channel":"web","departments":["network"]}}}"#;
    let registered =
        r#"{"ticket":"Z-1","event":{"at":"9999-12-30T10:10:00+08:00","event":"registered"}}"#;
    std::fs::write(&ledger, format!("{open}\n{registered}\n")).unwrap();
    for threads in ["1", "2"] {
        let args = ["replay", "--policy", POLICY, "--ledger", s(&ledger), "--format", "json"];
        let o = ombud(&[&args[..], &["--threads", threads]].concat());
        assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = &json["figures"][0];
        assert_eq!((f["tickets"].as_u64(), f["applied"].as_u64()), (Some(1), Some(1)));
        assert_eq!(f["rejected_by_code"], serde_json::json!({ "out_of_range": 1 }));
    }
    // `simulate`: the event is a rejected row naming the limit; an opening whose first limit
    // ends too late is E0610; a relative time that does is E0606 at its place.
    let write = |name: &str, body: &str| {
        let path = d.join(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    let late = write(
        "late.yaml",
        "ticket: { id: Z-1, at: 9999-12-30T10:00:00+08:00, fields: { text: late delivery, channel: web } }\n\
         events: [ { at: +10m, event: registered } ]\n",
    );
    let o = ombud(&["simulate", "--policy", POLICY, s(&late)]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        out.contains(
            "registered [out_of_range]: ladder step `deadline + 1 working day` of a limit due \
             9999-12-31T10:10:00+08:00 ends after 9999-12-31T23:59:59Z, the last instant Ombud \
             keeps"
        ),
        "{out}"
    );
    assert!(out.contains("stage intake  tier service_center  open"), "unchanged: {out}");
    let opened = write(
        "opened.yaml",
        "ticket: { id: Z-2, at: 9999-12-31T23:30:00+08:00, fields: { text: late delivery, channel: web } }\n",
    );
    let o = ombud(&["simulate", "--policy", POLICY, s(&opened)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // Its 1-hour intake ends at 00:30 on 1 January 10000 in Shanghai, 16:30 UTC: kept, and
    // written in UTC; the step a working day later is not.
    assert!(
        err.contains(
            "error[E0610]: the policy refuses to open the ticket: ladder step `deadline + 1 \
             working day` of a limit due 9999-12-31T16:30:00+00:00 ends after"
        ),
        "{err}"
    );
    let far = write(
        "far.yaml",
        "ticket: { id: Z-3, at: 2026-02-13T17:30:00+08:00, fields: { text: late delivery, channel: web } }\n\
         events: [ { at: +99999999 working days, event: registered } ]\n",
    );
    let o = ombud(&["simulate", "--policy", POLICY, s(&far)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[E0606]: relative time `99999999 working days` from"), "{err}");
    assert!(err.contains("far.yaml:2:"), "{err}");
}

#[test]
fn second_60_is_refused_with_its_place_wherever_instants_are_read() {
    // `23:59:60` was accepted and kept as `:59`.
    let d = dir("leap");
    let scenario = d.join("leap.yaml");
    std::fs::write(&scenario, "ticket: { id: L-1, at: 2026-12-31T23:59:60+08:00 }\n").unwrap();
    let o = ombud(&["simulate", "--policy", POLICY, s(&scenario)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error[E0605]: bad instant `2026-12-31T23:59:60+08:00`: second 60"),
        "{err}"
    );
    assert!(err.contains("leap.yaml:1:41"), "at the seconds: {err}");
    let ledger = d.join("leap.jsonl");
    std::fs::write(&ledger, "{\"ticket\":\"L\",\"open\":{\"at\":\"2026-12-31T23:59:60+08:00\"}}\n")
        .unwrap();
    let o = ombud(&["replay", "--policy", POLICY, "--ledger", s(&ledger), "--on-error", "fail"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("line 1: malformed line: `2026-12-31T23:59:60+08:00`: second 60"),
        "{err}"
    );
    let args = ["calendar", "add", "--calendar", "weekdays", "--duration", "1h", "--from"];
    let o = ombud(&[&args[..], &["2026-12-31T23:59:60Z"]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("`--from 2026-12-31T23:59:60Z` has second 60"));
    let calendar = d.join("late.yaml");
    std::fs::write(&calendar, "id: late\nextends: weekdays\nhours: 09:00-23:59:60\n").unwrap();
    let args = ["calendar", "add", "--duration", "1h", "--from", "2026-12-31T10:00:00Z"];
    let o = ombud(&[&args[..], &["--calendar", s(&calendar)]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("`23:59:60` is not a time `HH:MM`"), "{}", text(&o).1);
}

#[test]
fn instants_before_1901_read_back_exactly() {
    // Shanghai kept local mean time, +08:05:43, until 1901: RFC 3339 cannot write that offset,
    // and the deadline came back 17 s off. It is written in UTC, to the second.
    let add = |from: &str, duration: &str| {
        let args = ["calendar", "add", "--calendar", "cn-mainland", "--from", from, "--duration"];
        let o = ombud(&[&args[..], &[duration]].concat());
        assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
        text(&o).0.trim().to_string()
    };
    let deadline = add("1900-06-01T10:00:00+08:00", "3 working days");
    assert_eq!(deadline, "1900-06-06T15:54:17+00:00"); // 24:00 at +08:05:43
    assert_eq!(add(&deadline, "1h"), "1900-06-06T16:54:17+00:00");
    // Where the offset is whole minutes, the calendar's zone as before.
    assert_eq!(add("2026-02-13T17:30:00+08:00", "1h"), "2026-02-13T18:30:00+08:00");
}
