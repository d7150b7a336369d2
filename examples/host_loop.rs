//! A minimal host: many tickets, one timer per ticket, a simulated clock.
//!
//! A real host stores each ticket and its `next_wakeup` in its database and runs a loop that wakes
//! at the earliest one. Here the "database" is a `Vec` and the timer queue is a `BinaryHeap`; the
//! clock jumps straight to the next wake-up instead of sleeping.
//!
//! ```sh
//! cargo run --example host_loop
//! ```

use chrono::{DateTime, Duration, Utc};
use ombud_engine::runtime::{ActionKind, Engine, Event, OpenTicket, Ticket};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::error::Error;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/service-complaints.yaml");
    let (policy, _warnings) = ombud_engine::load_policy_file(std::path::Path::new(path))?;
    let engine = Engine::new(Arc::new(policy));

    // Open 50 tickets over a working week; every third one is never registered, so its one-hour
    // intake clock runs out. Nobody files investigation reports in this demo, so every ticket
    // that reaches verification breaches its 24 hours and climbs the ladder too.
    let start: DateTime<Utc> = "2026-03-02T01:00:00Z".parse()?;
    let mut tickets: Vec<Ticket> = Vec::new();
    let mut timers: BinaryHeap<Reverse<(DateTime<Utc>, usize)>> = BinaryHeap::new();
    for i in 0..50 {
        let at = start + Duration::minutes(97 * i);
        let open = OpenTicket {
            id: format!("T-{i:03}"),
            at,
            fields: serde_json::from_value(serde_json::json!({
                "channel": "web",
                "departments": ["network"],
                "text": "service was late"
            }))?,
        };
        let (mut ticket, _) = engine.open(&open)?;
        if i % 3 != 0 {
            engine.apply(&mut ticket, &Event::named("registered", at + Duration::minutes(20)))?;
        }
        let wake = engine.next_wakeup(&ticket)?;
        tickets.push(ticket);
        if let Some(t) = wake {
            timers.push(Reverse((t, tickets.len() - 1)));
        }
    }

    // The host loop: wake at the earliest timer, advance that ticket, act, re-arm its timer.
    let horizon = start + Duration::days(14);
    let (mut wakeups, mut escalations, mut breaches) = (0, 0, 0);
    while let Some(Reverse((now, idx))) = timers.pop() {
        if now > horizon {
            break;
        }
        let Some(ticket) = tickets.get_mut(idx) else { continue };
        let outcome = engine.advance(ticket, now)?;
        wakeups += 1;
        for action in &outcome.actions {
            match action.kind {
                ActionKind::Escalate => escalations += 1,
                ActionKind::Breach => breaches += 1,
                _ => {}
            }
        }
        if let Some(next) = outcome.next_wakeup {
            timers.push(Reverse((next, idx)));
        }
    }
    println!(
        "{} tickets, {wakeups} wake-ups, {escalations} escalations, {breaches} breaches by {}",
        tickets.len(),
        horizon
    );
    Ok(())
}
