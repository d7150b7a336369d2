//! The figures a replay gathers, per policy and per ticket, and how the workers' sums merge.

use super::worker::WorkerOutput;
use super::{MAX_LISTED_ERRORS, ReplayResult};
use crate::runtime::{Engine, Mark, Text, TimelineRow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// What happened under one policy.
///
/// ```
/// use ombud_engine::ledger::{ReplayOptions, replay};
/// # let policy = ombud_engine::doc_support::reference_policy();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let ledger = std::io::BufReader::new(std::fs::File::open(small).unwrap());
/// let engine = ombud_engine::runtime::Engine::new(std::sync::Arc::new(policy));
/// let mut result = replay(&[engine], ledger, &ReplayOptions::default()).unwrap();
/// let figures = result.figures.remove(0);
/// assert_eq!(figures.policy, "service-complaints@2026.2");
/// assert_eq!((figures.tickets, figures.closed, figures.rejected), (11, 8, 1));
/// assert_eq!(figures.rejected_by_code["not_accepted"], 1);
/// assert_eq!(figures.breaches_by_stage["verify"]["frontline"], 2);
/// assert_eq!(figures.marks["service_center"]["performance"], 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PolicyFigures {
    /// `id@version`.
    pub policy: String,
    /// Tickets opened (openings the policy accepted).
    pub tickets: u64,
    /// Tickets that reached a terminal stage.
    pub closed: u64,
    /// Lines applied: accepted openings and events.
    pub applied: u64,
    /// Openings and events refused.
    pub rejected: u64,
    /// Refusals by code (`not_accepted`, `missing_artifacts`, …, `not_opened`).
    pub rejected_by_code: BTreeMap<String, u64>,
    /// Deadlines missed (stage visits and obligations).
    pub breaches: u64,
    /// Breaches by stage (or obligation), then by the tier responsible at the time.
    pub breaches_by_stage: BTreeMap<String, BTreeMap<String, u64>>,
    /// Escalation steps fired.
    pub escalations: u64,
    /// Escalations by the tier the ticket was escalated to.
    pub escalations_to: BTreeMap<String, u64>,
    /// Red flags raised.
    pub flags: u64,
    /// Performance marks by tier, then by mark.
    pub marks: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per stage with a time limit, in policy order.
    pub stages: Vec<StageFigures>,
}

/// On-time figures of one stage.
///
/// ```
/// # use ombud_engine::ledger::{ReplayOptions, replay};
/// # let policy = ombud_engine::doc_support::reference_policy();
/// # let engines = vec![ombud_engine::runtime::Engine::new(policy.into())];
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let ledger = std::fs::read(small).unwrap();
/// let result = replay(&engines, &ledger[..], &ReplayOptions::default()).unwrap();
/// let verify = result.figures[0].stages.iter().find(|s| s.stage == "verify").unwrap();
/// // T-05 and T-09 were left past their deadline; T-10 is still within it.
/// assert_eq!((verify.visits, verify.on_time, verify.late, verify.running), (11, 8, 2, 1));
/// assert_eq!(verify.on_time_rate, Some(0.8));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StageFigures {
    /// Stage name.
    pub stage: String,
    /// Visits that had a deadline.
    pub visits: u64,
    /// Visits left before their deadline.
    pub on_time: u64,
    /// Visits that breached (left late or still open past the deadline).
    pub late: u64,
    /// Visits still running before their deadline when the ledger ended.
    pub running: u64,
    /// `on_time / (on_time + late)`; `None` when no visit is decided.
    pub on_time_rate: Option<f64>,
}

impl StageFigures {
    /// `on_time / (on_time + late)`; `None` when no visit is decided yet.
    ///
    /// ```
    /// use ombud_engine::ledger::StageFigures;
    /// let handle = StageFigures { on_time: 3, late: 1, running: 1, ..Default::default() };
    /// assert_eq!(handle.on_time_rate(), Some(0.75));
    /// assert_eq!(StageFigures { running: 2, ..Default::default() }.on_time_rate(), None);
    /// ```
    pub fn on_time_rate(&self) -> Option<f64> {
        let decided = self.on_time + self.late;
        (decided > 0).then(|| self.on_time as f64 / decided as f64)
    }
}

