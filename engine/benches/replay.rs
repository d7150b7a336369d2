//! Replay benchmarks: a generated ledger of 10,000 tickets (about 97,000 lines) replayed from
//! memory under the reference policy, parsing included. Throughput is in ledger lines.
//! The engine is configured as `ombud replay` configures it: without history or row text, or
//! (`audit hashes`) keeping and sealing everything as `--audit-hashes` does.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ombud_engine::ledger::{GenerateOptions, OnError, ReplayOptions, generate, replay};
use ombud_engine::runtime::Engine;
use std::path::Path;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/service-complaints.yaml");
    let (policy, _) = ombud_engine::load_policy_file(&path).unwrap();
    let policy = Arc::new(policy);
    let mut ledger = Vec::new();
    let options = GenerateOptions {
        tickets: 10_000,
        seed: 1,
        from: "2026-07-01T00:00:00+08:00".parse().unwrap(),
        to: "2026-09-30T23:59:59+08:00".parse().unwrap(),
    };
    generate(&Engine::new(policy.clone()), &options, &mut ledger).unwrap();
    let lines = ledger.iter().filter(|b| **b == b'\n').count() as u64;
    let mut group = c.benchmark_group("replay 10k tickets");
    group.throughput(Throughput::Elements(lines));
    group.sample_size(10);
    for (name, sealed, threads) in
        [("1 thread", false, 1), ("2 threads", false, 2), ("1 thread, audit hashes", true, 1)]
    {
        let engine = Engine::new(policy.clone());
        let engine = if sealed { engine } else { engine.without_history().without_row_text() };
        let engines = [engine];
        let o = ReplayOptions { threads, on_error: OnError::Skip, ..Default::default() };
        group.bench_function(name, |b| b.iter(|| replay(&engines, ledger.as_slice(), &o).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
