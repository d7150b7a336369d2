//! Property tests of the runtime on every bundled policy: random event streams (valid, refused
//! and malformed events, at random gaps that cross ladder steps and deadlines).
//!
//! - A refused event leaves the ticket exactly as it was, even when clock items were due.
//! - Whether or not the host called `advance` before an event, the event gets the same answer
//!   and the ticket ends in the same state with the same timeline (and audit chain).
//! - An engine without history and row text gives the same answers, rows (details aside) and
//!   tickets (audit chain and the history it leaves out aside).
//! - The wake-up an outcome reports is the ticket's, and always lies after the ticket's clock, so
//!   a host that advances to it always finds something to do.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: a failure is the test failing")]

use chrono::{DateTime, Duration, Utc};
use ombud_engine::policy::CompiledPolicy;
use ombud_engine::runtime::{Engine, Event, OpenTicket, SET, Ticket, TimelineRow};
use proptest::prelude::*;
use serde_json::json;
use std::path::Path;
use std::sync::{Arc, OnceLock};

const POLICIES: [&str; 4] = [
    "service-complaints.yaml",
    "city-hotline-12345.yaml",
    "bank-complaints.yaml",
    "samr-12315.yaml",
];

/// What each policy of `POLICIES` needs to open a ticket at all: its required fields.
fn required(policy: usize) -> serde_json::Value {
    match POLICIES[policy] {
        "city-hotline-12345.yaml" => json!({"request_type": "complaint"}),
        "samr-12315.yaml" => json!({"kind": "report", "real_name": true}),
        _ => json!({}),
    }
}

/// Each bundled policy's engine, and the same engine without row text.
fn engines() -> &'static Vec<(Engine, Engine)> {
    static ENGINES: OnceLock<Vec<(Engine, Engine)>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        POLICIES
            .iter()
            .map(|name| {
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies").join(name);
                let (policy, _) = ombud_engine::load_policy_file(&path).unwrap();
                let engine = Engine::new(Arc::new(policy));
                (engine.clone(), engine.without_history().without_row_text())
            })
            .collect()
    })
}

/// Every event name the policy knows (transitions, pauses, resumes, obligations), the built-ins
/// with good and bad arguments, and a name nobody declares.
fn event_pool(p: &CompiledPolicy) -> Vec<Event> {
    let t0 = DateTime::<Utc>::MIN_UTC;
    let mut names: Vec<String> =
        p.stages().iter().flat_map(|s| s.on.iter().map(|t| t.event.clone())).collect();
    names.extend(p.pauses().iter().flat_map(|r| [r.on.clone(), r.resume_on.clone()]));
    names.extend(p.obligations().iter().map(|o| o.done_on.clone()));
    names.push("no_such_event".into());
    names.sort();
    names.dedup();
    let mut pool: Vec<Event> = names.into_iter().map(|n| Event::named(n, t0)).collect();
    for s in p.stages() {
        pool.extend(s.requires.iter().map(|a| Event::attach(a.clone(), t0)));
    }
    pool.push(Event::attach("no_such_artifact", t0));
    for m in ["billing", "network", "lead", "nobody"] {
        pool.push(Event::member_done(m, t0));
    }
    pool.extend(p.tiers().iter().map(|tier| Event::reassign(tier.clone(), t0)));
    pool.push(Event::reassign("no_such_tier", t0));
    for data in [
        json!({"claim_amount": 50000}),
        json!({"public_interest": true}),
        json!({"category": "fees"}),
        json!({"text": "there is a gas leak"}),
        json!({"claim_amount": "lots"}),
        json!({"no_such_field": 1}),
    ] {
        pool.push(Event::set(serde_json::from_value(data).unwrap(), t0));
    }
    pool.push(Event::named(SET, t0));
    pool
}

fn open_input(policy: usize, at: DateTime<Utc>, variant: u8) -> OpenTicket {
    let mut fields = match variant % 4 {
        0 => json!({}),
        1 => json!({"departments": ["billing", "network"], "claim_amount": 20000}),
        2 => json!({"text": "charged twice; threat", "departments": ["billing"]}),
        // A computed field given on the opening: it must win over its rules for good.
        _ => json!({"category": "fees", "text": "a gas leak in the meter room"}),
    };
    if let (Some(fields), serde_json::Value::Object(required)) =
        (fields.as_object_mut(), required(policy))
    {
        fields.extend(required);
    }
    OpenTicket { id: "P-1".into(), at, fields: serde_json::from_value(fields).unwrap() }
}