/// A ticket's end state under one policy, as compared by `--against`.
///
/// ```
/// use ombud_engine::ledger::{ReplayOptions, TicketOutcome, replay};
/// use ombud_engine::runtime::Engine;
/// let policy = |due: &str| {
///     let yaml = format!("{{policy: p, calendar: weekdays, tiers: [agent], start: open, \
///         stages: {{open: {{owner: agent, due: {due}, on: {{done: closed}}}}, \
///         closed: {{terminal: true}}}}}}");
///     Engine::new(ombud_engine::load_policy("p.yaml", &yaml, None).unwrap().0.into())
/// };
/// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-07-06T09:00:00Z"}}
/// {"ticket":"T-1","event":{"at":"2026-07-06T09:45:00Z","event":"done"}}"#;
/// let engines = [policy("1h"), policy("30m")];
/// let result = replay(&engines, ledger.as_bytes(), &ReplayOptions::default()).unwrap();
/// let change = &result.changes[0]; // 45 minutes: late only under the 30-minute limit
/// let closed = TicketOutcome { stage: "closed".into(), closed: true, ..Default::default() };
/// assert_eq!(change.before, closed);
/// assert_eq!(change.after, TicketOutcome { breaches: 1, ..closed });
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TicketOutcome {
    /// Final stage (empty when the opening was refused).
    pub stage: String,
    /// Whether it closed.
    pub closed: bool,
    /// Deadlines missed.
    pub breaches: u32,
    /// Escalations.
    pub escalations: u32,
    /// Performance marks.
    pub marks: u32,
    /// Refused lines.
    pub rejected: u32,
}

/// A ticket whose outcome differs between the two policies.
///
/// ```
/// use ombud_engine::{ledger::{ReplayOptions, replay}, runtime::Engine};
/// let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// let engine = |file: &str| {
///     let path = format!("{root}/{file}");
///     Engine::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0.into())
/// };
/// let engines = [
///     engine("policies/service-complaints.yaml"),
///     engine("tests/fixtures/ledger/short-handling.yaml"), // handling: 1 working day, not 3
/// ];
/// let ledger = std::fs::read(format!("{root}/tests/fixtures/ledger/small.jsonl")).unwrap();
/// let result = replay(&engines, ledger.as_slice(), &ReplayOptions::default()).unwrap();
/// let t08 = &result.changes[1];
/// assert_eq!((t08.ticket.as_str(), t08.line), ("T-08", 57));
/// assert_eq!((t08.before.breaches, t08.after.breaches), (0, 1));
/// let (before, after) = t08.first_difference.clone().unwrap();
/// assert_eq!(before.unwrap().detail, "3 working days → due Mon 13 Jul 2026 24:00");
/// assert_eq!(after.unwrap().detail, "1 working day → due Thu 9 Jul 2026 24:00");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketChange {
    /// Ticket id.
    pub ticket: String,
    /// Line of its opening.
    pub line: u64,
    /// Under the first policy.
    pub before: TicketOutcome,
    /// Under the second policy.
    pub after: TicketOutcome,
    /// The first timeline row that differs: under the first policy, under the second (`None`
    /// where that timeline has no row at that position).
    pub first_difference: Option<(Option<TimelineRow>, Option<TimelineRow>)>,
}

/// One visit of a stage, reconstructed from the timeline (`entered`, `deadline`, `breach`,
/// `paused`/`resumed` rows).
///
/// ```
/// use ombud_engine::ledger::{ReplayOptions, replay};
/// # let policy = ombud_engine::doc_support::reference_policy();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let ledger = std::fs::read_to_string(small).unwrap();
/// let records = replay(
///     &[ombud_engine::runtime::Engine::new(policy.into())],
///     ledger.as_bytes(),
///     &ReplayOptions { keep_tickets: true, ..Default::default() },
/// ).unwrap().tickets;
/// let t06 = records.iter().find(|t| t.id == "T-06").unwrap();
/// let handle = &t06.visits[2];
/// assert_eq!((handle.stage.as_str(), handle.deadline, handle.breached), ("handle", true, false));
/// // Waiting for the complainant for one working day (24 working hours on `cn-mainland`).
/// assert_eq!(handle.paused_working, 24 * 3600);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Visit {
    /// Stage name.
    pub stage: Text,
    /// When it was entered.
    pub entered: DateTime<Utc>,
    /// When it was left (`None`: still there at the end of the ledger).
    pub left: Option<DateTime<Utc>>,
    /// Whether the visit had a time limit.
    pub deadline: bool,
    /// Whether the deadline was missed.
    pub breached: bool,
    /// Working seconds the clock was paused during the visit.
    pub paused_working: i64,
    /// Working seconds of the visit less its pauses, counted on the calendar the ticket is on at
    /// the end (a calendar update it was brought onto, else the policy's); `None` while it is
    /// still there.
    pub working: Option<i64>,
}

