//! `ombud lint`, `ombud graph` and `ombud schema` as a user runs them: exit codes, the bundled
//! policies, and snapshots of the text and JSON diagnostics of every broken fixture.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs `ombud <args>` from the repository root without colour; returns (exit code, stdout, stderr).
#[expect(clippy::expect_used, reason = "test helper: failing to start the binary fails the test")]
fn ombud(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ombud"))
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
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
    assert_eq!(out, "0 errors, 0 warnings in 3 files\n");
    for entry in std::fs::read_dir(Path::new(ROOT).join("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let (code, out, _) = ombud(&["lint", &relative(&path)]);
            assert_eq!(code, 0, "{out}");
        }
    }
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

#[test]
fn every_diagnostic_code_is_covered_by_a_fixture_and_documented() {
    let docs = std::fs::read_to_string(Path::new(ROOT).join("docs/diagnostics.md")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for dir in ["tests/fixtures/broken", "tests/fixtures/warnings"] {
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
    // Every code the policy front end can report, except E0100 (an I/O error, exit 2) and
    // E0208 (a calendar that does not resolve: the calendar module decides which ids exist).
    for code in [
        "E0101", "E0102", "E0103", "E0104", "E0105", "E0106", "E0107", "E0201", "E0202", "E0203",
        "E0204", "E0205", "E0206", "E0207", "E0301", "E0302", "E0303", "E0304", "E0401", "E0402",
        "E0403", "E0404", "E0405", "E0406", "E0407", "E0408", "E0409", "E0410", "E0411", "E0412",
        "W0101", "W0102", "W0103", "W0104", "W0105",
    ] {
        assert!(seen.contains(code), "no fixture produces {code}");
        assert!(docs.contains(&format!("### {code}")), "{code} is not documented");
    }
}

#[test]
fn missing_file_is_a_usage_error() {
    let (code, _, err) = ombud(&["lint", "tests/fixtures/does-not-exist.yaml"]);
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
