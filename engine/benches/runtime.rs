//! What a host waits for: opening a ticket, applying one event, and advancing a million tickets.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark set-up")]

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ombud_engine::runtime::{Engine, Event, OpenTicket, Ticket};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

fn engine() -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/service-complaints.yaml");
    let (policy, _) = ombud_engine::load_policy_file(&path).expect("reference policy compiles");
    Engine::new(Arc::new(policy))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn open_input(id: usize, when: DateTime<Utc>) -> OpenTicket {
    OpenTicket {
        id: format!("T-{id}"),
        at: when,
        fields: serde_json::from_value(serde_json::json!({
            "channel": "app",
            "departments": ["billing"],
            "claim_amount": 320,
            "text": "重复计费: charged twice for January"
        }))
        .unwrap(),
    }
}

fn benches(c: &mut Criterion) {
    let engine = engine();
    let t0 = at("2026-02-13T17:30:00+08:00");

    c.bench_function("open a ticket (reference policy)", |b| {
        let input = open_input(1, t0);
        b.iter(|| black_box(engine.open(black_box(&input)).unwrap()));
    });

    // What a host that builds the input for the engine does: hand it over. Measured like `apply`
    // below: the input is made and the result dropped outside the timed part.
    c.bench_function("open a ticket, input handed over (reference policy)", |b| {
        let input = open_input(1, t0);
        b.iter_batched(
            || input.clone(),
            |input| engine.open_owned(black_box(input)).unwrap(),
            BatchSize::SmallInput,
        );
    });

    // `registered` in intake: a guarded transition, a stage entry with a 24 h clock. Each
    // iteration applies it to a ticket as `open` returns it, which is what a host holds.
    let input = open_input(1, t0);
    let registered = Event::named("registered", t0 + Duration::minutes(20));
    c.bench_function("apply one event (registered, reference policy)", |b| {
        b.iter_batched_ref(
            || engine.open(&input).unwrap().0,
            |ticket| black_box(engine.apply(ticket, black_box(&registered)).unwrap()),
            BatchSize::SmallInput,
        );
    });

    // The same event applied to a clone of that ticket. A clone's history has no room left, so
    // each apply here also moves the history to a larger allocation. The history of a ticket as
    // opened, or as read back from JSON, grows by doubling: it moves only when it is full, at 4,
    // 8, 16, … records.
    let (base, _) = engine.open(&input).unwrap();
    c.bench_function("apply one event to a cloned ticket (registered, reference policy)", |b| {
        b.iter_batched_ref(
            || base.clone(),
            |ticket| black_box(engine.apply(ticket, black_box(&registered)).unwrap()),
            BatchSize::SmallInput,
        );
    });

    // 1,000,000 open tickets at different stages of their clocks, advanced to one instant.
    let now = t0 + Duration::hours(2);
    let mut group = c.benchmark_group("advance");
    group.sample_size(10);
    group.bench_function("advance 1,000,000 open tickets (one thread)", |b| {
        let (mut template, _) = engine.open(&open_input(0, t0)).unwrap();
        engine.apply(&mut template, &registered).unwrap();
        template.history.clear();
        let tickets: Vec<Ticket> = (0..1_000_000)
            .map(|i| {
                let mut t = template.clone();
                t.id = compact_str::format_compact!("T-{i}");
                t
            })
            .collect();
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
