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
