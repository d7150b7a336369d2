//! The synthetic ledger generator: realistic tickets for a policy, valid by construction.
//!
//! Each ticket is walked through the policy *by the engine itself*: at every stage the generator
//! asks [`Engine::next_actions`] what is accepted, attaches the artifacts the stage requires,
//! has every joint-group member report, sometimes pauses the clock, discharges obligations, and
//! then takes a transition — usually forward, sometimes back (a disputed result). A stage whose
//! ways forward are all shut by conditions first gets a `set` of values that open one (module
//! `unlock`). Response delays are drawn against the stage's own deadline, so some tickets are
//! late. Only events the engine accepted are written (plus a few deliberately refused ones, as
//! real ledgers have), so a replay closes the tickets the generator closed.

use super::format::{LedgerLine, LedgerOpen};
use super::rng::SplitMix64;
use super::unlock::{Opened, unlock};
use crate::compile::{FieldDef, FieldType};
use crate::runtime::{Engine, Event, Rejection};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

/// What to generate.
///
/// ```
/// use ombud_engine::ledger::{GenerateOptions, generate};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let engine = ombud_engine::runtime::Engine::new(
/// #     ombud_engine::load_policy_file(path.as_ref()).unwrap().0.into());
/// let july = GenerateOptions {
///     tickets: 5,
///     seed: 1,
///     from: "2026-07-01T00:00:00+08:00".parse().unwrap(),
///     to: "2026-07-31T23:59:59+08:00".parse().unwrap(),
/// };
/// let bytes = |o: &GenerateOptions| {
///     let mut ledger = Vec::new();
///     generate(&engine, o, &mut ledger).map(|_| ledger)
/// };
/// assert_eq!(bytes(&july)?, bytes(&july)?);
/// assert_ne!(bytes(&july)?, bytes(&GenerateOptions { seed: 2, ..july.clone() })?);
/// # Ok::<(), ombud_engine::ledger::GenerateError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of tickets.
    pub tickets: u64,
    /// Seed: the same seed (and options and policy) gives the same bytes.
    pub seed: u64,
    /// Openings are spread evenly (with jitter) from here…
    pub from: DateTime<Utc>,
    /// …to here; events after `to` are not written (those tickets stay open).
    pub to: DateTime<Utc>,
}

/// What was written.
///
/// ```
/// use ombud_engine::ledger::{GenerateOptions, GenerateStats, generate};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: open, stages: {open: \
/// #     {owner: agent, due: 1 working day, on: {done: closed}}, closed: {terminal: true}}}";
/// # let (policy, _) = ombud_engine::load_policy("p.yaml", yaml, None).unwrap();
/// let engine = ombud_engine::runtime::Engine::new(std::sync::Arc::new(policy));
/// let (from, to) = ("2026-07-06T00:00:00Z".parse()?, "2026-12-31T00:00:00Z".parse()?);
/// let mut out = Vec::new();
/// let stats = generate(&engine, &GenerateOptions { tickets: 10, seed: 3, from, to }, &mut out)?;
/// // Each ticket: its opening and one `done`, long before `to`.
/// assert_eq!(stats, GenerateStats { lines: 20, closed: 10 });
/// assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 20);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenerateStats {
    /// Lines written.
    pub lines: u64,
    /// Tickets the generator closed.
    pub closed: u64,
}

/// Why no ledger could be written.
///
/// ```
/// use ombud_engine::ledger::GenerateError;
/// // The message names the ticket and the engine's reason (for a field, the field).
/// let err = GenerateError::Opening {
///     ticket: "T-000001".into(),
///     rejection: ombud_engine::runtime::Rejection::MissingField { field: "kind".into() },
/// };
/// assert_eq!(err.to_string(), "the policy refuses the generated opening of ticket \
///     `T-000001`: field `kind` is required");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Writing the ledger failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The engine refused a generated opening: the generator cannot make a ticket this policy
    /// accepts (nothing valid can be generated, so nothing is claimed).
    #[error("the policy refuses the generated opening of ticket `{ticket}`: {rejection}")]
    Opening {
        /// The ticket whose opening was refused.
        ticket: String,
        /// Why (for a field: which one).
        rejection: Rejection,
    },
}

/// Lines waiting to be written, smallest (time, ticket, position) first.
type Pending = BinaryHeap<Reverse<(DateTime<Utc>, u64, u32, String)>>;

/// Departments a ticket may involve (values of a `departments` list field).
const DEPARTMENTS: [&str; 5] = ["finance", "network", "field_service", "customer_care", "metering"];
/// Filler for complaint texts.
const SUBJECTS: [&str; 6] = [
    "at my address",
    "on the last invoice",
    "after the visit on Monday",
    "reported twice already",
    "in the service hall",
    "with the mobile app",
];