/// What a report needs of one ticket.
///
/// ```
/// # use ombud_engine::ledger::*;
/// # let policy = ombud_engine::doc_support::reference_policy();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let file = std::fs::File::open(small).unwrap();
/// let engine = ombud_engine::runtime::Engine::new(policy.into());
/// let options = ReplayOptions { keep_tickets: true, threads: 2, ..Default::default() };
/// let result = replay(&[engine], std::io::BufReader::new(file), &options).unwrap();
/// let t05 = &result.tickets[5];
/// assert_eq!((t05.id.as_str(), t05.complainant.as_deref()), ("T-05", Some("C-1")));
/// assert_eq!(t05.keyword.as_deref(), Some("double billing")); // → category `fees`
/// assert_eq!(t05.fields.get("category").unwrap(), "fees");
/// assert_eq!((t05.closed_at, t05.breaches), (None, 1));
/// assert_eq!(t05.escalations, ["supervisor", "management"]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TicketRecord {
    /// Ticket id.
    pub id: String,
    /// Line of its opening (the ledger order).
    pub line: u64,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Who complained.
    pub complainant: Option<String>,
    /// Final fields (given, defaulted, derived).
    pub fields: crate::runtime::FieldMap,
    /// The keyword of the `category` rule that classified it (`None`: given, or a rule without
    /// keywords, or no rule).
    pub keyword: Option<String>,
    /// Whether `category` was given on the opening rather than derived.
    pub category_given: bool,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Working seconds from opening to closing less the pauses, on the calendar the ticket is on
    /// at the end (as [`Visit::working`]); `None` while it is open.
    pub working: Option<i64>,
    /// Deadlines missed.
    pub breaches: u32,
    /// Escalations, by the tier escalated to.
    pub escalations: Vec<Text>,
    /// Performance marks.
    pub marks: Vec<Mark>,
    /// Stage visits of non-terminal stages, in order.
    pub visits: Vec<Visit>,
}

/// Figures being summed (per policy).
#[derive(Default)]
pub(super) struct Accumulator {
    pub(super) f: PolicyFigures,
    pub(super) stages: BTreeMap<String, StageFigures>,
}

pub(super) fn merge(
    engines: &[Engine],
    outputs: Vec<WorkerOutput<'_>>,
    lines: u64,
    end: Option<DateTime<Utc>>,
) -> ReplayResult {
    let mut result = ReplayResult { lines, end, ..ReplayResult::default() };
    let mut accs: Vec<Accumulator> = engines.iter().map(|_| Accumulator::default()).collect();
    for out in outputs {
        result.skipped += out.skipped;
        result.held_at_most += out.held_most as u64;
        result.errors.extend(out.errors);
        result.changes.extend(out.changes);
        result.tickets.extend(out.records);
        for (into, from) in accs.iter_mut().zip(out.acc) {
            into.add(from);
        }
    }
    result.errors.sort_by_key(|e| e.line);
    result.errors.truncate(MAX_LISTED_ERRORS);
    result.changes.sort_by_key(|c| c.line);
    result.tickets.sort_by_key(|t| t.line);
    for (engine, acc) in engines.iter().zip(accs) {
        let p = engine.policy();
        let mut f = acc.f;
        f.policy = format!("{}@{}", p.id, p.version);
        let mut stages = acc.stages;
        f.stages = p
            .stages
            .iter()
            .filter(|s| !s.terminal && !s.due.is_empty())
            .map(|s| {
                let mut fig = stages.remove(&s.name).unwrap_or_default();
                fig.stage = s.name.clone();
                fig.on_time_rate = fig.on_time_rate();
                fig
            })
            .collect();
        result.figures.push(f);
    }
    result
}

impl Accumulator {
    pub(super) fn add(&mut self, other: Accumulator) {
        let (a, b) = (&mut self.f, other.f);
        a.tickets += b.tickets;
        a.closed += b.closed;
        a.applied += b.applied;
        a.rejected += b.rejected;
        add_map(&mut a.rejected_by_code, b.rejected_by_code);
        a.breaches += b.breaches;
        for (k, v) in b.breaches_by_stage {
            add_map(a.breaches_by_stage.entry(k).or_default(), v);
        }
        a.escalations += b.escalations;
        add_map(&mut a.escalations_to, b.escalations_to);
        a.flags += b.flags;
        for (k, v) in b.marks {
            add_map(a.marks.entry(k).or_default(), v);
        }
        for (k, v) in other.stages {
            let s = self.stages.entry(k).or_default();
            s.visits += v.visits;
            s.on_time += v.on_time;
            s.late += v.late;
            s.running += v.running;
        }
    }
}

pub(super) fn add_map(into: &mut BTreeMap<String, u64>, from: BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k).or_default() += v;
    }
}
