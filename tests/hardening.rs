//! What a hostile or unlucky input does to the CLI (issue 19's reproductions): a closed pipe,
//! inputs without end, absurd thread counts, terminal escapes and formulas in names, symlink
//! loops. Each answer is a clear message and an exit status, never a panic, a hang or an
//! allocation of the whole input.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test on bad fixtures")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const POLICY: &str = "policies/service-complaints.yaml";
const POLICY_2WD: &str = "tests/fixtures/policies/service-complaints-2wd.yaml";
const SMALL: &str = "tests/fixtures/ledger/small.jsonl";
const SCENARIO: &str = "examples/scenarios/general-quality-complaint-on-time.yaml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ombud"));
    c.current_dir(root()).args(args).env("NO_COLOR", "1").env("OMBUD_TODAY", "2026-06-01");
    c
}

fn ombud(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ombud-hardening-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    // `ombud audit verify store.jsonl | head -1` exited 101 with a panic; so did `test` and
    // `diff`. The reader here is gone before the command writes its first byte.
    let d = dir("pipe");
    let store = ombud(&["ledger", "tickets", "--policy", POLICY, "--ledger", SMALL]);
    let store_path = d.join("store.jsonl");
    std::fs::write(&store_path, &store.stdout).unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["audit", "verify", s(&store_path)],
        vec!["audit", "verify", "--policy", POLICY, SMALL],
        vec!["test", "examples/scenarios"],
        vec!["diff", POLICY, POLICY_2WD, "examples/scenarios"],
        vec!["simulate", SCENARIO],
        vec!["report", "--policy", POLICY, "--ledger", SMALL, "--period", "2026-Q3"],
        vec!["replay", "--policy", POLICY, "--ledger", SMALL],
        vec!["lint", "policies"],
        vec![
            "calendar",
            "days",
            "--calendar",
            "cn-mainland",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ],
        vec!["ledger", "generate", "--tickets", "20"],
        vec!["ledger", "tickets", "--policy", POLICY, "--ledger", SMALL],
        vec!["graph", POLICY],
        vec!["schema"],
    ];
    for args in cases {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = command(&args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        assert_eq!(o.status.code(), Some(141), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_promptly_as_every_input() {
    // Each of these read until memory ran out.
    let too_large =
        |what: &str| format!("{what} file `/dev/zero` is larger than 1048576 bytes (1 MiB)");
    let long_line = "line 1 is longer than 1048576 bytes (1 MiB)";
    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (vec!["replay", "--policy", POLICY, "--ledger", "/dev/zero"], 1, long_line.into()),
        (vec!["replay", "--policy", "/dev/zero", "--ledger", SMALL], 2, too_large("policy")),
        (
            vec!["report", "--policy", POLICY, "--ledger", "/dev/zero", "--period", "2026-Q3"],
            1,
            long_line.into(),
        ),
        (
            vec!["ledger", "tickets", "--policy", POLICY, "--ledger", "/dev/zero"],
            2,
            long_line.into(),
        ),
        (vec!["audit", "verify", "--policy", POLICY, "/dev/zero"], 2, long_line.into()),
        (vec!["audit", "verify", "/dev/zero"], 2, "line 1 is longer than 67108864 bytes".into()),
        (vec!["simulate", "/dev/zero"], 1, too_large("scenario")),
        (vec!["simulate", "--policy", "/dev/zero", SCENARIO], 1, too_large("policy")),
        (
            vec![
                "calendar",
                "days",
                "--calendar",
                "/dev/zero",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-02",
            ],
            1,
            too_large("calendar"),
        ),
    ];
    for (args, code, message) in cases {
        let o = ombud(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&message), "{args:?}: {}", stderr(&o));
    }
    // `lint /dev/zero` said "does not exist".
    let o = ombud(&["lint", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .starts_with(&format!("error[E0101]: {}\n  --> /dev/zero\n", too_large("policy"))),
        "{}",
        stdout(&o)
    );
    assert!(!stderr(&o).contains("does not exist"));
}

#[test]
fn an_oversized_line_or_file_is_a_located_error() {
    let d = dir("sizes");
    // A ledger whose third line is 2 MiB: the reading stops there, naming the line.
    let mut ledger: Vec<String> =
        std::fs::read_to_string(root().join(SMALL)).unwrap().lines().map(str::to_string).collect();
    ledger.insert(
        2,
        format!(
            r#"{{"ticket":"T-01","event":{{"at":"2026-07-01T09:30:00+08:00","event":"{}"}}}}"#,
            "x".repeat(2 << 20)
        ),
    );
    let path = d.join("long.jsonl");
    std::fs::write(&path, ledger.join("\n")).unwrap();
    let o = ombud(&["replay", "--policy", POLICY, "--ledger", s(&path)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("line 3 is longer than 1048576 bytes (1 MiB)"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "no figures of a ledger read in part");
    // A policy of 2 MiB: E0101 naming the file and the cap.
    let big = d.join("big.yaml");
    let text = std::fs::read_to_string(root().join(POLICY)).unwrap();
    std::fs::write(&big, format!("{text}\n# {}\n", "x".repeat(2 << 20))).unwrap();
    let o = ombud(&["lint", "--format", "json", s(&big)]);
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d0 = &json["diagnostics"][0];
    assert_eq!(d0["code"], "E0101");
    assert_eq!(
        d0["message"],
        format!("policy file `{}` is larger than 1048576 bytes (1 MiB)", s(&big))
    );
    assert_eq!(d0["file"], s(&big));
}

#[test]
fn thread_counts_are_checked_and_clamped() {
    // `--threads 0` printed "on 0 threads"; `--threads 100000` aborted at 3.6 GB.
    for command in [
        vec!["replay", "--policy", POLICY, "--ledger", SMALL, "--threads", "0"],
        vec![
            "report",
            "--policy",
            POLICY,
            "--ledger",
            SMALL,
            "--period",
            "2026-Q3",
            "--threads",
            "0",
        ],
    ] {
        let o = ombud(&command);
        assert_eq!(o.status.code(), Some(2), "{command:?}");
        assert!(stderr(&o).contains("at least one thread is needed"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("on 0 threads"));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = 4 * cores;
    let o = ombud(&["replay", "--policy", POLICY, "--ledger", SMALL, "--threads", "100000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("warning: `--threads 100000` is more than 4 per core; using {most}")),
        "{err}"
    );
    assert!(err.contains(&format!("on {most} threads")), "{err}");
    let one = ombud(&["replay", "--policy", POLICY, "--ledger", SMALL, "--threads", "1"]);
    assert_eq!(o.stdout, one.stdout, "the same figures");
}

/// Control and bidi characters in text output: none raw, each escaped.
fn assert_escaped(out: &str, escaped: &[&str]) {
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\u{7}'),
        "{out:?}"
    );
    for e in escaped {
        assert!(out.contains(e), "{e} in {out}");
    }
}

#[test]
fn lint_escapes_names_in_its_messages_and_source_lines() {
    let d = dir("lint-escapes");
    let policy = d.join("evil.yaml");
    std::fs::write(
        &policy,
        "policy: evil\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  \
         open: { owner: agent, due: 1h, on: { done: \"clos\\e[2Jed\" } }\n  \
         \"\\u202Eclosed\": { terminal: true }\n",
    )
    .unwrap();
    let o = ombud(&["lint", s(&policy)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_escaped(
        &out,
        &[
            "unknown stage `clos\\u{1b}[2Jed`",
            "stage name `\\u{202e}closed` contains an invisible or bidi character (U+202E)",
        ],
    );
}

#[test]
fn simulate_test_and_diff_escape_what_scenarios_and_policies_name() {
    let d = dir("scenario-escapes");
    let policy = root().join(POLICY);
    // A scenario with a terminal title escape, a bell and a person whose name recolours the
    // screen; its expectation fails on that name.
    let scenario = format!(
        "title: \"\\e]0;pwned\\a complaint\"\npolicy: {}\nticket: {{ id: T-1, at: 2026-07-01T09:00:00+08:00, \
         fields: {{ text: late, channel: web, departments: [network] }} }}\nevents:\n  \
         - {{ at: +10m, event: registered }}\n  - {{ at: +1h, event: reassign, assignee: \"li\\e[31m\" }}\n\
         expect:\n  assignee: \"wang\\e[32m\"\n",
        policy.display()
    );
    let file = d.join("evil\u{1b}[2J.yaml");
    std::fs::write(&file, scenario).unwrap();
    let o = ombud(&["simulate", s(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_escaped(&stdout(&o), &["\\u{1b}]0;pwned\\u{7} complaint", "assignee li\\u{1b}[31m"]);
    let o = ombud(&["test", s(&d)]);
    assert_eq!(o.status.code(), Some(1));
    assert_escaped(
        &stdout(&o),
        &[
            "FAIL ",
            "evil\\u{1b}[2J.yaml",
            "expected: `wang\\u{1b}[32m`",
            "actual:   `li\\u{1b}[31m`",
        ],
    );
    // A scenario whose general handling moves under the two-day policy, under a hostile name.
    let moved = d.join("moved").join("evil\u{1b}[2J.yaml");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    let text = std::fs::read_to_string(root().join(SCENARIO)).unwrap();
    let absolute = format!("policy: {}/policies/", root().display());
    std::fs::write(&moved, text.replace("policy: ../../policies/", &absolute)).unwrap();
    let o = ombud(&["diff", POLICY, POLICY_2WD, s(&moved)]);
    assert_eq!(o.status.code(), Some(1), "general handling moves: {}", stdout(&o));
    assert_escaped(&stdout(&o), &["evil\\u{1b}[2J.yaml"]);
}

#[test]
fn report_escapes_text_and_neutralises_formulas_in_csv() {
    let d = dir("report");
    let small = std::fs::read_to_string(root().join(SMALL)).unwrap();
    let hostile = small
        .replace(
            r#""departments":["finance"]"#,
            r#""departments":["=HYPERLINK(\"http://x\",\"y\")"]"#,
        )
        .replace(r#""departments":["network"]"#, r#""departments":["\u001b[2Jnet\u202e"]"#);
    assert_ne!(hostile, small);
    let ledger = d.join("hostile.jsonl");
    std::fs::write(&ledger, hostile).unwrap();
    let run = |format: &str| {
        let o = ombud(&[
            "report",
            "--policy",
            POLICY,
            "--ledger",
            s(&ledger),
            "--period",
            "2026-Q3",
            "--format",
            format,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let text = run("text");
    assert_escaped(&text, &["\\u{1b}[2Jnet\\u{202e}"]);
    let csv = run("csv");
    assert!(csv.contains("\ndepartment,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",3\n"), "{csv}");
    assert!(!csv.contains(",=") && !csv.contains(",\"="), "{csv}");
}

#[test]
fn confusable_and_invisible_names_are_warnings_with_fixtures() {
    let o = ombud(&["lint", "--format", "json", "tests/fixtures/warnings/confusable-names.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let found: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["code"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "W0106".to_string(),
                "tier `supervіsor` can be mistaken for tier `supervisor`".to_string()
            ),
            ("W0106".to_string(), "stage `hаndle` can be mistaken for stage `handle`".to_string()),
        ]
    );
    let o = ombud(&["lint", "tests/fixtures/warnings/invisible-name.yaml"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("warning[W0107]: event name `re\\u{200b}solved` contains an invisible or bidi character (U+200B)"), "{}", stdout(&o));
}

#[cfg(unix)]
#[test]
fn directory_walks_do_not_follow_symlink_loops() {
    // `test` counted one file 41 times.
    let d = dir("loops");
    let (scenarios, policies) = (d.join("scenarios"), d.join("policies"));
    std::fs::create_dir_all(scenarios.join("sub")).unwrap();
    std::fs::create_dir_all(&policies).unwrap();
    let scenario = std::fs::read_to_string(root().join(SCENARIO))
        .unwrap()
        .replace("policy: ../../policies/", &format!("policy: {}/policies/", root().display()));
    std::fs::write(scenarios.join("one.yaml"), scenario).unwrap();
    std::fs::copy(root().join(POLICY), policies.join("policy.yaml")).unwrap();
    // A link to the directory itself, one back up from below, and a second name for the file.
    std::os::unix::fs::symlink(&scenarios, scenarios.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", scenarios.join("sub").join("up")).unwrap();
    std::os::unix::fs::symlink("../one.yaml", scenarios.join("sub").join("same.yaml")).unwrap();
    std::os::unix::fs::symlink(&policies, policies.join("loop")).unwrap();
    let o = ombud(&["test", s(&scenarios)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).ends_with("\n1 passed, 0 failed\n"), "{}", stdout(&o));
    let o = ombud(&["lint", s(&policies)]);
    assert_eq!(stdout(&o), "0 errors, 0 warnings in 1 file\n");
    let o = ombud(&["diff", POLICY, POLICY_2WD, s(&scenarios)]);
    assert!(stdout(&o).ends_with("1 of 1 scenario changed; breaches 0 → 0\n"), "{}", stdout(&o));
    // A file named twice is one file.
    let one = scenarios.join("one.yaml");
    let o = ombud(&["test", s(&one), s(&one)]);
    assert!(stdout(&o).ends_with("\n1 passed, 0 failed\n"), "{}", stdout(&o));
}