/// Writes a synthetic ledger for `engine`'s policy to `out`, lines in time order.
///
/// Every declared field a ticket must give (`required: true`) is filled with a value of its
/// type (an enum: one of its values). If the engine still refuses an opening, generation stops
/// with [`GenerateError::Opening`] (lines of earlier tickets may already be written).
///
/// ```
/// use ombud_engine::ledger::{GenerateOptions, ReplayOptions, generate, replay};
/// # let engine = ombud_engine::doc_support::reference();
/// let from = "2026-07-01T00:00:00+08:00".parse().unwrap();
/// let options = GenerateOptions { tickets: 40, seed: 7, from, to: from + chrono::Days::new(91) };
/// let mut ledger = Vec::new();
/// let stats = generate(&engine, &options, &mut ledger)?;
/// // A replay of the ledger opens every ticket and closes the ones the generator closed.
/// let result = replay(&[engine], ledger.as_slice(), &ReplayOptions::default()).unwrap();
/// assert_eq!((result.lines, result.figures[0].tickets), (stats.lines, 40));
/// assert_eq!(result.figures[0].closed, stats.closed);
/// # Ok::<(), ombud_engine::ledger::GenerateError>(())
/// ```
pub fn generate<W: Write>(
    engine: &Engine,
    options: &GenerateOptions,
    mut out: W,
) -> Result<GenerateStats, GenerateError> {
    let mut rng = SplitMix64::new(options.seed);
    let mut stats = GenerateStats::default();
    let n = options.tickets;
    let span = (options.to - options.from).num_seconds().max(1);
    // About one complainant in six complains more than once.
    let pool = (n * 5 / 6).max(1);
    let width = n.max(1).to_string().len().max(6);
    let mut seen = vec![false; usize::try_from(pool).unwrap_or(0)];
    // Lines waiting to be written, by (time, ticket, position): written once no later ticket
    // can open before them.
    let mut pending: Pending = BinaryHeap::new();
    let mut buf = Vec::with_capacity(256);
    for i in 0..n {
        let offset = ((i as f64 + rng.unit()) / n as f64 * span as f64) as i64;
        let at = round_minute(options.from + Duration::seconds(offset));
        let id = format!("T-{:0width$}", i + 1);
        let who = rng.below(pool);
        let repeat = seen.get(who as usize).copied().unwrap_or(false);
        if let Some(s) = seen.get_mut(who as usize) {
            *s = true;
        }
        let open = LedgerOpen {
            at,
            complainant: Some(format!("C-{:0width$}", who + 1)),
            calendar: None,
            fields: fields(engine, &mut rng, repeat),
        };
        let lines = walk(engine, &mut rng, &id, open, options.to, &mut stats)
            .map_err(|rejection| GenerateError::Opening { ticket: id.clone(), rejection })?;
        for (k, line) in lines.into_iter().enumerate() {
            let Some(t) = line.at() else { continue };
            buf.clear();
            serde_json::to_writer(&mut buf, &line).map_err(std::io::Error::from)?;
            pending.push(Reverse((t, i, k as u32, String::from_utf8_lossy(&buf).into_owned())));
        }
        // Every later ticket opens at or after `at` (offsets grow with i; rounding keeps order).
        while let Some(Reverse((t, _, _, _))) = pending.peek() {
            if *t >= at && i + 1 < n {
                break;
            }
            let Some(Reverse((_, _, _, text))) = pending.pop() else { break };
            writeln!(out, "{text}")?;
            stats.lines += 1;
        }
    }
    while let Some(Reverse((_, _, _, text))) = pending.pop() {
        writeln!(out, "{text}")?;
        stats.lines += 1;
    }
    out.flush()?;
    Ok(stats)
}

fn round_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let s = t.timestamp();
    DateTime::from_timestamp(s - s.rem_euclid(60), 0).unwrap_or(t)
}

