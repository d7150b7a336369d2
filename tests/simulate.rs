//! `ombud simulate`, `ombud test` and `ombud diff` as a user runs them: output, exit codes and
//! located scenario diagnostics.

use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const REFERENCE: &str = "policies/service-complaints.yaml";
const TWO_DAYS: &str = "tests/fixtures/policies/service-complaints-2wd.yaml";

/// Runs `ombud <args>` from the repository root without colour; returns (exit code, stdout, stderr).
#[expect(clippy::unwrap_used, reason = "test helper: failing to start the binary fails the test")]
fn ombud(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ombud"))
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn simulate_text_is_an_aligned_table_in_the_calendars_zone() {
    let (code, out, err) =
        ombud(&["simulate", "examples/scenarios/general-fee-complaint-over-spring-festival.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("times in Asia/Shanghai"), "{out}");
    let header = out.lines().find(|l| l.starts_with("AT")).unwrap();
    let deadline =
        out.lines().find(|l| l.contains("3 working days → due Thu 26 Feb 2026 24:00")).unwrap();
    // Columns line up: KIND starts in the same column in the header and in every row.
    assert_eq!(header.find("KIND"), deadline.find("deadline"));
    assert!(out.contains("breach    handle"), "{out}");
    assert!(out.contains("Final state\n  stage handle  tier management  open"), "{out}");
    assert!(
        out.contains(
            "Next actions\n  resolved → compensate  by management  (blocked: condition \
             `compensation_awarded > 0.0` is false)\n  resolved → feedback  by management\n"
        ),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no colour with NO_COLOR");
}

#[test]
fn simulate_marks_provisional_deadlines_with_a_footnote() {
    let (code, out, _) =
        ombud(&["simulate", "examples/scenarios/year-end-deadline-in-2027-provisional.yaml"]);
    assert_eq!(code, 0);
    assert!(out.contains("deadline*  handle"), "{out}");
    assert!(out.contains("* provisional: the instant rests on days after 2026-12-31"), "{out}");
}

#[test]
fn simulate_json_has_the_same_rows_with_rfc3339_instants() {
    let (code, out, err) = ombud(&[
        "simulate",
        "--format",
        "json",
        "examples/scenarios/general-fee-complaint-over-spring-festival.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows[0]["at"], "2026-02-13T17:30:00+08:00");
    assert_eq!(rows[0]["kind"], "opened");
    let handle = rows.iter().find(|r| r["kind"] == "deadline" && r["stage"] == "handle").unwrap();
    assert_eq!(handle["due"], "2026-02-27T00:00:00+08:00");
    let breach = rows.iter().find(|r| r["kind"] == "breach").unwrap();
    assert_eq!(
        (breach["at"].as_str(), breach["tier"].as_str()),
        (Some("2026-02-27T00:00:00+08:00"), Some("supervisor"))
    );
    assert_eq!(v["final"]["stage"], "handle");
    assert_eq!(v["final"]["breaches"], 1);
    assert_eq!(v["next"]["events"][0]["event"], "resolved");
}

#[test]
fn simulate_policy_flag_overrides_the_scenarios_policy() {
    let (code, out, _) = ombud(&[
        "simulate",
        "--policy",
        TWO_DAYS,
        "examples/scenarios/general-fee-complaint-over-spring-festival.yaml",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("policy service-complaints@2026.2-2wd"), "{out}");
    assert!(out.contains("2 working days → due Wed 25 Feb 2026 24:00"), "{out}");
}

#[test]
fn rejected_events_are_timeline_rows() {
    let (code, out, _) =
        ombud(&["simulate", "examples/scenarios/rejected-not-accepted-and-guard-false.yaml"]);
    assert_eq!(code, 0);
    let row = out.lines().find(|l| l.contains("resolved [not_accepted]")).unwrap();
    assert!(row.starts_with("Mon 13 Jul 2026 09:05  rejected  intake"), "{row}");
    assert!(
        row.ends_with("stage `intake` does not accept event `resolved` (it accepts `registered`)"),
        "{row}"
    );
    assert!(out.contains("compensation_needed [guard_false]"), "{out}");
    assert!(out.contains("rejected events 2"), "{out}");
}

#[test]
fn test_reports_each_failed_expectation_with_its_line() {
    let (code, out, _) = ombud(&["test", "tests/fixtures/scenarios/failing-expectation.yaml"]);
    assert_eq!(code, 1, "{out}");
    let file = "tests/fixtures/scenarios/failing-expectation.yaml";
    assert!(out.contains(&format!("FAIL {file}")), "{out}");
    assert!(
        out.contains(&format!(
            "{file}:13:3: expect.breaches\n    expected: 0\n    actual:   1 [handle]"
        )),
        "{out}"
    );
    assert!(out.contains(&format!(
        "{file}:14:16: expect.deadlines.handle\n    expected: 2026-02-26T00:00:00+08:00 (Wed 25 Feb 2026 24:00)\n    actual:   2026-02-27T00:00:00+08:00 (Thu 26 Feb 2026 24:00)"
    )), "{out}");
    assert!(
        out.contains(&format!(
            "{file}:15:3: expect.closed\n    expected: true\n    actual:   false"
        )),
        "{out}"
    );
    // `stage: handle` holds, so it is not reported.
    assert!(!out.contains("expect.stage"), "{out}");
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed"));
}

#[test]
fn test_lists_the_refused_events_under_a_failure_and_notes_them_under_ok() {
    // The extension comes on Mon 2 Mar 2026, after `verify`'s deadline (the end of Fri 27 Feb):
    // refused, so the breach stands.
    let file = "tests/fixtures/scenarios/late-extension-explains-a-failure.yaml";
    let (code, out, _) = ombud(&["test", file]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{file}:11:3: expect.breaches\n    expected: 0\n    actual:   1 [verify]\n  \
             refused events:\n    event 2 at Mon 2 Mar 2026 09:00: extension_approved \
             [extension_late]: `extension_approved` comes too late: the deadline of `verify` \
             passed at Fri 27 Feb 2026 24:00\n"
        )),
        "{out}"
    );
    // Every expectation holds, and `expect:` does not list the refusal: still a pass, noted.
    let file = "tests/fixtures/scenarios/late-extension-not-in-expect.yaml";
    let (code, out, _) = ombud(&["test", file]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with(&format!("ok   {file} (1 refused event not in expect: rejected)\n")));
    // A scenario whose `rejected:` lists the refusal passes without a note.
    let (code, out, _) = ombud(&["test", "examples/scenarios/report-extension-late-refused.yaml"]);
    assert_eq!(
        (code, out.lines().next()),
        (0, Some("ok   examples/scenarios/report-extension-late-refused.yaml"))
    );
}

#[test]
fn test_counts_a_scenario_that_does_not_load_as_failed() {
    let (code, out, _) = ombud(&[
        "test",
        "tests/fixtures/scenarios/broken",
        "examples/scenarios/makeup-workday-filing.yaml",
    ]);
    assert_eq!(code, 1, "{out}");
    let broken =
        std::fs::read_dir(std::path::Path::new(ROOT).join("tests/fixtures/scenarios/broken"))
            .unwrap()
            .count();
    assert_eq!(out.lines().last(), Some(format!("1 passed, {broken} failed").as_str()));
}

#[test]
fn test_exit_2_on_a_missing_path() {
    let (code, _, err) = ombud(&["test", "examples/no-such-dir"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such file or directory: examples/no-such-dir"), "{err}");
}

#[test]
fn scenario_diagnostics_are_located() {
    let cases = [
        (
            "unknown-key.yaml",
            "error[E0602]: unknown key `artefact` in `events[]`",
            "4:36",
            "did you mean `artifact`?",
        ),
        (
            "bad-duration.yaml",
            "error[E0606]: bad relative time `+2 days`",
            "5:14",
            "a relative time is `+` and a duration",
        ),
        (
            "bad-instant.yaml",
            "error[E0605]: bad instant `2026-02-13 17:30`",
            "4:7",
            "RFC 3339 instant with its offset",
        ),
        (
            // A date where an instant is meant; the end of Thu 26 Feb is the midnight that
            // starts Fri 27 Feb, in the zone of the policy's calendar.
            "date-only-deadline.yaml",
            "error[E0605]: bad instant `2026-02-26`: a date, without a time of day and offset",
            "6:24",
            "a deadline is an instant: the end of Thu 26 Feb 2026 (the midnight that ends it) \
             is written `2026-02-27T00:00:00+08:00` (in Asia/Shanghai, the zone of calendar \
             `cn-mainland`)",
        ),
        (
            // The ticket is written in UTC (10:00 in Shanghai), and the bank's calendar has
            // business hours: Tue 3 Feb ends at close of business, 17:30 in Shanghai.
            "date-only-deadline-on-business-hours.yaml",
            "error[E0605]: bad instant `2026-02-03`: a date, without a time of day and offset",
            "7:26",
            "a deadline is an instant: the end of Tue 3 Feb 2026 (close of business) is written \
             `2026-02-03T17:30:00+08:00` (in Asia/Shanghai, the zone of calendar `cn-mainland`)",
        ),
        (
            "undeclared-event.yaml",
            "error[E0612]: the policy does not declare event `decide`",
            "5:34",
            "did you mean `decided`?",
        ),
        (
            "unknown-field.yaml",
            "error[E0613]: the policy has no field `knid`",
            "2:61",
            "did you mean `kind`?",
        ),
        (
            "wrong-type.yaml",
            "error[E0614]: field `real_name` must be true or false, found a string",
            "2:82",
            "write it unquoted: `real_name: true`",
        ),
        (
            "not-in-enum.yaml",
            "error[E0615]: `accepted` is not a value of `decision`",
            "5:57",
            "`decision` is one of `受理`, `不予受理`",
        ),
        (
            "missing-required-field.yaml",
            "error[E0616]: the ticket does not give the required field `kind`",
            "5:3",
            "add `kind: …` to `ticket.fields`",
        ),
    ];
    for (file, message, at, hint) in cases {
        let path = format!("tests/fixtures/scenarios/broken/{file}");
        let (code, out, err) = ombud(&["simulate", &path]);
        assert_eq!(code, 1, "{file}: {out}{err}");
        assert!(err.contains(message), "{file}: {err}");
        assert!(err.contains(&format!("--> {path}:{at}\n")), "{file}: {err}");
        assert!(err.contains(hint), "{file}: {err}");
    }
}

#[test]
fn a_scenario_with_a_typo_fails_test_instead_of_passing() {
    // Without the check the undeclared event is only a refused row, and `closed: false` holds.
    let file = "tests/fixtures/scenarios/broken/undeclared-event.yaml";
    let (code, out, _) = ombud(&["test", file]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with(&format!("FAIL {file}\n  error[E0612]")), "{out}");
    let (_, out, _) = ombud(&["test", "tests/fixtures/scenarios/broken/wrong-type.yaml"]);
    assert!(out.contains("wrong-type.yaml:5:44\n"), "both mistakes, each located: {out}");
    // A refusal the scenario expects is not a mistake.
    let (code, out, _) = ombud(&["test", "examples/scenarios/rejected-bad-field-data.yaml"]);
    assert_eq!(code, 0, "{out}");
}

/// Scenario mistakes come in steps (docs/scenarios.md): every shape mistake at once, and the
/// mistakes against the policy, every one at once, when the shape is sound.
#[test]
fn shape_mistakes_and_mistakes_against_the_policy_are_reported_in_one_run() {
    let file = "tests/fixtures/scenarios/broken/shape-and-policy-mistakes.yaml";
    // The ticket's fields and the first event parsed: they are checked against the policy
    // while the second event's time and `expect:` have mistakes of shape.
    let expected: [(&str, u32, u32); 6] = [
        ("E0614", 9, 32),
        ("E0615", 9, 48),
        ("E0613", 9, 54),
        ("E0612", 11, 23),
        ("E0606", 12, 14),
        ("E0604", 15, 13),
    ];
    let (code, out, _) = ombud(&["simulate", "--format", "json", file]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(&str, u64, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["file"].as_str(), Some(file), "{d}");
            (
                d["code"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, u64, u64)> =
        expected.iter().map(|&(c, l, col)| (c, u64::from(l), u64::from(col))).collect();
    assert_eq!(found, want, "{out}");
    // `ombud test` (stdout), `ombud simulate` (stderr) and `ombud lint` (stdout) print the same
    // diagnostics, each with its place.
    let located = |text: &str| -> Vec<(String, String)> {
        let lines: Vec<&str> = text.lines().map(str::trim_start).collect();
        lines
            .windows(2)
            .filter_map(|w| {
                let code = w[0].strip_prefix("error[")?.get(..5)?.to_string();
                Some((code, w[1].strip_prefix("--> ")?.to_string()))
            })
            .collect()
    };
    let want: Vec<(String, String)> =
        expected.iter().map(|(c, l, col)| (c.to_string(), format!("{file}:{l}:{col}"))).collect();
    let (code, out, _) = ombud(&["test", file]);
    assert_eq!((code, located(&out)), (1, want.clone()), "{out}");
    let (code, _, err) = ombud(&["simulate", file]);
    assert_eq!((code, located(&err)), (1, want.clone()), "{err}");
    let (code, out, _) = ombud(&["lint", file]);
    assert_eq!((code, located(&out)), (1, want), "{out}");
}

#[test]
fn scenario_diagnostics_in_json() {
    let path = "tests/fixtures/scenarios/broken/unknown-key.yaml";
    let (code, out, _) = ombud(&["simulate", "--format", "json", path]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!((d["code"].as_str(), d["file"].as_str()), (Some("E0602"), Some(path)));
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(4), Some(36)));
}

#[test]
fn diff_of_a_policy_with_itself_is_empty() {
    let (code, out, err) = ombud(&["diff", REFERENCE, REFERENCE, "examples/scenarios"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("0 of 24 scenarios changed (21 written for other policies skipped)"),
        "{out}"
    );
}

#[test]
fn diff_exit_2_on_errors() {
    let (code, _, _) = ombud(&["diff", REFERENCE, "policies/nope.yaml", "examples/scenarios"]);
    assert_eq!(code, 2);
    let (code, _, _) = ombud(&["diff", REFERENCE, REFERENCE, "no-such-scenario.yaml"]);
    assert_eq!(code, 2);
}

/// Acceptance: cutting the general handling limit from 3 to 2 working days moves exactly the
/// scenarios where a general complaint enters handling — and no major one.
#[test]
fn diff_lists_exactly_the_scenarios_whose_timelines_move() {
    let (code, out, err) = ombud(&["diff", REFERENCE, TWO_DAYS, "examples/scenarios"]);
    assert_eq!(code, 1, "{out}{err}");
    let changed: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("examples/scenarios/"))
        .map(|l| l.trim_start_matches("examples/scenarios/"))
        .collect();
    assert_eq!(
        changed,
        [
            "compensation-decided-needs-voucher.yaml",
            "compensation-pay-first.yaml",
            "cross-department-joint-group.yaml",
            "disputed-result-loops-back.yaml",
            "disputed-result-to-arbitration.yaml",
            "general-fee-complaint-over-spring-festival.yaml",
            "general-quality-complaint-on-time.yaml",
            "late-night-filing.yaml",
            "makeup-workday-filing.yaml",
            "national-day-eve-filing.yaml",
            "pause-awaiting-complainant.yaml",
            "public-holiday-filing.yaml",
            "rejected-missing-and-unknown-artifacts.yaml",
            "rejected-not-accepted-and-guard-false.yaml",
            "rejected-out-of-order-and-closed.yaml",
        ]
    );
    assert!(out.contains(
        "examples/scenarios/general-fee-complaint-over-spring-festival.yaml\n  ~ handle deadline moves from Thu 26 Feb 2026 24:00 to Wed 25 Feb 2026 24:00\n"
    ), "{out}");
    assert!(out.contains("  + handle breach at Sat 10 Oct 2026 24:00"), "{out}");
    assert_eq!(
        out.lines().last(),
        Some("15 of 24 scenarios changed (21 written for other policies skipped); breaches 7 → 11")
    );
}

/// A `reassign` naming a person: the overdue mark is recorded against the tier and that person.
#[test]
fn simulate_shows_the_person_a_mark_is_recorded_against() {
    let path = "tests/fixtures/scenarios/performance-mark-against-the-assignee.yaml";
    let (code, out, err) = ombud(&["simulate", path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("assigned to zhang.min (frontline) by event"), "{out}");
    assert!(out.contains("mark `performance` against frontline (zhang.min)"), "{out}");
    assert!(out.contains("  performance marks against frontline (zhang.min)\n"), "{out}");
    let (code, json, err) = ombud(&["simulate", "--format", "json", path]);
    assert_eq!(code, 0, "{json}{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["final"]["mark_assignees"], serde_json::json!(["zhang.min"]));
    assert_eq!(v["final"].get("assignee"), None, "nobody holds the ticket for management");
    let (code, out, err) = ombud(&["test", path]);
    assert_eq!(code, 0, "{out}{err}");
}

/// A condition that fails on the ticket's values is reported under the timeline, at the call
/// that met it, in text and JSON; a scenario without one shows neither.
#[test]
fn simulate_reports_conditions_that_could_not_be_evaluated() {
    let path = "tests/fixtures/scenarios/condition-that-cannot-be-evaluated.yaml";
    let (code, out, err) = ombud(&["simulate", path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "Conditions that could not be evaluated (each counted as false)\n  \
             Mon 2 Mar 2026 09:00  `tags[1] == \"vip\"`: array index 1 out of bounds"
        ),
        "{out}"
    );
    let (code, json, err) = ombud(&["simulate", "--format", "json", path]);
    assert_eq!(code, 0, "{json}{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let failed = v["condition_errors"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "reported once, at the opening: {json}");
    assert_eq!(failed[0]["at"], "2026-03-02T09:00:00+08:00");
    assert_eq!(failed[0]["condition"], "tags[1] == \"vip\"");
    let plain = "examples/scenarios/general-fee-complaint-over-spring-festival.yaml";
    let (_, out, _) = ombud(&["simulate", plain]);
    assert!(!out.contains("could not be evaluated"), "{out}");
    let (_, json, _) = ombud(&["simulate", "--format", "json", plain]);
    assert!(!json.contains("condition_errors"), "{json}");
}

/// The Spring Festival showcase's handling deadline, explained: the holiday by name and both
/// make-up Saturdays (the day of receipt, Sat 14 Feb, and Sat 28 Feb, counted).
#[test]
fn explain_names_the_holiday_and_both_makeup_saturdays() {
    let scenario = "examples/scenarios/spring-festival-major-fee-complaint.yaml";
    let (code, out, err) = ombud(&["explain", scenario, "handle"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Sun 15 – Mon 23 Feb  Spring Festival 春节, holiday"), "{out}");
    assert!(out.contains("Sat 14 Feb (make-up working day for Spring Festival 春节)"), "{out}");
    assert!(out.contains("Sat 28 Feb           make-up working day for Spring Festival"), "{out}");
    insta::assert_snapshot!("explain_spring_festival_handle", out);
    // The same, byte for byte, on every run.
    assert_eq!(ombud(&["explain", scenario, "handle"]).1, out);
    let (code, json, _) = ombud(&["explain", "--format", "json", scenario, "handle"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["deadline"], "2026-03-04T00:00:00+08:00");
    assert_eq!(json["derivation"]["runs"][0]["note"]["name_local"], "春节");
    assert_eq!(json["steps"][0]["rule"], "80 % of the working time");
    assert_eq!(json["steps"][0]["at"], "2026-03-02T11:37:00+08:00");
}

/// A ladder step `at: deadline` is explained as the deadline, as `at: 100%` is, not as "0s
/// after the deadline".
#[test]
fn a_step_at_the_deadline_is_explained_as_the_deadline() {
    let scenario = "examples/scenarios/samr-feedback-duty-breaches-and-escalates.yaml";
    let (code, out, err) = ombud(&["simulate", "--explain", scenario]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("escalate at deadline: 100 % of the working time (the deadline)"),
        "{out}"
    );
    assert!(!out.contains("0s after"), "{out}");
}

/// A discharged obligation is `done` in the text as in the JSON, the word the timeline row of
/// its discharge uses (not "stopped", which reads like a pause).
#[test]
fn explain_says_a_discharged_obligation_is_done() {
    let scenario = "examples/scenarios/bank-decision-sent-discharges-the-reply.yaml";
    let (code, out, err) = ombud(&["explain", scenario, "decision"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().next(), Some("obligation `decision`, held by complaints_unit: done"));
    let (_, json, _) = ombud(&["explain", "--format", "json", scenario, "decision"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["state"], "done");
    let (_, timeline, _) = ombud(&["simulate", scenario]);
    assert!(timeline.contains("`decision` done by decision_sent"), "{timeline}");
}

#[test]
fn explain_refuses_a_clock_the_ticket_never_had() {
    let scenario = "examples/scenarios/spring-festival-major-fee-complaint.yaml";
    let (code, _, err) = ombud(&["explain", scenario, "hadle"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no clock `hadle`; clocks: `feedback`, `handle`, `intake`, `verify`"),
        "{err}"
    );
}

/// `simulate --explain` follows each deadline row with its derivation, in text and in JSON; a
/// pause shows with the working time it held, and the deadline it moved to.
#[test]
fn simulate_explain_follows_each_deadline_row_with_its_derivation() {
    let scenario = "examples/scenarios/pause-awaiting-complainant.yaml";
    let (code, out, err) = ombud(&["simulate", "--explain", scenario]);
    assert_eq!(code, 0, "{err}");
    let resumed = out.find("resumed   handle").unwrap();
    let after = &out[resumed..];
    assert!(after.contains("      paused Wed 11 Mar 2026 12:00 (`awaiting_complainant`) – Mon 16 Mar 2026 09:00 (`complainant_replied`): 69h of working time held\n      deadline after the pauses: Wed 18 Mar 2026 21:00"), "{out}");
    let (code, json, _) = ombud(&["simulate", "--explain", "--format", "json", scenario]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = json["rows"].as_array().unwrap();
    for row in rows.iter().filter(|r| r["kind"] == "deadline") {
        assert_eq!(row["explanation"]["deadline"], row["due"], "{row}");
    }
    let resumed = rows.iter().find(|r| r["kind"] == "resumed").unwrap();
    assert_eq!(resumed["explanation"]["pauses"][0]["held_seconds"], 69 * 3600);
    // Without --explain the JSON has no explanations.
    let (_, plain, _) = ombud(&["simulate", "--format", "json", scenario]);
    assert!(!plain.contains("\"explanation\""));
}
