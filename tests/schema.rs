//! `policies/schema.json` (what `ombud schema` prints) accepts exactly the policies lint accepts,
//! as far as a JSON Schema can tell: every bundled policy and every policy fixture runs through
//! both and the verdicts are compared. `policies/scenario.schema.json` (`ombud schema
//! --scenario`) is held to the same with every scenario (the codes compared are listed at
//! [`SCENARIO_SHAPE`]); what follows is about policies.
//!
//! A JSON Schema describes the shape of one document: keys, types, allowed words, the forms of a
//! duration. It cannot express what lint checks across the document or inside a string, so
//! those codes are left out of the comparison (a file whose only errors are of those kinds is
//! "accepted" on both sides):
//! - cross-references: E02xx (unknown stage, tier, field, ladder, artifact, event, calendar);
//! - conditions: E0401–E0403, E0406, E0410, E0412, E0420, E0432 (rhai expressions, types);
//! - the graph: E03xx (terminal, reachable stages, cycles);
//! - relations between values: E0110, E0407–E0409, E0414, E043x (ladder order, a conditional
//!   list's default, limits past 9999-12-31, an extension shorter than the limit);
//! - numbers out of range: an E0404 whose number is too large (`71582789 working hours`).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test on bad fixtures")]

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The lint codes the schema expresses: the document's shape.
const SHAPE: &[&str] = &[
    "E0101", "E0102", "E0103", "E0104", "E0105", "E0106", "E0107", "E0108", "E0109", "E0404",
    "E0405", "E0411", "E0413",
];

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The codes of the errors `ombud lint --format json` reports for `path`, in `path` itself (a
/// scenario's lint also reports its policy's errors, in the policy's file).
fn lint_errors(path: &Path) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_ombud"))
        .args(["lint", "--format", "json"])
        .arg(path)
        .current_dir(ROOT)
        .env("OMBUD_TODAY", "2026-06-01")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{}: {e}: {}", path.display(), String::from_utf8_lossy(&out.stdout))
    });
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error" && d["file"] == path.display().to_string())
        // A number past what the runtime counts (`71582789 working hours`) is a range, not a
        // form: the schema's patterns do not express it.
        .filter(|d| !d["message"].as_str().unwrap().contains("too large"))
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// Whether the schema accepts the file's text as YAML 1.2 read into JSON.
fn schema_accepts(validator: &jsonschema::Validator, file: &Path) -> bool {
    // A file that is not one JSON-shaped YAML text (not UTF-8, bad YAML, duplicate keys) is
    // rejected by the schema's reader.
    std::fs::read_to_string(file).is_ok_and(|text| {
        // YAML 1.2 core booleans, as editors and lint read them: `yes` is a string.
        let mut options = serde_saphyr::Options::default();
        options.strict_booleans = true;
        serde_saphyr::from_str_with_options::<serde_json::Value>(&text, options)
            .is_ok_and(|doc| validator.is_valid(&doc))
    })
}

/// The disagreement, if any, between the schema's verdict on `file` and lint's errors of the
/// codes in `shape`.
fn verdicts(validator: &jsonschema::Validator, file: &Path, shape: &[&str]) -> Option<String> {
    let schema_ok = schema_accepts(validator, file);
    let errors = lint_errors(file);
    let shape_errors: Vec<&String> =
        errors.iter().filter(|c| shape.contains(&c.as_str())).collect();
    let lint_ok = shape_errors.is_empty();
    (schema_ok != lint_ok).then(|| {
        format!(
            "{}: schema {}, lint {} {shape_errors:?}",
            file.strip_prefix(ROOT).unwrap_or(file).display(),
            if schema_ok { "accepts" } else { "rejects" },
            if lint_ok { "accepts" } else { "rejects" },
        )
    })
}

