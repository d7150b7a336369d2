//! `policies/schema.json` (what `ombud schema` prints) accepts exactly the policies lint accepts,
//! as far as a JSON Schema can tell: every bundled policy and every policy fixture runs through
//! both and the verdicts are compared. `policies/scenario.schema.json` (`ombud schema
//! --scenario`) is held to the same with every scenario (the codes compared are listed at
//! [`SCENARIO_SHAPE`]), and `holidays/calendar.schema.json` (`ombud schema --calendar`) with
//! every calendar file ([`CALENDAR_SHAPE`]); what follows is about policies.
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
    lint_messages(path).into_iter().map(|(code, _)| code).collect()
}

/// The code and message of each error [`lint_errors`] counts.
fn lint_messages(path: &Path) -> Vec<(String, String)> {
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
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().into()))
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
    verdicts_by(validator, file, &|code, _| shape.contains(&code))
}

/// The disagreement, if any, between the schema's verdict on `file` and lint's errors that
/// `is_shape` (given code and message) counts as the file's shape.
fn verdicts_by(
    validator: &jsonschema::Validator,
    file: &Path,
    is_shape: &dyn Fn(&str, &str) -> bool,
) -> Option<String> {
    let schema_ok = schema_accepts(validator, file);
    let errors = lint_messages(file);
    let shape_errors: Vec<&String> =
        errors.iter().filter(|(c, m)| is_shape(c, m)).map(|(c, _)| c).collect();
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

/// The calendar codes the calendar schema expresses: the file's shape, what the loader checks of
/// each value on its own — not YAML (E0500), unknown or repeated keys (E0505), a value that is
/// not a date or a year (E0506), missing keys (E0508), the form of business hours and a cutoff
/// (E0509), workweek days (E0510), `timezone` or `workweek` in a file that `extends` another
/// (E0512), a value of the wrong shape (E0514).
///
/// Left out: what needs the time-zone database (E0501) or another file (E0507, E0516, E0517),
/// and relations between values — overlaps (E0502), make-up days on weekends (E0503), dates
/// outside `covers` (E0504), a `for` naming no holiday (E0511), an extra working day that
/// already is one (E0513), the length of `covers` (E0515), and of E0506, E0509 and E0510 a range
/// that ends before it starts, windows out of order, a cutoff after closing, a day listed twice
/// ([`calendar_shape`]).
const CALENDAR_SHAPE: &[&str] =
    &["E0500", "E0505", "E0506", "E0508", "E0509", "E0510", "E0512", "E0514"];

/// Whether a calendar diagnostic is about the file's shape.
fn calendar_shape(code: &str, message: &str) -> bool {
    let relation = match code {
        "E0506" => message.contains("before it starts"),
        "E0509" => ["ends before", "overlaps", "after close of business"]
            .iter()
            .any(|m| message.contains(m)),
        "E0510" => message.contains("appears twice"),
        _ => false,
    };
    CALENDAR_SHAPE.contains(&code) && !relation
}

#[test]
fn the_calendar_schema_accepts_exactly_what_lint_accepts() {
    let validator = validator("holidays/calendar.schema.json");
    let mut files = yaml_files("holidays");
    files.extend(yaml_files("tests/fixtures/calendars"));
    files.extend(yaml_files("tests/fixtures/calendars/broken"));
    let disagree: Vec<String> =
        files.iter().filter_map(|f| verdicts_by(&validator, f, &calendar_shape)).collect();
    assert!(files.len() > 20, "{} files", files.len());
    // The bundled calendars and the 2027 fixture are accepted by both.
    let mut good = yaml_files("holidays");
    good.push(Path::new(ROOT).join("tests/fixtures/calendars/cn-mainland-2027-fixture.yaml"));
    for file in &good {
        assert!(schema_accepts(&validator, file) && lint_errors(file).is_empty(), "{file:?}");
    }
    // Each shape code has a fixture the schema rejects, so the comparison is not vacuous; and
    // fixtures with only relations wrong are accepted by the schema and refused by lint.
    let rejected: Vec<String> = files
        .iter()
        .filter(|f| !schema_accepts(&validator, f))
        .flat_map(|f| lint_errors(f))
        .collect();
    for code in CALENDAR_SHAPE {
        assert!(rejected.iter().any(|c| c == code), "no rejected fixture shows {code}");
    }
    for name in ["relations-only", "cutoff-after-closing"] {
        let file = Path::new(ROOT).join(format!("tests/fixtures/calendars/broken/{name}.yaml"));
        assert!(schema_accepts(&validator, &file) && !lint_errors(&file).is_empty(), "{name}");
    }
    assert!(disagree.is_empty(), "schema and lint disagree:\n{}", disagree.join("\n"));
}

/// A cutoff, business hours and workweek days: the schema's patterns read each as the loader
/// does.
#[test]
fn the_calendar_schema_reads_times_and_days_as_lint_does() {
    let validator = validator("holidays/calendar.schema.json");
    let lint_week = |week: &str, line: String| {
        let text = format!("id: c\ntimezone: UTC\nworkweek: {week}\ncovers: unbounded\n{line}\n");
        ombud_engine::Calendar::from_yaml("c.yaml", &text, None).is_ok()
    };
    let lint = |line: String| lint_week("[mon]", line);
    let doc = |key: &str, value: serde_json::Value| {
        let mut d = serde_json::json!({ "id": "c", "timezone": "UTC", "workweek": ["mon"],
                                        "covers": "unbounded" });
        d[key] = value;
        d
    };
    for case in [
        "16:00", "9:00", "09:00:30", "23:59", " 16:00 ", "24:00", "25:00", "16", "9:5", "16:00:60",
        "16h00", "4pm", "",
    ] {
        let ok = lint(format!("cutoff: \"{case}\""));
        assert_eq!(validator.is_valid(&doc("cutoff", case.into())), ok, "cutoff {case:?}");
    }
    // Windows in order, so the form alone decides.
    for (case, ok) in [
        ("09:00-12:00,13:30-18:00", true),
        (" 9:00 - 12:00 , 13:00-24:00 ", true),
        ("18:00-24:00:00", true),
        ("09:00-12:00;13:00-17:00", false),
        ("9-17", false),
        ("09:00-", false),
        ("", false),
    ] {
        assert_eq!(lint(format!("hours: \"{case}\"")), ok, "lint, hours {case:?}");
        assert_eq!(validator.is_valid(&doc("hours", case.into())), ok, "hours {case:?}");
    }
    for (case, ok) in [("mon", true), ("Monday", true), (" FRI ", true), ("mo", false)] {
        assert_eq!(lint_week(&format!("[\"{case}\"]"), String::new()), ok, "lint, day {case:?}");
        let week = serde_json::json!([case]);
        assert_eq!(validator.is_valid(&doc("workweek", week)), ok, "day {case:?}");
    }
}