/// Opening fields for the policy's declared fields (only those it declares).
fn fields(engine: &Engine, rng: &mut SplitMix64, repeat: bool) -> Map<String, Value> {
    let policy = engine.policy();
    let mut out = Map::new();
    for f in &policy.fields {
        let value = match (f.name.as_str(), &f.ty) {
            ("text", FieldType::String) => Some(Value::String(complaint_text(engine, rng))),
            ("departments", FieldType::List) => {
                let k = match rng.below(100) {
                    0..80 => 1,
                    80..95 => 2,
                    _ => 3,
                };
                let mut ds: Vec<&str> = Vec::new();
                while ds.len() < k {
                    let d = DEPARTMENTS[rng.below(DEPARTMENTS.len() as u64) as usize];
                    if !ds.contains(&d) {
                        ds.push(d);
                    }
                }
                Some(Value::Array(ds.into_iter().map(|d| Value::String(d.into())).collect()))
            }
            ("channel", FieldType::Enum(values)) => {
                // Earlier values (online channels) are more common than referrals.
                let weights: Vec<u64> =
                    (0..values.len()).map(|i| (values.len() - i) as u64 * 2 + 1).collect();
                rng.weighted(&weights).and_then(|i| values.get(i)).map(|v| Value::String(v.clone()))
            }
            ("claim_amount", FieldType::Number | FieldType::Int) => Some(match rng.below(100) {
                0..60 => Value::from(0),
                60..92 => Value::from(rng.range(1, 50) * 100),
                _ => Value::from(rng.range(10, 50) * 1000),
            }),
            ("public_interest", FieldType::Bool) => Some(Value::Bool(rng.chance(0.03))),
            ("threat", FieldType::Bool) => Some(Value::Bool(rng.chance(0.01))),
            ("liability_clear", FieldType::Bool) => Some(Value::Bool(rng.chance(0.12))),
            ("repeat", FieldType::Bool) => Some(Value::Bool(repeat)),
            _ => None,
        };
        // A required field this generator has no realistic value for: any value of its type.
        let value = match value {
            None if f.required => Some(any_value(f, rng)),
            v => v,
        };
        // Defaults are left out, as a host would (and the ledger stays small); a required field
        // is always given.
        if let Some(v) = value.filter(|v| f.required || v != &Value::Bool(false)) {
            out.insert(f.name.clone(), v);
        }
    }
    out
}

/// A value of field `f`'s type: an enum's values equally often, a number or count from 1 to 9,
/// true or false, the field's name numbered (`district 4`), a one-item list, an empty map.
fn any_value(f: &FieldDef, rng: &mut SplitMix64) -> Value {
    match &f.ty {
        FieldType::Enum(values) => values
            .get(rng.below(values.len() as u64) as usize)
            .map_or(Value::Null, |v| Value::String(v.clone())),
        FieldType::Number | FieldType::Int => Value::from(rng.range(1, 9)),
        FieldType::Bool => Value::Bool(rng.chance(0.5)),
        FieldType::String => Value::String(format!("{} {}", f.name, rng.range(1, 9))),
        FieldType::List => {
            Value::Array(vec![Value::String(format!("{}-{}", f.name, rng.range(1, 9)))])
        }
        FieldType::Map => Value::Object(Map::new()),
    }
}

/// A complaint text carrying a keyword of one of the policy's `category` rules (a few carry
/// none and stay unclassified).
fn complaint_text(engine: &Engine, rng: &mut SplitMix64) -> String {
    let subject = SUBJECTS[rng.below(SUBJECTS.len() as u64) as usize];
    let keywords: Vec<&String> = engine
        .policy()
        .derived
        .iter()
        .filter(|d| d.name == "category")
        .flat_map(|d| d.rules.iter())
        .filter(|r| !r.keywords.is_empty())
        .map(|r| {
            // Within a rule, the first keywords are the most common wording.
            let k = r.keywords.len() as u64;
            let pick = rng.below(k).min(rng.below(k));
            r.keywords.get(pick as usize).unwrap_or(&r.keywords[0])
        })
        .collect();
    if keywords.is_empty() || rng.chance(0.05) {
        return format!("general complaint {subject}");
    }
    // Later rules (quality, attitude) are the everyday complaints; safety is rare.
    let weights: Vec<u64> = (0..keywords.len()).map(|i| 1 + 3 * i as u64).collect();
    let k = rng.weighted(&weights).and_then(|i| keywords.get(i)).map_or("", |k| k.as_str());
    format!("{k} {subject}")
}

