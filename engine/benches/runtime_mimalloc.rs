//! The open and apply benchmarks of `runtime.rs` on mimalloc, the allocator the CLI ships with:
//! whether a host gains by choosing its allocator over the system's.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn benches(c: &mut Criterion) {
    common::open_and_apply(c, &common::engine(), "mimalloc: ");
}

criterion_group!(runtime_mimalloc, benches);
criterion_main!(runtime_mimalloc);
