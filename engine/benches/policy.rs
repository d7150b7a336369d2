//! What a host waits for when it loads a policy: YAML parsing, every check, compiling every
//! condition, resolving the calendar and building the stage graph, for the reference policy.
//!
//! Run: `cargo bench -p ombud-engine --bench policy -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const REFERENCE: &str = include_str!("../../policies/service-complaints.yaml");

fn load_check_compile(c: &mut Criterion) {
    c.bench_function("load+check+compile service-complaints", |b| {
        b.iter(|| {
            let result =
                ombud_engine::load_policy("service-complaints.yaml", black_box(REFERENCE), None);
            black_box(result.is_ok())
        });
    });
}

criterion_group!(benches, load_check_compile);
criterion_main!(benches);
