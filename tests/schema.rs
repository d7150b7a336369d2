//! `policies/schema.json` (what `ombud schema` prints) accepts exactly the policies lint accepts,
//! as far as a JSON Schema can tell: every bundled policy and every policy fixture runs through
//! both and the verdicts are compared.
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

/// The codes of the errors `ombud lint --format json` reports for `path`.
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
        .filter(|d| d["severity"] == "error")
        // A number past what the runtime counts (`71582789 working hours`) is a range, not a
        // form: the schema's patterns do not express it.
        .filter(|d| !d["message"].as_str().unwrap().contains("too large"))
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_schema_accepts_exactly_what_lint_accepts() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("policies/schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut files = yaml_files("policies");
    files.extend(yaml_files("tests/fixtures/policies"));
    files.extend(yaml_files("tests/fixtures/broken"));
    let mut disagree = Vec::new();
    for file in &files {
        // A file that is not one JSON-shaped YAML text (not UTF-8, bad YAML, duplicate keys)
        // is rejected by the schema's reader.
        let schema_ok = std::fs::read_to_string(file).is_ok_and(|text| {
            // YAML 1.2 core booleans, as editors and lint read them: `yes` is a string.
            let mut options = serde_saphyr::Options::default();
            options.strict_booleans = true;
            serde_saphyr::from_str_with_options::<serde_json::Value>(&text, options)
                .is_ok_and(|doc| validator.is_valid(&doc))
        });
        let errors = lint_errors(file);
        let shape_errors: Vec<&String> =
            errors.iter().filter(|c| SHAPE.contains(&c.as_str())).collect();
        let lint_ok = shape_errors.is_empty();
        if schema_ok != lint_ok {
            disagree.push(format!(
                "{}: schema {}, lint {} {shape_errors:?}",
                file.strip_prefix(ROOT).unwrap_or(file).display(),
                if schema_ok { "accepts" } else { "rejects" },
                if lint_ok { "accepts" } else { "rejects" },
            ));
        }
    }
    assert!(files.len() > 60, "{} files", files.len());
    // `3WD`, `72H`, `2 Working Days`, `承办人` and `12315-complaints`: accepted by both.
    let forms = Path::new(ROOT).join("tests/fixtures/policies/schema-forms.yaml");
    assert!(files.contains(&forms) && lint_errors(&forms).is_empty());
    assert!(disagree.is_empty(), "schema and lint disagree:\n{}", disagree.join("\n"));
}
