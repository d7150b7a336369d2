//! `docs/diagnostics.md` documents exactly the codes the engine reports: one `### CODE` heading
//! for every `DiagnosticCode`, and none for a code that does not exist.
#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

use ombud_engine::DiagnosticCode;
use std::collections::BTreeSet;

#[test]
fn the_diagnostics_page_documents_exactly_the_codes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md");
    let page = std::fs::read_to_string(path).unwrap();
    let documented: BTreeSet<&str> =
        page.lines().filter_map(|l| l.strip_prefix("### ")).map(str::trim).collect();
    let codes: BTreeSet<&str> = DiagnosticCode::ALL.iter().map(|c| c.as_str()).collect();
    let undocumented: Vec<&&str> = codes.difference(&documented).collect();
    let unknown: Vec<&&str> = documented.difference(&codes).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "codes without a section: {undocumented:?}; sections without a code: {unknown:?}"
    );
}

/// `docs/scenarios.md` lists every rejection code `Rejection::code` can return (an
/// `expect: rejected` entry names them), read from the function's source so that a new code
/// cannot be left out.
#[test]
fn the_scenarios_page_lists_every_rejection_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/runtime/error.rs")).unwrap();
    let body = source.split("pub fn code(&self) -> &'static str {").nth(1).unwrap();
    let body = body.split("\n    }\n").next().unwrap();
    let codes: Vec<&str> =
        body.split("=> \"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    assert!(codes.len() > 15, "{codes:?}");
    let page = std::fs::read_to_string(root.join("../docs/scenarios.md")).unwrap();
    let missing: Vec<&&str> = codes.iter().filter(|c| !page.contains(&format!("`{c}`"))).collect();
    assert!(missing.is_empty(), "docs/scenarios.md does not list {missing:?}");
}

/// The page lists the codes in the enum's order, each under the `## ` section of its range
/// (`## E02xx — …` holds codes starting `E02`; `## E052x — …` codes starting `E052`).
#[test]
fn the_diagnostics_page_lists_each_code_in_order_under_its_range() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md");
    let page = std::fs::read_to_string(path).unwrap();
    let mut range = "";
    let mut listed = Vec::new();
    for line in page.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            range = title.split_whitespace().next().unwrap_or("").trim_end_matches('x');
        } else if let Some(code) = line.strip_prefix("### ").map(str::trim) {
            assert!(code.starts_with(range), "{code} is under the section of {range}");
            listed.push(code);
        }
    }
    let codes: Vec<&str> = DiagnosticCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, codes);
}
