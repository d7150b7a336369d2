//! The benchmark cases shared by `runtime.rs` (the system allocator) and `runtime_mimalloc.rs`.

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, Criterion};
use ombud_engine::runtime::{Engine, Event, OpenTicket};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

pub fn engine() -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/service-complaints.yaml");
    let (policy, _) = ombud_engine::load_policy_file(&path).expect("reference policy compiles");
    Engine::new(Arc::new(policy))
}

/// When the benchmark tickets open: a Friday evening in Beijing, before Spring Festival 2026.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-13T17:30:00+08:00").unwrap().with_timezone(&Utc)
}

pub fn open_input(id: usize, when: DateTime<Utc>) -> OpenTicket {
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

/// `registered` in intake: a guarded transition, a stage entry with a 24 h clock.
pub fn registered() -> Event {
    Event::named("registered", t0() + Duration::minutes(20))
}

/// Opening a ticket and applying one event, each benchmark named `{prefix}{name}`.
pub fn open_and_apply(c: &mut Criterion, engine: &Engine, prefix: &str) {
    let t0 = t0();
    let input = open_input(1, t0);
    let registered = registered();

    c.bench_function(&format!("{prefix}open a ticket (reference policy)"), |b| {
        b.iter(|| black_box(engine.open(black_box(&input)).unwrap()));
    });

    // What a host that builds the input for the engine does: hand it over. Measured like `apply`
    // below: the input is made and the result dropped outside the timed part.
    c.bench_function(
        &format!("{prefix}open a ticket, input handed over (reference policy)"),
        |b| {
            b.iter_batched(
                || input.clone(),
                |input| engine.open_owned(black_box(input)).unwrap(),
                BatchSize::SmallInput,
            );
        },
    );

    // Each iteration applies `registered` to a ticket as `open` returns it, which is what a host
    // holds. (A clone would not be: its history is full, so its first apply also moves the
    // history to a larger allocation.)
    c.bench_function(&format!("{prefix}apply one event (registered, reference policy)"), |b| {
        b.iter_batched_ref(
            || engine.open(&input).unwrap().0,
            |ticket| black_box(engine.apply(ticket, black_box(&registered)).unwrap()),
            BatchSize::SmallInput,
        );
    });
}
