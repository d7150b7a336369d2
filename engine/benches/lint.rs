//! Linting a large policy: YAML parsing with every node's line and column, every check and the
//! compilation, for policies of 1,000 to 99,000 list items (the node budget is 100,000). The
//! time should grow in step with the size of the file: a policy ten times the size takes about
//! ten times as long.
//!
//! Run: `cargo bench -p ombud-engine --bench lint -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// A valid policy whose derive rule lists `n` keywords, one per line.
fn policy(n: usize) -> String {
    let keywords: Vec<String> = (0..n).map(|i| format!("k{i:x}")).collect();
    format!(
        "policy: big\nversion: \"1\"\ncalendar: weekdays\ntiers: [agent]\nfields:\n  \
         text: {{ type: string }}\nderive:\n  category:\n    - value: fees\n      keywords: [\n{}\n      ]\n    \
         - {{ value: other }}\nstart: open\nstages:\n  open: {{ owner: agent, due: 1h, on: {{ done: closed }} }}\n  \
         closed: {{ terminal: true }}\n",
        keywords.join(",\n")
    )
}

fn lint_by_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("lint");
    group.sample_size(10);
    for n in [1_000, 10_000, 30_000, 99_000] {
        let text = policy(n);
        assert!(ombud_engine::load_policy("big.yaml", &text, None).is_ok(), "{n} keywords");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("keywords", n), &text, |b, text| {
            b.iter(|| {
                black_box(ombud_engine::load_policy("big.yaml", black_box(text), None).is_ok())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, lint_by_size);
criterion_main!(benches);