/// Opens a ticket, returning `None` when the policy refuses the opening data.
fn open(engine: &Engine, policy: usize, at: DateTime<Utc>, variant: u8) -> Option<Ticket> {
    engine.open(&open_input(policy, at, variant)).ok().map(|(t, _)| t)
}

/// The ticket's JSON without its audit chain and without the history an engine without history
/// leaves out: events other than `set`, and opening values of fields that are not computed.
fn strip(t: &Ticket, policy: &CompiledPolicy) -> String {
    let decides = |k: &str| {
        policy.derived().iter().any(|d| d.name == k) && policy.fields().iter().any(|f| f.name == k)
    };
    let mut json = serde_json::to_value(t).unwrap();
    json["audit_head"] = "".into();
    let records = json["history"].as_array_mut().unwrap();
    if let Some(fields) = records[0]["entry"]["fields"].as_object_mut() {
        fields.retain(|k, _| decides(k));
    }
    records.retain(|r| r["entry"].get("opened").is_some() || r["entry"]["event"] == SET);
    for (seq, r) in records.iter_mut().enumerate() {
        r["seq"] = seq.into();
        r["state"] = "".into();
        r["hash"] = "".into();
    }
    json.to_string()
}

fn json(ticket: &Ticket) -> String {
    serde_json::to_string(ticket).unwrap()
}

/// Instants from just before Spring Festival 2026 to just after National Day 2026.
fn start() -> impl Strategy<Value = DateTime<Utc>> {
    (1_770_000_000i64..1_790_000_000)
        .prop_map(|s| DateTime::from_timestamp(s / 60 * 60, 0).unwrap())
}