fn validator(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn the_schema_accepts_exactly_what_lint_accepts() {
    let validator = validator("policies/schema.json");
    let mut files = yaml_files("policies");
    files.extend(yaml_files("tests/fixtures/policies"));
    files.extend(yaml_files("tests/fixtures/broken"));
    let mut disagree = Vec::new();
    for file in &files {
        // A file that is not one JSON-shaped YAML text (not UTF-8, bad YAML, duplicate keys)
        // is rejected by the schema's reader.
        disagree.extend(verdicts(&validator, file, SHAPE));
    }
    assert!(files.len() > 60, "{} files", files.len());
    // `3WD`, `72H`, `2 Working Days`, `承办人` and `12315-complaints`: accepted by both.
    let forms = Path::new(ROOT).join("tests/fixtures/policies/schema-forms.yaml");
    assert!(files.contains(&forms) && lint_errors(&forms).is_empty());
    assert!(disagree.is_empty(), "schema and lint disagree:\n{}", disagree.join("\n"));
}

/// The scenario codes the scenario schema expresses: the file's shape, read by
/// `Scenario::parse` — not YAML (E0601), unknown keys (E0602), missing keys (E0603), wrong
/// types (E0604), bad instants (E0605) and relative times (E0606), duplicate keys (E0607, which
/// the schema's YAML reader refuses), bad `expect` values (E0608).
///
/// Left out, because a schema of one scenario file cannot know them: the policy file it names
/// (E0609, another file; and the policy's own diagnostics, which lint reports in the policy's
/// file); what needs the policy (E0610 and E0612–E0616: its events, fields, types, enum values
/// and required fields); `until` before the last event (E0611, a relation between values that
/// only running the clock on the policy's calendar resolves). Of E0606, the relative time whose
/// number is too large to count (left out by [`lint_errors`], as for policies) and the one that,
/// counted on the calendar, ends after 9999-12-31 (a range; no fixture has one) are not shape.
const SCENARIO_SHAPE: &[&str] =
    &["E0601", "E0602", "E0603", "E0604", "E0605", "E0606", "E0607", "E0608"];

#[test]
fn the_scenario_schema_accepts_exactly_what_lint_accepts() {
    let validator = validator("policies/scenario.schema.json");
    let mut files = yaml_files("examples/scenarios");
    files.extend(yaml_files("tests/fixtures/scenarios"));
    files.extend(yaml_files("tests/fixtures/scenarios/broken"));
    let disagree: Vec<String> =
        files.iter().filter_map(|f| verdicts(&validator, f, SCENARIO_SHAPE)).collect();
    assert!(files.len() > 50, "{} files", files.len());
    // Each shape code has a fixture the schema rejects, so the comparison is not vacuous.
    let rejected: Vec<String> = files
        .iter()
        .filter(|f| !schema_accepts(&validator, f))
        .flat_map(|f| lint_errors(f))
        .collect();
    for code in SCENARIO_SHAPE {
        assert!(rejected.iter().any(|c| c == code), "no rejected fixture shows {code}");
    }
    assert!(disagree.is_empty(), "schema and lint disagree:\n{}", disagree.join("\n"));
}

/// An instant in a scenario is what `chrono` reads as RFC 3339 and lint accepts — real dates
/// only (29 February in leap years), no leap second, an offset of less than a day — and the
/// schema's pattern says the same of each.
#[test]
fn the_scenario_schema_reads_instants_as_lint_does() {
    let validator = validator("policies/scenario.schema.json");
    let cases = [
        ("2026-02-13T17:30:00+08:00", true),
        ("2026-02-13t17:30:00z", true),
        ("2026-02-13 17:30:00.25Z", true),
        (" 2026-02-13T17:30:00\u{2212}05:00 ", true), // U+2212 MINUS SIGN
        ("2024-02-29T00:00:00Z", true),               // divisible by 4
        ("2000-02-29T00:00:00Z", true),               // by 400
        ("0000-02-29T00:00:00Z", true),               // year 0: by 400
        ("1900-02-29T00:00:00Z", false),              // by 100, not by 400
        ("2026-02-29T00:00:00Z", false),
        ("2026-04-31T00:00:00Z", false),
        ("2026-12-31T23:59:59+23:59", true),
        ("2026-12-31T23:59:60Z", false), // a leap second
        ("2026-12-31T24:00:00Z", false),
        ("2026-12-31T12:00:00+24:00", false),
        ("2026-02-13 17:30", false),
        ("2026-02-13T17:30:00", false),
        ("2026-02-13T17:30:00+0800", false),
        ("+20m", false), // relative: not where an instant is required
    ];
    for (case, ok) in cases {
        let lint = matches!(
            ombud_engine::simulate::TimeSpec::parse(case),
            Ok(ombud_engine::simulate::TimeSpec::At(_))
        );
        assert_eq!(lint, ok, "lint on {case:?}");
        let doc = serde_json::json!({ "ticket": { "at": case } });
        assert_eq!(validator.is_valid(&doc), ok, "schema on {case:?}");
    }
    // Relative times: `+` and a duration of the policy language, where an event's `at` allows it.
    for (case, ok) in [("+20m", true), ("+ 3WD", true), ("+1h30m", true), ("+2 days", false)] {
        let lint = ombud_engine::simulate::TimeSpec::parse(case).is_ok();
        assert_eq!(lint, ok, "lint on {case:?}");
        let doc = serde_json::json!({ "ticket": { "at": "2026-02-13T17:30:00Z" }, "until": case });
        assert_eq!(validator.is_valid(&doc), ok, "schema on {case:?}");
    }
}