/// Walks one ticket through the policy; returns its lines (opening first).
fn walk(
    engine: &Engine,
    rng: &mut SplitMix64,
    id: &str,
    open: LedgerOpen,
    until: DateTime<Utc>,
    stats: &mut GenerateStats,
) -> Result<Vec<LedgerLine>, Rejection> {
    let mut lines = Vec::new();
    let (mut ticket, _) = engine.open(&open.to_open_ticket(id))?;
    let mut now = open.at;
    lines.push(LedgerLine::opening(id, open));
    let mut went_back = false;
    let late_ticket = rng.chance(0.12);
    for _ in 0..24 {
        if ticket.is_closed() {
            break;
        }
        // When the stage's work is done: against its deadline, late for some tickets.
        let end = match &ticket.clock {
            Some(c) => {
                let budget = (c.deadline - c.started).num_seconds().max(60);
                let share = if late_ticket && rng.chance(0.5) {
                    1.05 + rng.unit() * 1.2
                } else {
                    0.1 + rng.unit() * 0.75
                };
                c.started + Duration::seconds((budget as f64 * share) as i64)
            }
            None => now + Duration::minutes(rng.range(10, 240)),
        };
        let end = round_minute(end.max(now + Duration::minutes(5)));
        let Ok(next) = engine.next_actions(&ticket, now) else { break };
        let mut steps: Vec<Event> = Vec::new();
        let spread = |k: usize, of: usize| {
            let frac = (k as f64 + 1.0) / (of as f64 + 2.0);
            round_minute(now + Duration::seconds(((end - now).num_seconds() as f64 * frac) as i64))
        };
        // The transition: forward as a rule, back (e.g. a disputed result) now and then.
        // Both the ticket's stage and a transition's `to` are the policy's own stages.
        let stage_index = |name: &str| engine.policy().stage_id(name);
        let here = stage_index(&ticket.stage);
        let open_now: Vec<_> = next
            .events
            .iter()
            .filter(|e| e.to.is_some())
            .filter(|e| !e.blocked_by.iter().any(|b| b.starts_with("condition")))
            .collect();
        let forward: Vec<_> = open_now
            .iter()
            .filter(|e| e.to.as_deref().is_some_and(|t| stage_index(t) > here))
            .collect();
        let back: Vec<_> = open_now
            .iter()
            .filter(|e| e.to.as_deref().is_some_and(|t| stage_index(t) <= here))
            .collect();
        // No way forward while the ticket's values shut it: record the values that open one.
        let unlocked = if forward.is_empty() { unlock(engine, rng, &ticket, now) } else { None };
        let mut work: Vec<Event> = Vec::new();
        for a in &next.missing_artifacts {
            work.push(Event::attach(a.clone(), now));
        }
        for m in &next.pending_members {
            work.push(Event::member_done(m.clone(), now));
        }
        for (name, ob) in &ticket.obligations {
            let Some(def) = engine.policy().obligations.iter().find(|o| o.name == name.as_str())
            else {
                continue;
            };
            if ob.done.is_none() && rng.chance(0.85) {
                work.push(Event::named(def.done_on.clone(), now));
            }
        }
        if let Some((data, _)) = &unlocked {
            work.push(Event::set(data.clone(), now));
        }
        let of = work.len() + 1;
        for (k, mut e) in work.into_iter().enumerate() {
            e.at = spread(k, of);
            steps.push(e);
        }
        // Sometimes the stage waits for the complainant.
        let mut end = end;
        let policy = engine.policy();
        let pausable = |r: &&crate::compile::PauseRule| {
            r.stages.is_empty() || r.stages.iter().any(|&s| policy.stage(s).name == ticket.stage)
        };
        if let (Some(rule), Some(_)) = (policy.pauses.iter().find(pausable), &ticket.clock)
            && rng.chance(0.08)
        {
            let pause_at = spread(of - 1, of);
            let resume_at = round_minute(pause_at + Duration::minutes(rng.range(60, 72 * 60)));
            steps.push(Event::named(rule.on.clone(), pause_at));
            steps.push(Event::named(rule.resume_on.clone(), resume_at));
            end = end.max(resume_at + Duration::minutes(rng.range(5, 120)));
        }
        let chosen = match unlocked {
            Some((_, Opened::Event(event))) => Some(event),
            // The `set` itself moves the ticket on.
            Some((_, Opened::Auto)) => None,
            None => {
                let chosen = if !went_back && !back.is_empty() && rng.chance(0.1) {
                    went_back = true;
                    back.get(rng.below(back.len() as u64) as usize).copied()
                } else {
                    forward
                        .get(rng.below(forward.len() as u64) as usize)
                        .or_else(|| back.first())
                        .copied()
                };
                let Some(chosen) = chosen else { break };
                Some(chosen.event.clone())
            }
        };
        // A stray event the stage does not take (refused on replay), as real ledgers have.
        if rng.chance(0.01)
            && let Some(stray) = engine
                .policy()
                .stages
                .iter()
                .flat_map(|s| s.on.iter())
                .find(|t| !next.events.iter().any(|e| e.event == t.event))
        {
            lines.push(LedgerLine::event(id, &Event::named(stray.event.clone(), now)));
        }
        if let Some(chosen) = chosen {
            steps.push(Event::named(chosen, end));
        }
        for mut e in steps {
            if e.at < now {
                e.at = now;
            }
            if e.at > until {
                return Ok(lines);
            }
            if engine.apply(&mut ticket, &e).is_ok() {
                now = e.at;
                lines.push(LedgerLine::event(id, &e));
            }
        }
    }
    if ticket.is_closed() {
        stats.closed += 1;
    }
    Ok(lines)
}