/// Gaps between events: minutes to a couple of weeks, so ladder steps and breaches fall between.
fn gaps() -> impl Strategy<Value = Vec<(usize, i64)>> {
    prop::collection::vec((any::<usize>(), 0i64..20_000), 1..30)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Handing the input over gives what lending it gives: the same ticket (byte for byte), the
    /// same outcome, or the same refusal; with history and without.
    #[test]
    fn opening_from_an_owned_input_is_opening_from_a_borrowed_one(
        policy in 0..POLICIES.len(),
        variant in any::<u8>(),
        at in start(),
        extra in prop::option::of((0..3usize, any::<i32>())),
    ) {
        let mut input = open_input(policy, at, variant);
        if let Some((which, n)) = extra {
            // Refused openings too: an unknown field, a wrong type, an undeclared enum value.
            let (name, value) = [("clam_amount", json!(n)), ("claim_amount", json!("many")),
                ("channel", json!(format!("pigeon-{n}")))][which].clone();
            input.fields.insert(name.to_string(), value);
        }
        let (engine, quiet) = &engines()[policy];
        for engine in [engine, quiet] {
            let lent = engine.open(&input);
            let handed = engine.open_owned(input.clone());
            match (lent, handed) {
                (Ok((a, oa)), Ok((b, ob))) => {
                    prop_assert_eq!(oa.next_wakeup, engine.next_wakeup(&a).unwrap());
                    prop_assert_eq!(json(&a), json(&b));
                    prop_assert_eq!(oa, ob);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "open: {:?}\nopen_owned: {:?}", a.err(), b.err()),
            }
        }
    }

    #[test]
    fn refusals_change_nothing_and_advancing_first_changes_no_outcome(
        policy in 0..POLICIES.len(),
        variant in any::<u8>(),
        at in start(),
        steps in gaps(),
    ) {
        let (engine, quiet) = &engines()[policy];
        let pool = event_pool(engine.policy());
        let Some(mut direct) = open(engine, policy, at, variant) else { return Ok(()) };
        wakes_later(engine.next_wakeup(&direct).unwrap(), &direct)?;
        let mut stepped = direct.clone();
        let Some(mut silent) = open(quiet, policy, at, variant) else {
            return Err(TestCaseError::fail("the quiet engine refused an opening the other took"));
        };
        let mut rows_silent = Vec::new();
        let (mut rows_direct, mut rows_stepped): (Vec<TimelineRow>, Vec<TimelineRow>) =
            (Vec::new(), Vec::new());
        let mut now = at;
        for (pick, gap_minutes) in steps {
            now += Duration::minutes(gap_minutes);
            let event = Event { at: now, ..pool[pick % pool.len()].clone() };

            let before = json(&direct);
            let answer = engine.apply(&mut direct, &event);
            match &answer {
                Ok(outcome) => {
                    rows_direct.extend(outcome.rows.iter().cloned());
                    prop_assert_eq!(outcome.next_wakeup, engine.next_wakeup(&direct).unwrap());
                    wakes_later(outcome.next_wakeup, &direct)?;
                }
                Err(err) => prop_assert_eq!(
                    json(&direct), before, "refused `{}` ({}) changed the ticket", event.name(), err
                ),
            }

            match (&answer, quiet.apply(&mut silent, &event)) {
                (Ok(_), Ok(outcome)) => rows_silent.extend(outcome.rows),
                (Err(a), Err(b)) => prop_assert_eq!(a.code(), b.code()),
                (a, b) => prop_assert!(false, "without row text: {:?} vs {:?}", a.as_ref().err(), b.err()),
            }

            rows_stepped.extend(engine.advance(&mut stepped, now).unwrap().rows);
            let answer_stepped = engine.apply(&mut stepped, &event);
            match (&answer, &answer_stepped) {
                (Ok(_), Ok(outcome)) => rows_stepped.extend(outcome.rows.iter().cloned()),
                (Err(a), Err(b)) => prop_assert_eq!(a.code(), b.code()),
                (a, b) => prop_assert!(
                    false, "`{}`: {:?} without advance, {:?} after it", event.name(), a.as_ref().err(), b.as_ref().err()
                ),
            }
        }
        // A refused event fires nothing, so bring both to the last instant before comparing.
        rows_direct.extend(engine.advance(&mut direct, now).unwrap().rows);
        rows_stepped.extend(engine.advance(&mut stepped, now).unwrap().rows);
        rows_silent.extend(quiet.advance(&mut silent, now).unwrap().rows);
        prop_assert_eq!(&rows_direct, &rows_stepped);
        prop_assert!(rows_silent.iter().all(|r| r.detail.is_empty()));
        let blanked: Vec<TimelineRow> =
            rows_direct.iter().map(|r| TimelineRow { detail: Default::default(), ..r.clone() }).collect();
        prop_assert_eq!(&blanked, &rows_silent);
        let policy = engine.policy();
        prop_assert_eq!(strip(&direct, policy), strip(&silent, policy));
        let (a, b) = (json(&direct), json(&stepped));
        prop_assert!(a == b, "tickets differ:\n{a}\n{b}");

        // A host that sleeps until each wake-up: every one changes the ticket and moves on.
        for _ in 0..32 {
            let Some(w) = engine.next_wakeup(&direct).unwrap() else { break };
            let before = direct.clone();
            let outcome = engine.advance(&mut direct, w).unwrap();
            // Advancing always moves the clock; something else must have changed too.
            let mut moved = serde_json::to_value(&direct).unwrap();
            moved["clock_at"] = serde_json::to_value(before.clock_at()).unwrap();
            prop_assert!(moved != serde_json::to_value(&before).unwrap(), "advancing to the wake-up {} fired nothing", w);
            prop_assert_eq!(outcome.next_wakeup, engine.next_wakeup(&direct).unwrap());
            wakes_later(outcome.next_wakeup, &direct)?;
        }
    }
}

/// A wake-up at or before the ticket's clock would be a timer that fires and finds nothing due.
fn wakes_later(wakeup: Option<DateTime<Utc>>, ticket: &Ticket) -> Result<(), TestCaseError> {
    if let Some(w) = wakeup {
        prop_assert!(
            w > ticket.clock_at(),
            "wake-up {} is not after the clock {}",
            w,
            ticket.clock_at()
        );
    }
    Ok(())
}
