//! The README's examples must keep working: its ten-line policy compiles without diagnostics.
#![allow(clippy::panic, reason = "test code: a failure is the test failing")]

use std::path::Path;

#[test]
fn readme_policy_compiles_clean() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .unwrap_or_default();
    let start = readme.find("## A policy in ten lines").unwrap_or(0);
    let block = readme[start..]
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_default();
    assert!(block.lines().count() >= 8, "the README's policy example is missing");
    match ombud_engine::load_policy("README.md", block, None) {
        Ok((_, warnings)) => assert!(warnings.is_empty(), "{warnings:#?}"),
        Err(diagnostics) => panic!("README policy does not compile: {diagnostics:#?}"),
    }
}
