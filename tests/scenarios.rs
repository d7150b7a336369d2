//! The scenario corpus: one snapshot of every timeline in `examples/scenarios/`, and every
//! scenario's `expect:` block passing through `ombud test`.
//!
//! A policy or calendar change that moves any timeline shows up here as a snapshot diff:
//! review it with `cargo insta test --review` (or `INSTA_UPDATE=always cargo test` and read the
//! `.snap` diffs in git).

use ombud_engine::check::Source;
use ombud_engine::runtime::Engine;
use ombud_engine::simulate::{Scenario, simulate};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn timeline_of_every_scenario() {
    insta::glob!("../examples/scenarios", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.strip_prefix(ROOT).unwrap().display().to_string();
        let scenario = Scenario::parse(&Source::new(name, text)).unwrap();
        let policy_path = path.parent().unwrap().join(&scenario.policy.as_ref().unwrap().value);
        let (policy, _) = ombud_engine::load_policy_file(&policy_path).unwrap();
        let timeline = simulate(&Engine::new(Arc::new(policy)), &scenario).unwrap();
        insta::assert_yaml_snapshot!(timeline.view());
    });
}

#[test]
fn every_scenario_expectation_holds() {
    let out = Command::new(env!("CARGO_BIN_EXE_ombud"))
        .args(["test", "examples/scenarios"])
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let count = std::fs::read_dir(Path::new(ROOT).join("examples/scenarios"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "yaml"))
        .count();
    assert!(count >= 20, "the corpus has {count} scenarios");
    assert_eq!(
        stdout.lines().last(),
        Some(format!("{count} passed, 0 failed").as_str()),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}");
}
