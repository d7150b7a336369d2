//! What an analyst waits for: running a scenario in-process.
//!
//! The policy is compiled and the scenario parsed outside the loop; the loop runs the scenario
//! (open, every event, the clock to `until`, next actions). The scenario measured is the longest
//! of `examples/scenarios/` (most timeline rows), found at start-up.
//!
//! `cargo bench -p ombud-engine --bench simulate -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use ombud_engine::check::Source;
use ombud_engine::runtime::Engine;
use ombud_engine::simulate::{Scenario, simulate};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn scenarios(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios");
    let mut longest: Option<(usize, String, Engine, Scenario)> = None;
    for path in scenarios(&dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = Scenario::parse(&Source::new(path.display().to_string(), text)).unwrap();
        let policy_path = dir.join(&scenario.policy.as_ref().unwrap().value);
        let (policy, _) = ombud_engine::load_policy_file(&policy_path).unwrap();
        let engine = Engine::new(Arc::new(policy));
        let rows = simulate(&engine, &scenario).unwrap().rows.len();
        if longest.as_ref().is_none_or(|l| rows > l.0) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            longest = Some((rows, name, engine, scenario));
        }
    }
    let (rows, name, engine, scenario) = longest.expect("no scenarios");
    c.bench_function(&format!("simulate {name} ({rows} rows)"), |b| {
        b.iter(|| simulate(black_box(&engine), black_box(&scenario)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
