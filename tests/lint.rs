//! `ombud lint`, `ombud graph` and `ombud schema` as a user runs them: exit codes, the bundled
//! policies, and snapshots of the text and JSON diagnostics of every broken fixture.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The date the tests run `ombud` on: far enough from the end of the bundled calendars' data
/// (2026-12-31) that no coverage warning (W0201) appears, whatever the real date.
const TODAY: &str = "2026-06-01";

/// Runs `ombud <args>` from the repository root without colour, on [`TODAY`]; returns
/// (exit code, stdout, stderr).
fn ombud(args: &[&str]) -> (i32, String, String) {
    ombud_on(TODAY, args)
}

/// Runs `ombud <args>` with `OMBUD_TODAY=today`.
#[expect(clippy::expect_used, reason = "test helper: failing to start the binary fails the test")]
fn ombud_on(today: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ombud"))
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .env("OMBUD_TODAY", today)
        .output()
        .expect("run ombud");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn relative(path: &Path) -> String {
    path.strip_prefix(ROOT).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[test]
fn every_bundled_policy_lints_clean() {
    let (code, out, err) = ombud(&["lint", "policies"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "0 errors, 0 warnings in 4 files\n");
    for entry in std::fs::read_dir(Path::new(ROOT).join("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let (code, out, _) = ombud(&["lint", &relative(&path)]);
            assert_eq!(code, 0, "{out}");
        }
    }
}

#[test]
fn calendar_data_ending_soon_is_a_warning() {
    let file = "policies/service-complaints.yaml";
    let (code, out, err) = ombud_on("2026-11-28", &["lint", file]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with(
            "warning[W0201]: calendar `cn-mainland` has data only up to 2026-12-31 \
             (33 days from today)\n  --> policies/service-complaints.yaml:10:11\n"
        ),
        "{out}"
    );
    assert!(out.contains("= help: deadlines after 2026-12-31 are computed on the plain workweek"));
    // The fix a user of the binary can make: the notice into a calendar file, named by the policy.
    assert!(
        out.contains(
            "`ombud calendar from-notice NOTICE.txt --extends cn-mainland > \
             cn-mainland-2027.yaml`) and set `calendar:` to that file's path"
        ),
        "{out}"
    );
    assert!(out.ends_with("0 errors, 1 warning in 1 file\n"), "{out}");
    let docs = std::fs::read_to_string(Path::new(ROOT).join("docs/diagnostics.md")).unwrap();
    assert!(docs.contains("### W0201") && docs.contains("OMBUD_TODAY"));
    // Already ended: still a warning, still exit 0.
    let (code, json, _) = ombud_on("2027-01-03", &["lint", "--format", "json", file]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &value["diagnostics"][0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["code"], "W0201");
    assert_eq!(d["message"], "calendar `cn-mainland` ended on 2026-12-31 (3 days ago)");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(10), Some(11)));
    // More than 60 days ahead: no warning; the hidden flag wins over the variable.
    let (_, out, _) = ombud_on("2026-11-28", &["lint", "--today", "2026-10-31", file]);
    assert_eq!(out, "0 errors, 0 warnings in 1 file\n");
    let (_, out, _) = ombud_on("2026-11-01", &["lint", file]);
    assert!(out.contains("W0201"), "{out}");
    // A bad date is a usage error.
    let (code, _, err) = ombud_on("28/11/2026", &["lint", file]);
    assert_eq!(code, 2);
    assert!(err.contains("not a date"), "{err}");
}

#[test]
fn calendar_files_are_linted_as_calendars() {
    for entry in std::fs::read_dir(Path::new(ROOT).join("holidays")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue; // calendar.schema.json
        }
        let file = relative(&path);
        let (code, out, err) = ombud(&["lint", &file]);
        assert_eq!((code, out.as_str()), (0, "0 errors, 0 warnings in 1 file\n"), "{file}: {err}");
    }
    let file = "tests/fixtures/calendars/broken-calendar.yaml";
    let (code, json, _) = ombud(&["lint", "--format", "json", file]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let found: Vec<(String, String, u64, u64)> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [("E0501", 3, 11), ("E0506", 7, 28)]
        .map(|(c, l, col)| (c.to_string(), file.to_string(), l, col))
        .to_vec();
    assert_eq!(found, want);
    // A calendar file that is not even valid YAML is still judged a calendar (by its top-level
    // keys) and gets the calendar's code.
    let file = "tests/fixtures/calendars/calendar-syntax-error.yaml";
    let (code, json, _) = ombud(&["lint", "--format", "json", file]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &value["diagnostics"][0];
    assert_eq!((d["code"].as_str(), d["line"].as_u64()), (Some("E0500"), Some(4)));
    // A directory search lints calendar files as calendars too.
    let (code, out, _) = ombud(&["lint", "holidays"]);
    assert_eq!((code, out.as_str()), (0, "0 errors, 0 warnings in 4 files\n"));
}

#[test]
fn broken_policies_report_located_diagnostics() {
    insta::glob!("fixtures/broken/*.yaml", |path| {
        let file = relative(path);
        let (code, text, _) = ombud(&["lint", &file]);
        assert_eq!(code, 1, "{file} must fail:\n{text}");
        insta::assert_snapshot!("text", text);
        let (code, json, _) = ombud(&["lint", "--format", "json", &file]);
        assert_eq!(code, 1);
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "invalid JSON: {json}");
        // The raw text, so the contract's field order is pinned too.
        insta::assert_snapshot!("json", json);
    });
}

#[test]
fn warnings_do_not_fail_the_lint() {
    insta::glob!("fixtures/warnings/*.yaml", |path| {
        let file = relative(path);
        let (code, text, _) = ombud(&["lint", &file]);
        assert_eq!(code, 0, "{file} has only warnings:\n{text}");
        assert!(text.contains("warning[W"), "{text}");
        insta::assert_snapshot!("text", text);
    });
}

/// Every code of the policy and scenario front ends — E01xx–E04xx, E06xx and the W01xx
/// warnings, taken from the engine's `DiagnosticCode` list so a new code cannot be left out —
/// has a fixture that `ombud lint` reports it on, and a section in `docs/diagnostics.md`.
/// Not here: E0100 (a file that cannot be read, exit 2: `missing_file_is_a_usage_error`);
/// E05xx, calendar files and holiday notices, tested on their texts in the engine
/// (`engine/src/calendar/tests.rs`, `engine/tests/calendar_notice.rs`) and on
/// `tests/fixtures/calendars/` above; E07xx, reported by the server only
/// (`server/tests/api.rs`); W02xx, which depends on today's date
/// (`calendar_data_ending_soon_is_a_warning`).
#[test]
fn every_diagnostic_code_is_covered_by_a_fixture_and_documented() {
    let docs = std::fs::read_to_string(Path::new(ROOT).join("docs/diagnostics.md")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for dir in
        ["tests/fixtures/broken", "tests/fixtures/warnings", "tests/fixtures/scenarios/broken"]
    {
        for entry in std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap() {
            let file = relative(&entry.unwrap().path());
            let (_, json, _) = ombud(&["lint", "--format", "json", &file]);
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            for d in value["diagnostics"].as_array().unwrap() {
                seen.insert(d["code"].as_str().unwrap().to_string());
            }
        }
    }
    for code in &seen {
        assert!(docs.contains(&format!("### {code}")), "{code} is not documented");
    }
    let front_end = ombud_engine::DiagnosticCode::ALL.iter().map(|c| c.as_str()).filter(|c| {
        let range = &c[..3];
        ["E01", "E02", "E03", "E04", "E06", "W01"].contains(&range) && *c != "E0100"
    });
    let mut count = 0;
    for code in front_end {
        assert!(seen.contains(code), "no fixture produces {code}");
        assert!(docs.contains(&format!("### {code}")), "{code} is not documented");
        count += 1;
    }
    assert!(count > 60, "{count} codes");
}

#[test]
fn missing_file_is_a_usage_error() {
    let (code, _, err) = ombud(&["lint", "tests/fixtures/does-not-exist.yaml"]);
    assert!(err.contains("`tests/fixtures/does-not-exist.yaml` does not exist"), "{err}");
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, _) = ombud(&["lint"]);
    assert_eq!(code, 2);
}

#[test]
fn json_has_exactly_the_contract_fields() {
    let (_, json, _) =
        ombud(&["lint", "--format", "json", "tests/fixtures/broken/unknown-stage.yaml"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &value["diagnostics"][0];
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = ["severity", "code", "message", "file", "line", "column", "hint"];
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(d["hint"], "did you mean `closed`?");
}

#[test]
fn committed_schema_is_current() {
    let (code, out, _) = ombud(&["schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(Path::new(ROOT).join("policies/schema.json")).unwrap();
    assert_eq!(out, committed, "run `ombud schema > policies/schema.json`");
}

#[test]
fn committed_scenario_schema_is_current() {
    let (code, out, _) = ombud(&["schema", "--scenario"]);
    assert_eq!(code, 0);
    let file = Path::new(ROOT).join("policies/scenario.schema.json");
    let committed = std::fs::read_to_string(file).unwrap();
    assert_eq!(out, committed, "run `ombud schema --scenario > policies/scenario.schema.json`");
    assert!(out.contains("\"title\": \"Ombud scenario\""), "{out}");
}

#[test]
fn committed_calendar_schema_is_current() {
    let (code, out, _) = ombud(&["schema", "--calendar"]);
    assert_eq!(code, 0);
    let file = Path::new(ROOT).join("holidays/calendar.schema.json");
    let committed = std::fs::read_to_string(file).unwrap();
    assert_eq!(out, committed, "run `ombud schema --calendar > holidays/calendar.schema.json`");
    assert!(out.contains("\"title\": \"Ombud calendar\""), "{out}");
}

/// An obligation is drawn beside the stages with its extensions, start, discharge and ladder:
/// the bank's reply duty (15 days, to 30, to 60 with approval and notice).
#[test]
fn graph_draws_an_obligation_with_its_extensions() {
    let lines = [
        "decision",
        "owner: complaints_unit",
        "due: 15 calendar days",
        "extension: extended_to_30: to 30 calendar days",
        "extension: extended_to_60: to 60 calendar days (requires senior_approval, extension_notice)",
        "starts: at opening",
        "done on: decision_sent",
        "ladder: reply",
    ];
    let (code, mermaid, _) = ombud(&["graph", "policies/bank-complaints.yaml"]);
    assert_eq!(code, 0);
    let obligation = mermaid.lines().find(|l| l.trim_start().starts_with("o0[/")).unwrap();
    for line in lines {
        assert!(obligation.contains(line), "{line} not in {obligation}");
    }
    let (code, dot, _) = ombud(&["graph", "--format", "dot", "policies/bank-complaints.yaml"]);
    assert_eq!(code, 0);
    let obligation = dot.lines().find(|l| l.trim_start().starts_with("o0 [")).unwrap();
    assert!(obligation.contains(&lines.join("\\n")), "{obligation}");
}

#[test]
fn graph_of_the_reference_policy() {
    let (code, mermaid, _) = ombud(&["graph", "policies/service-complaints.yaml"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("graph_mermaid", mermaid);
    let (code, dot, _) = ombud(&["graph", "--format", "dot", "policies/service-complaints.yaml"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("graph_dot", dot);
    let (code, _, err) = ombud(&["graph", "tests/fixtures/broken/unknown-stage.yaml"]);
    assert_eq!(code, 1);
    assert!(err.contains("error[E0201]"), "{err}");
}

#[test]
fn a_year_file_that_touches_the_base_is_located() {
    let file = "tests/fixtures/calendars/year-inside-the-base.yaml";
    let (code, json, _) = ombud(&["lint", "--format", "json", file]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let found: Vec<(String, u64, u64)> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let code = d["code"].as_str().unwrap().to_string();
            (code, d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())
        })
        .collect();
    let want = [("E0516", 5, 9), ("E0517", 7, 5), ("E0517", 9, 5)];
    assert_eq!(found, want.map(|(c, l, col)| (c.to_string(), l, col)));
    // The fixture of the 2027 rehearsal lints clean.
    let (code, out, err) =
        ombud(&["lint", "tests/fixtures/calendars/cn-mainland-2027-fixture.yaml"]);
    assert_eq!((code, out.as_str()), (0, "0 errors, 0 warnings in 1 file\n"), "{err}");
}

/// The diagnostics of `ombud lint --format json FILE` as (code, line, column, message, hint).
#[expect(
    clippy::unwrap_used,
    reason = "test helper: output not in the JSON contract fails the test"
)]
fn located(file: &str) -> Vec<(String, u64, u64, String, String)> {
    let (_, json, _) = ombud(&["lint", "--format", "json", file]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
                d["hint"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_comparison_across_types_is_an_error_with_the_fix() {
    let found = located("tests/fixtures/broken/cross-type-comparison.yaml");
    let brief: Vec<(&str, u64, u64, &str)> =
        found.iter().map(|(c, l, col, _, h)| (c.as_str(), *l, *col, h.as_str())).collect();
    assert_eq!(
        brief,
        [
            ("E0420", 14, 31, "compare with true, unquoted: `real_name == true`"),
            ("E0420", 15, 28, "compare with the number, unquoted: `amount >= 10000`"),
            ("E0420", 16, 26, "`kind` is one of `complaint`, `report`, each quoted: `\"…\"`"),
            ("E0420", 16, 39, "quote the value: `note == \"5\"`"),
        ]
    );
    assert_eq!(found[0].3, "`real_name` is a bool, but is compared with the string \"true\"");
}

#[test]
fn syntax_mistakes_get_the_condition_rewritten() {
    let found = located("tests/fixtures/broken/unquoted-text-value.yaml");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1, found[0].2), (13, 49));
    assert_eq!(found[0].4, "text values are quoted; quote it: `decision == \"不予受理\"`");
    let found = located("tests/fixtures/broken/assignment-in-condition.yaml");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1, found[0].2), (13, 42));
    assert_eq!(found[0].4, "`=` assigns a value; compare with `==`: `kind == \"举报\"`");
}

#[test]
fn chinese_keyboard_mistakes_get_the_condition_rewritten_in_ascii() {
    // Columns hand-counted: line 15 is 8 spaces, `- { to: mediation, when: ` (25), `"kind == `
    // (9): the `'` is column 43; line 16, `'decision == ` (13) after the same 33: `“` at 47;
    // line 17, `- { to: closed, when: ` (22) after 8 spaces, `'kind ` (6): `＝` at 37.
    let found = located("tests/fixtures/broken/chinese-keyboard-condition.yaml");
    let brief: Vec<(u64, u64, &str, &str)> =
        found.iter().map(|(_, l, c, m, h)| (*l, *c, m.as_str(), h.as_str())).collect();
    assert_eq!(
        brief,
        [
            // Single quotes: rhai reads `'…'` as one character.
            (
                15,
                43,
                "in condition: invalid character: '举报'",
                "write \"举报\" in double quotes: `kind == \"举报\"`"
            ),
            // Curly quotes from a Chinese input method.
            (
                16,
                47,
                "in condition: unexpected '“'",
                "write \"受理\" in ASCII double quotes: `decision == \"受理\"`"
            ),
            // Full-width `＝＝` (U+FF1D twice): said once, not "unexpected 'Unexpected '＝''".
            (
                17,
                37,
                "in condition: unexpected '＝'",
                "write `==` with ASCII characters: `kind == \"投诉\"`"
            ),
        ]
    );
}

#[test]
fn a_yaml_11_boolean_is_one_error_that_names_the_boolean() {
    let found = located("tests/fixtures/broken/yaml11-boolean.yaml");
    assert_eq!(found.len(), 1, "nothing but the root cause: {found:?}");
    let (code, line, column, message, hint) = &found[0];
    assert_eq!((code.as_str(), *line, *column), ("E0105", 11, 23));
    assert_eq!(message, "`terminal` must be `true` or `false`, found the string `yes`");
    assert_eq!(hint, "`yes` is text in YAML 1.2, not a boolean: write `terminal: true`");
}

#[test]
fn the_repository_lints_clean_from_its_root() {
    // Policies, scenarios (each against its policy) and calendars; the deliberately broken
    // fixtures are left out by the committed `.ombudignore`.
    let (code, out, err) = ombud(&["lint", "."]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with(" files\n") && out.contains("0 errors"), "{out}");
    let (code, out, _) = ombud(&["lint", "examples"]);
    assert_eq!((code, out.lines().last()), (0, Some("0 errors, 0 warnings in 48 files")), "{out}");
}

/// A fresh directory under the test target's scratch space.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a scratch directory that cannot be made fails the test"
)]
fn scratch(name: &str) -> std::path::PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_policy_beside_its_scenarios_and_calendar_is_checked_file_by_file() {
    let d = scratch("mixed-kinds");
    let fixtures = Path::new(ROOT).join("tests/fixtures");
    std::fs::copy(fixtures.join("policies/market-complaints.yaml"), d.join("policy.yaml")).unwrap();
    std::fs::copy(Path::new(ROOT).join("holidays/cn-mainland.yaml"), d.join("cal.yaml")).unwrap();
    let scenario = std::fs::read_to_string(fixtures.join("scenarios/broken/undeclared-event.yaml"))
        .unwrap()
        .replace("../../policies/market-complaints.yaml", "policy.yaml");
    std::fs::write(d.join("typo.yaml"), &scenario).unwrap();
    std::fs::write(d.join("fine.yaml"), scenario.replace("event: decide }", "event: decided }"))
        .unwrap();
    std::fs::write(d.join("other.yml"), "name: ci\njobs: {}\n").unwrap();
    std::fs::create_dir_all(d.join("drafts")).unwrap();
    std::fs::write(d.join("drafts/broken.yaml"), "policy: x\nstart: nowhere\nstages: {}\n")
        .unwrap();
    std::fs::write(d.join(".ombudignore"), "drafts/\n").unwrap();
    let dir = d.display().to_string();

    let (code, out, _) = ombud(&["lint", "--format", "json", &dir]);
    assert_eq!(code, 1, "{out}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(String, String, u64, u64)> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            let file = d["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (
                d["code"].as_str().unwrap().into(),
                file,
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("E0612".to_string(), "typo.yaml".to_string(), 5, 34)]);
    let (_, text, _) = ombud(&["lint", &dir]);
    assert!(text.ends_with(" in 4 files\n"), "policy, calendar and two scenarios: {text}");

    // `test` runs the scenarios and nothing else.
    let (code, out, _) = ombud(&["test", &dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ok   ") && out.contains("fine.yaml"), "{out}");
    assert!(out.contains("FAIL ") && out.contains("typo.yaml"), "{out}");
    assert_eq!(out.lines().last(), Some("1 passed, 1 failed"), "{out}");
    let (code, out, _) = ombud(&["test", &format!("{dir}/policy.yaml")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("skip ") && out.contains("(a policy, not a scenario)"), "{out}");
}
