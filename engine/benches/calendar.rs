//! Calendar arithmetic benchmarks: each query should stay flat as the number of working days
//! grows (the tables make `add` O(log n) in the calendar, O(1) in N); the README gives the target.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ombud_engine::calendar::Calendar;
use ombud_engine::policy::Duration;
use std::hint::black_box;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn bench(c: &mut Criterion) {
    let cn = Calendar::bundled("cn-mainland").unwrap();
    let de = Calendar::bundled("de-example").unwrap();
    let start = t("2026-02-13T17:30:00+08:00");
    c.bench_function("add 3 working days", |b| {
        b.iter(|| cn.add(black_box(start), black_box(Duration::WorkingDays(3))).unwrap())
    });
    c.bench_function("add 7 working days across Spring Festival 2026", |b| {
        b.iter(|| cn.add(black_box(start), black_box(Duration::WorkingDays(7))).unwrap())
    });
    let de_start = t("2026-03-05T11:00:00+01:00");
    c.bench_function("add 8 working hours (business hours, Europe/Berlin)", |b| {
        b.iter(|| {
            de.add(black_box(de_start), black_box(Duration::WorkingHours { minutes: 480 })).unwrap()
        })
    });
    c.bench_function("W(t)", |b| b.iter(|| de.working_clock(black_box(de_start))));
    let w = de.working_clock(de_start) + 12_345;
    c.bench_function("W inverse", |b| b.iter(|| de.at_working_clock(black_box(w))));
    let mut g = c.benchmark_group("add N working days");
    let from = t("2024-03-01T10:00:00+08:00");
    for n in [1u32, 10, 100, 250] {
        g.bench_function(format!("{n}"), |b| {
            b.iter(|| cn.add(black_box(from), black_box(Duration::WorkingDays(n))).unwrap())
        });
    }
    g.finish();
    let late = t("2026-11-28T10:00:00+08:00");
    c.bench_function("add 250 working days beyond coverage (provisional)", |b| {
        b.iter(|| cn.add(black_box(late), black_box(Duration::WorkingDays(250))).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
