//! What a host waits for: opening a ticket, applying one event, and advancing a million tickets,
//! on the system allocator (`runtime_mimalloc.rs` runs the first two on mimalloc).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

mod common;

use chrono::Duration;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ombud_engine::runtime::Ticket;
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let engine = common::engine();
    common::open_and_apply(c, &engine, "");

    // 1,000,000 open tickets at different stages of their clocks, advanced to one instant.
    let (t0, registered) = (common::t0(), common::registered());
    let now = t0 + Duration::hours(2);
    let mut group = c.benchmark_group("advance");
    group.sample_size(10);
    group.bench_function("advance 1,000,000 open tickets (one thread)", |b| {
        // The tickets keep no history (as a replay's), so a million of them fit in memory.
        let lean = engine.clone().without_history();
        let (mut template, _) = lean.open(&common::open_input(0, t0)).unwrap();
        lean.apply(&mut template, &registered).unwrap();
        let tickets: Vec<Ticket> = (0..1_000_000).map(|_| template.clone()).collect();
        b.iter_batched_ref(
            || tickets.clone(),
            |tickets| {
                for t in tickets.iter_mut() {
                    black_box(engine.advance(t, now).unwrap());
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(runtime, benches);
criterion_main!(runtime);
