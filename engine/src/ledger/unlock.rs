//! Field changes for generated tickets: when every way out of a stage is shut by a condition
//! (samr-12315's `verify_report` waits for the filing decision), the generator sends a `set`
//! of plausible values for the fields those conditions read, as a handler would record them.
//!
//! Candidate values come from the field's declaration and the condition's text: an enum's
//! values, `true` and `false`, the numbers the condition names (each, one less and one more,
//! never below 0, and 0), the strings it names. The engine decides which of them open the way:
//! each candidate is applied to a copy of the ticket.

use super::rng::SplitMix64;
use crate::compile::{FieldType, StageId};
use crate::expr::Expr;
use crate::expr::lex::{Tok, lex};
use crate::runtime::{Engine, Event, Ticket};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// How many value combinations are tried for one transition.
const MAX_TRIES: usize = 64;

/// What a `set` opened.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Opened {
    /// The stage's transition on this event is now open: send the event after the `set`.
    Event(String),
    /// An automatic transition leaves the stage on the `set` itself.
    Auto,
}

/// A `set` (its data) that opens one of the condition-shut transitions of `ticket`'s stage,
/// forward ones tried first, each group in an order drawn from `rng`; `None` when no
/// candidate opens any.
pub(super) fn unlock(
    engine: &Engine,
    rng: &mut SplitMix64,
    ticket: &Ticket,
    at: DateTime<Utc>,
) -> Option<(Map<String, Value>, Opened)> {
    let policy = engine.policy();
    let here = policy.stage_id(ticket.stage())?;
    let stage = policy.stage(here);
    // (condition, event — none for an automatic transition, target)
    let mut shut: Vec<(&Expr, Option<&str>, StageId)> = stage
        .on
        .iter()
        .filter_map(|t| t.when.as_ref().map(|w| (w, Some(t.event.as_str()), t.to)))
        .chain(stage.auto.iter().map(|a| (&a.when, None, a.to)))
        .collect();
    for i in (1..shut.len()).rev() {
        shut.swap(i, rng.below(i as u64 + 1) as usize);
    }
    // Stable: the drawn order is kept within the forward and the backward transitions.
    shut.sort_by_key(|&(_, _, to)| to <= here);
    for (when, event, to) in shut {
        let choices: Vec<(&str, Vec<Value>)> = when
            .variables()
            .iter()
            .filter_map(|v| policy.field(v))
            .map(|f| (f.name.as_str(), candidates(&f.ty, when.source())))
            .filter(|(_, c)| !c.is_empty())
            .collect();
        let total = choices.iter().fold(1usize, |n, (_, c)| n.saturating_mul(c.len()));
        if choices.is_empty() {
            continue;
        }
        let first = rng.below(total as u64) as usize;
        for k in 0..total.min(MAX_TRIES) {
            let mut index = (first + k) % total;
            let mut data = Map::new();
            for (name, values) in &choices {
                let Some(v) = values.get(index % values.len()) else { continue };
                index /= values.len();
                if ticket.fields().get(name) != Some(v) {
                    data.insert((*name).to_string(), v.clone());
                }
            }
            if data.is_empty() {
                continue;
            }
            let mut trial = ticket.clone();
            if engine.apply(&mut trial, &Event::set(data.clone(), at)).is_err() {
                continue;
            }
            let opened = match event {
                None if policy.stage_id(trial.stage()) == Some(to) => Some(Opened::Auto),
                Some(e) if trial.stage() == ticket.stage() => {
                    let target = &policy.stage(to).name;
                    let open = engine.next_actions(&trial, at).is_ok_and(|next| {
                        next.events.iter().any(|a| {
                            a.event == e
                                && a.to.as_ref() == Some(target)
                                && !a.blocked_by.iter().any(|b| b.starts_with("condition"))
                        })
                    });
                    open.then(|| Opened::Event(e.to_string()))
                }
                _ => None,
            };
            if let Some(opened) = opened {
                return Some((data, opened));
            }
        }
    }
    None
}

/// The values tried for a field of type `ty` read by the condition `source`.
fn candidates(ty: &FieldType, source: &str) -> Vec<Value> {
    let literals = lex(source);
    let mut out: Vec<Value> = Vec::new();
    let mut add = |v: Value| {
        if !out.contains(&v) {
            out.push(v);
        }
    };
    match ty {
        FieldType::Enum(values) => values.iter().for_each(|v| add(Value::String(v.clone()))),
        FieldType::Bool => [true, false].into_iter().for_each(|b| add(Value::Bool(b))),
        FieldType::Number | FieldType::Int => {
            add(Value::from(0));
            for t in &literals {
                let Tok::Number(text) = &t.tok else { continue };
                let Ok(n) = text.replace('_', "").parse::<f64>() else { continue };
                for x in [n - 1.0, n, n + 1.0] {
                    if x >= 0.0 && x.fract() == 0.0 && x < 1e15 {
                        add(Value::from(x as i64));
                    } else if x >= 0.0 && matches!(ty, FieldType::Number) {
                        add(Value::from(x));
                    }
                }
            }
        }
        FieldType::String => {
            for t in &literals {
                if let Tok::Str(s) = &t.tok {
                    add(Value::String(s.clone()));
                }
            }
        }
        FieldType::List | FieldType::Map => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_come_from_the_declaration_and_the_condition() {
        let enums = FieldType::Enum(vec!["a".into(), "b".into()]);
        assert_eq!(candidates(&enums, "x == \"a\""), [Value::from("a"), Value::from("b")]);
        assert_eq!(candidates(&FieldType::Bool, "x"), [Value::Bool(true), Value::Bool(false)]);
        let ints: Vec<Value> = [0, 9, 10, 11].into_iter().map(Value::from).collect();
        assert_eq!(candidates(&FieldType::Int, "x > 10"), ints);
        assert_eq!(
            candidates(&FieldType::Number, "x > 0.5"),
            [Value::from(0), Value::from(0.5), Value::from(1.5)]
        );
        assert_eq!(candidates(&FieldType::String, "x == \"north\""), [Value::from("north")]);
        assert!(candidates(&FieldType::List, "x.len() > 1").is_empty());
    }
}
