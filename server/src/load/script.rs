//! What the load generator sends: one script per ticket, drawn from a seed, so a run can be
//! repeated. A script is the ticket's opening (its deadline falls a little after the opening,
//! so its ladder steps and breach fall due while the load runs) and its events in order: field
//! updates and assignments that keep the stage and its clock, the reply, the answer and the
//! close for most tickets, a few events the engine must refuse, and a few sent twice.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::time::Duration;

/// The time limit of the load policy's `open` stage (`due: 2m`).
pub(crate) const DUE: Duration = Duration::from_secs(120);

/// One event of a script.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    /// The event without its `id`, `at` and `by` (added when it is sent).
    pub(crate) event: Value,
    /// The refusal code the engine must answer, or `None` when it must accept the event.
    pub(crate) refused: Option<&'static str>,
    /// Send the same request a second time: it must get the same answer and apply nothing.
    pub(crate) twice: bool,
}

/// A ticket's script.
#[derive(Clone, Debug)]
pub(crate) struct TicketScript {
    /// Ticket id.
    pub(crate) id: String,
    /// The opening's fields.
    pub(crate) fields: Value,
    /// How long after the opening is sent its `open` stage's deadline falls.
    pub(crate) lead: Duration,
    /// The events, in order.
    pub(crate) steps: Vec<Step>,
    /// The steps from this index on are held back until every timer has fired.
    pub(crate) tail_from: usize,
}

/// How the scripts are drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub(crate) tickets: usize,
    pub(crate) events: usize,
    pub(crate) spread: Duration,
    pub(crate) seed: u64,
}

fn set(amount: u64) -> Step {
    Step { event: json!({"event": "set", "data": {"amount": amount}}), refused: None, twice: false }
}

fn assign(person: u64) -> Step {
    Step {
        event: json!({"event": "reassign", "assignee": format!("agent-{person}")}),
        refused: None,
        twice: false,
    }
}

fn named(event: &str) -> Step {
    Step { event: json!({"event": event}), refused: None, twice: false }
}

/// The scripts of a run: `shape.tickets` tickets sharing `shape.events` events.
pub(crate) fn scripts(shape: Shape) -> Vec<TicketScript> {
    let n = shape.tickets.max(1);
    let base = shape.events / n;
    let extra = shape.events % n;
    (0..n)
        .map(|i| {
            let mut rng = StdRng::seed_from_u64(shape.seed ^ (i as u64).wrapping_mul(0x9e37_79b9));
            let count = base + usize::from(i < extra);
            ticket(i, count, shape.spread, &mut rng)
        })
        .collect()
}

fn ticket(i: usize, count: usize, spread: Duration, rng: &mut StdRng) -> TicketScript {
    let channel = ["phone", "web", "mail"][rng.gen_range(0..3u64) as usize];
    // Deadlines fall from a tenth of the spread to its end after the opening.
    let lead = spread.mul_f64(0.1 + 0.9 * rng.r#gen::<f64>());
    // Half the tickets are answered and closed, a fifth answered and left open for the close,
    // the rest stay in `open` and breach.
    let fate = rng.gen_range(0..10u64);
    let (answer, close) = (fate < 7 && count >= 2, fate < 5 && count >= 3);
    let structural = usize::from(answer) * 2 + usize::from(close);
    let fillers = count.saturating_sub(structural);
    let mut steps = Vec::with_capacity(count + 1);
    let filler = |rng: &mut StdRng| {
        if rng.gen_bool(0.5) {
            set(rng.gen_range(0..10_000u64))
        } else {
            assign(rng.gen_range(0..40u64))
        }
    };
    // The reply is attached after about a third of the fillers, the answer after two thirds.
    let attach_at = fillers / 3;
    let answer_at = (2 * fillers) / 3;
    for k in 0..=fillers {
        if answer && k == attach_at {
            steps.push(Step {
                event: json!({"event": "attach", "artifact": "reply"}),
                refused: None,
                twice: false,
            });
        }
        if answer && k == answer_at {
            steps.push(named("answer"));
        }
        if k < fillers {
            steps.push(filler(rng));
        }
    }
    if close {
        steps.push(named("close"));
    }
    // Some events the engine must refuse: `close` while the ticket is still open (the stage
    // does not take it), `answer` before the reply is attached.
    if rng.gen_bool(0.03) {
        let refused = if rng.gen_bool(0.5) {
            Step { refused: Some("not_accepted"), ..named("close") }
        } else {
            Step { refused: Some("missing_artifacts"), ..named("answer") }
        };
        steps.insert(0, refused);
    }
    for step in &mut steps {
        step.twice = rng.gen_bool(0.02);
    }
    // A sixth of the tickets keep their last event until every timer has fired, so the ledger
    // ends after the last ladder step (a replay brings open tickets to the ledger's end).
    let tail_from = if (i == 0 || rng.gen_bool(1.0 / 6.0)) && !steps.is_empty() {
        steps.len() - 1
    } else {
        steps.len()
    };
    TicketScript {
        id: format!("L-{i:06}"),
        fields: json!({"channel": channel}),
        lead,
        steps,
        tail_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_share_the_events_and_repeat_from_the_seed() {
        let shape = Shape { tickets: 100, events: 1000, spread: Duration::from_secs(20), seed: 7 };
        let a = scripts(shape);
        let b = scripts(shape);
        assert_eq!(a.len(), 100);
        let sent: usize = a.iter().map(|t| t.steps.len()).sum();
        // Refused events come on top of the share.
        let refused = a.iter().flat_map(|t| &t.steps).filter(|s| s.refused.is_some()).count();
        assert_eq!(sent - refused, 1000);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(a.iter().all(|t| t.lead >= Duration::from_secs(2) && t.lead <= shape.spread));
        assert!(a[0].tail_from < a[0].steps.len(), "the first ticket keeps a tail");
        // An answer always follows the attached reply.
        for t in &a {
            let names: Vec<&str> = t
                .steps
                .iter()
                .filter(|s| s.refused.is_none())
                .map(|s| s.event["event"].as_str().unwrap())
                .collect();
            if let Some(answer) = names.iter().position(|n| *n == "answer") {
                assert!(names[..answer].contains(&"attach"), "{names:?}");
            }
        }
    }
}
