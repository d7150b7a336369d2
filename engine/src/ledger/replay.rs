//! Replay: run every ticket of a ledger through one policy (or two, side by side) and gather the
//! figures. Tickets are independent, so lines are partitioned by ticket id over worker threads;
//! every figure is a sum or a list merged in ticket order, so the result is the same for any
//! number of threads.

use super::format::LedgerLine;
use super::reader::{LineError, OnError, RawLines, TextLine, parse_line, ticket_of};
use crate::runtime::{
    Engine, Event, Mark, Outcome, Rejection, RowKind, Text, Ticket, TimelineRow, rejected_row,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// How many line errors a result lists (all are counted).
///
/// ```
/// use ombud_engine::ledger::{MAX_LISTED_ERRORS, ReplayOptions, replay};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: open, stages: {open: \
/// #     {owner: agent, due: 1h, on: {close: closed}}, closed: {terminal: true}}}";
/// # let engines = [ombud_engine::runtime::Engine::new(
/// #     ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0.into())];
/// let garbage = "not json\n".repeat(150);
/// let result = replay(&engines, garbage.as_bytes(), &ReplayOptions::default()).unwrap();
/// assert_eq!(result.skipped, 150);
/// assert_eq!(result.errors.len(), MAX_LISTED_ERRORS);
/// assert_eq!(result.errors.last().unwrap().line, 100);
/// ```
pub const MAX_LISTED_ERRORS: usize = 100;
/// Lines sent to a worker at a time.
const BATCH: usize = 512;
/// Rejection code for events of a ticket whose opening was refused.
///
/// ```
/// use ombud_engine::ledger::{NOT_OPENED, ReplayOptions, replay};
/// # use ombud_engine::runtime::Engine;
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
/// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-07-01T01:00:00Z","fields":{"channel":"fax"}}}
/// {"ticket":"T-1","event":{"at":"2026-07-01T01:30:00Z","event":"registered"}}"#;
/// let engines = [Engine::new(policy.into())];
/// let result = replay(&engines, ledger.as_bytes(), &ReplayOptions::default()).unwrap();
/// let refused = &result.figures[0].rejected_by_code;
/// assert_eq!((refused["not_in_enum"], refused[NOT_OPENED]), (1, 1));
/// ```
pub const NOT_OPENED: &str = "not_opened";

/// How to replay.
///
/// ```
/// use ombud_engine::ledger::{OnError, ReplayOptions, replay};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: new, stages: {new: \
/// #     {owner: agent, due: 8h, on: {closed: done}}, done: {terminal: true}}}";
/// # let engine = ombud_engine::runtime::Engine::new(
/// #     std::sync::Arc::new(ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0));
/// let defaults = ReplayOptions::default();
/// assert_eq!((defaults.threads, defaults.on_error), (1, OnError::Skip));
/// let opening = r#"{"ticket":"Q-1","open":{"at":"2026-07-06T09:00:00Z"}}"#;
/// let options = ReplayOptions { keep_tickets: true, ..defaults };
/// let result = replay(&[engine], opening.as_bytes(), &options).unwrap();
/// assert_eq!(result.tickets[0].id, "Q-1");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Worker threads (1 = everything on the calling thread).
    pub threads: usize,
    /// What a malformed line does.
    pub on_error: OnError,
    /// Keep one [`TicketRecord`] per ticket (under the first policy), for reports.
    pub keep_tickets: bool,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions { threads: 1, on_error: OnError::Skip, keep_tickets: false }
    }
}

/// Why a replay stopped.
///
/// ```
/// use ombud_engine::ledger::{OnError, ReplayError, ReplayOptions, replay};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: a, stages: {a: \
/// #     {owner: agent, due: 1h, on: {next: b}}, b: {terminal: true}}}";
/// # let (policy, _) = ombud_engine::load_policy("p.yaml", yaml, None).unwrap();
/// let engine = ombud_engine::runtime::Engine::new(policy.into());
/// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-07-06T09:00:00Z"}}
/// {"ticket":"T-1"}"#;
/// let strict = ReplayOptions { on_error: OnError::Fail, ..Default::default() };
/// let Err(ReplayError::Malformed(e)) = replay(&[engine], ledger.as_bytes(), &strict) else {
///     panic!("line 2 has neither `open` nor `event`")
/// };
/// assert_eq!(e.to_string(), "line 2: a ledger line needs exactly one of `open` and `event`");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the ledger failed.
    #[error("cannot read the ledger: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed line under `--on-error fail` (the first one in the file).
    #[error("{0}")]
    Malformed(LineError),
}

/// Everything a replay found.
///
/// ```
/// # use ombud_engine::{ledger::*, runtime::Engine};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let text = std::fs::read_to_string(small).unwrap();
/// let result = replay(&[Engine::new(policy.into())], text.as_bytes(), &ReplayOptions::default())?;
/// assert_eq!((result.lines, result.skipped, result.figures.len()), (81, 0, 1));
/// assert_eq!(result.end.unwrap().to_rfc3339(), "2026-07-10T05:30:00+00:00");
/// assert!(result.changes.is_empty() && result.tickets.is_empty());
/// # Ok::<(), ReplayError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReplayResult {
    /// Non-blank lines read.
    pub lines: u64,
    /// Lines skipped as malformed.
    pub skipped: u64,
    /// The first [`MAX_LISTED_ERRORS`] malformed lines, in line order.
    pub errors: Vec<LineError>,
    /// The latest instant in the ledger: open tickets were advanced to it.
    pub end: Option<DateTime<Utc>>,
    /// Figures per policy, in the order the policies were given.
    pub figures: Vec<PolicyFigures>,
    /// With two policies: the tickets whose outcome differs, in ledger order.
    pub changes: Vec<TicketChange>,
    /// With `keep_tickets`: one record per opened ticket under the first policy, in ledger order.
    #[serde(skip)]
    pub tickets: Vec<TicketRecord>,
}

/// What happened under one policy.
///
/// ```
/// use ombud_engine::ledger::{ReplayOptions, replay};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let ledger = std::io::BufReader::new(std::fs::File::open(small).unwrap());
/// let engine = ombud_engine::runtime::Engine::new(std::sync::Arc::new(policy));
/// let mut result = replay(&[engine], ledger, &ReplayOptions::default()).unwrap();
/// let figures = result.figures.remove(0);
/// assert_eq!(figures.policy, "service-complaints@2026.1");
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
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
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
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
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
}

/// What a report needs of one ticket.
///
/// ```
/// # use ombud_engine::ledger::*;
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
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
    pub fields: std::sync::Arc<crate::runtime::Fields>,
    /// The keyword of the `category` rule that classified it (`None`: given, or a rule without
    /// keywords, or no rule).
    pub keyword: Option<String>,
    /// Whether `category` was given on the opening rather than derived.
    pub category_given: bool,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Deadlines missed.
    pub breaches: u32,
    /// Escalations, by the tier escalated to.
    pub escalations: Vec<Text>,
    /// Performance marks.
    pub marks: Vec<Mark>,
    /// Stage visits of non-terminal stages, in order.
    pub visits: Vec<Visit>,
}

/// Replays `input` under `engines` (one, or two to compare).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ombud_engine::ledger::{ReplayOptions, replay};
/// # let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let engine = ombud_engine::runtime::Engine::new(
/// #     ombud_engine::load_policy_file(policy.as_ref()).unwrap().0.into());
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let ledger = std::io::BufReader::new(std::fs::File::open(path)?);
/// let result = replay(&[engine], ledger, &ReplayOptions { threads: 2, ..Default::default() })?;
/// assert_eq!((result.figures[0].tickets, result.figures[0].closed), (11, 8));
/// # Ok(()) }
/// ```
pub fn replay<R: BufRead>(
    engines: &[Engine],
    input: R,
    options: &ReplayOptions,
) -> Result<ReplayResult, ReplayError> {
    let first_error = AtomicU64::new(u64::MAX);
    let threads = options.threads.max(1);
    let mut lines = 0u64;
    let mut io_error = None;
    let mut reader = RawLines::new(input);
    let workers: Vec<Worker<'_>> = if threads == 1 {
        let mut w = Worker::new(engines, options, &first_error);
        while let Some(item) = reader.next_text() {
            match item {
                Err(e) => {
                    io_error = Some(e);
                    break;
                }
                Ok(Err(e)) => {
                    lines += 1;
                    w.error(e);
                }
                Ok(Ok((number, text))) => {
                    lines += 1;
                    if number > first_error.load(Ordering::Relaxed) {
                        break;
                    }
                    w.line(number, text);
                }
            }
        }
        vec![w]
    } else {
        std::thread::scope(|s| {
            let mut senders = Vec::with_capacity(threads);
            let mut handles = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (tx, rx) = mpsc::sync_channel::<Batch>(4);
                senders.push(tx);
                let first_error = &first_error;
                handles.push(s.spawn(move || {
                    let mut w = Worker::new(engines, options, first_error);
                    for batch in rx {
                        batch.run(&mut w);
                    }
                    w
                }));
            }
            let mut batches: Vec<Batch> = (0..threads).map(|_| Batch::new()).collect();
            while let Some(item) = reader.next_text() {
                let item = match item {
                    Err(e) => {
                        io_error = Some(e);
                        break;
                    }
                    Ok(item) => item,
                };
                lines += 1;
                let slot = match &item {
                    Ok((number, text)) => {
                        if *number > first_error.load(Ordering::Relaxed) {
                            break;
                        }
                        ticket_of(text).map_or(0, |t| partition(&t, threads))
                    }
                    Err(_) => 0,
                };
                let Some(batch) = batches.get_mut(slot) else { continue };
                batch.push(item);
                if batch.items.len() >= BATCH {
                    let full = std::mem::replace(batch, Batch::new());
                    if let Some(tx) = senders.get(slot) {
                        let _ = tx.send(full);
                    }
                }
            }
            for (tx, batch) in senders.iter().zip(batches) {
                if !batch.items.is_empty() {
                    let _ = tx.send(batch);
                }
            }
            drop(senders);
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        })
    };
    if let Some(e) = io_error {
        return Err(ReplayError::Io(e));
    }
    let first = first_error.load(Ordering::Relaxed);
    if options.on_error == OnError::Fail && first != u64::MAX {
        let err = workers
            .iter()
            .flat_map(|w| w.errors.iter())
            .find(|e| e.line == first)
            .cloned()
            .unwrap_or(LineError { line: first, message: "malformed line".into() });
        return Err(ReplayError::Malformed(err));
    }
    let end = workers.iter().filter_map(|w| w.last_at).max();
    let outputs: Vec<WorkerOutput> = if workers.len() == 1 {
        workers.into_iter().map(|w| w.finish(end)).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> =
                workers.into_iter().map(|w| s.spawn(move || w.finish(end))).collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        })
    };
    Ok(merge(engines, outputs, lines, end))
}

/// Lines on their way to one worker: their text in one buffer, so that a line costs no
/// allocation of its own (and no free on another thread).
struct Batch {
    text: String,
    items: Vec<BatchItem>,
}

enum BatchItem {
    /// Line `number` is `text[start..end]`.
    Line { number: u64, start: usize, end: usize },
    /// A line that could not be read.
    Error(LineError),
}

impl Batch {
    fn new() -> Self {
        // An event line is about a hundred bytes; an opening's longer lines grow the buffer once.
        Batch { text: String::with_capacity(BATCH * 128), items: Vec::with_capacity(BATCH) }
    }

    fn push(&mut self, item: TextLine<'_>) {
        self.items.push(match item {
            Ok((number, text)) => {
                let start = self.text.len();
                self.text.push_str(text);
                BatchItem::Line { number, start, end: self.text.len() }
            }
            Err(e) => BatchItem::Error(e),
        });
    }

    /// Hands every line, in order, to `worker`.
    fn run(self, worker: &mut Worker<'_>) {
        for item in self.items {
            match item {
                BatchItem::Line { number, start, end } => {
                    worker.line(number, self.text.get(start..end).unwrap_or_default());
                }
                BatchItem::Error(e) => worker.error(e),
            }
        }
    }
}

/// Which worker handles ticket `id` (FNV-1a of the id).
fn partition(id: &str, threads: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % threads as u64) as usize
}

/// Applies `f` to the entry for `key`, created empty when missing; the key is copied only then.
fn update<V: Default>(map: &mut BTreeMap<String, V>, key: &str, f: impl FnOnce(&mut V)) {
    match map.get_mut(key) {
        Some(v) => f(v),
        None => {
            let mut v = V::default();
            f(&mut v);
            map.insert(key.to_string(), v);
        }
    }
}

/// What a finished ticket keeps: bit i is set when policy i opened it (later events are refused
/// as `closed`) and clear when it refused the opening (`not_opened`). One byte per finished
/// ticket, since a ledger accumulates them all.
fn done_codes(live: &Live) -> u8 {
    live.runs
        .iter()
        .take(8)
        .enumerate()
        .fold(0, |m, (i, run)| m | (u8::from(run.ticket.is_some()) << i))
}

/// The code a later event of a finished ticket is refused with under policy `i`.
fn done_code(mask: u8, i: usize) -> &'static str {
    if i < 8 && mask & (1 << i) != 0 { "closed" } else { NOT_OPENED }
}

/// How the ticket maps hash ids: foldhash, seeded per process (so a crafted ledger cannot
/// aim at collisions) and several times faster than the standard SipHash on short ids.
type Ids = foldhash::fast::RandomState;

struct Live {
    line: u64,
    complainant: Option<String>,
    category_given: bool,
    /// One run per policy.
    runs: Vec<PolicyRun>,
    /// Boxed: only `--against` sets it, and a batch holds one `Live` per running ticket.
    first_difference: Option<Box<(Option<TimelineRow>, Option<TimelineRow>)>>,
}

/// One ticket under one policy.
struct PolicyRun {
    ticket: Option<Ticket>,
    rejected: u32,
    escalations: Vec<Text>,
    visits: Vec<Visit>,
    paused_since: Option<DateTime<Utc>>,
    /// Rows of the current line (only kept when comparing).
    call_rows: Vec<TimelineRow>,
}

impl PolicyRun {
    fn is_done(&self) -> bool {
        self.ticket.as_ref().is_none_or(Ticket::is_closed)
    }
}

struct Worker<'e> {
    engines: &'e [Engine],
    options: &'e ReplayOptions,
    first_error: &'e AtomicU64,
    /// Tickets still running under some policy. Kept apart from the finished ones, which
    /// accumulate over a whole ledger, so the lookup every event line makes stays in a small map.
    live: HashMap<Text, Box<Live>, Ids>,
    /// Finished tickets: the code a later event is refused with, per policy.
    done: HashMap<Text, u8, Ids>,
    acc: Vec<Accumulator>,
    records: Vec<TicketRecord>,
    changes: Vec<TicketChange>,
    errors: Vec<LineError>,
    skipped: u64,
    last_at: Option<DateTime<Utc>>,
}

/// Figures being summed (per policy).
#[derive(Default)]
struct Accumulator {
    f: PolicyFigures,
    stages: BTreeMap<String, StageFigures>,
}

struct WorkerOutput {
    acc: Vec<Accumulator>,
    records: Vec<TicketRecord>,
    changes: Vec<TicketChange>,
    errors: Vec<LineError>,
    skipped: u64,
}

impl<'e> Worker<'e> {
    fn new(engines: &'e [Engine], options: &'e ReplayOptions, first_error: &'e AtomicU64) -> Self {
        Worker {
            engines,
            options,
            first_error,
            live: HashMap::default(),
            done: HashMap::default(),
            acc: engines.iter().map(|_| Accumulator::default()).collect(),
            records: Vec::new(),
            changes: Vec::new(),
            errors: Vec::new(),
            skipped: 0,
            last_at: None,
        }
    }

    fn comparing(&self) -> bool {
        self.engines.len() > 1
    }

    fn error(&mut self, e: LineError) {
        self.skipped += 1;
        if self.options.on_error == OnError::Fail {
            self.first_error.fetch_min(e.line, Ordering::Relaxed);
        }
        // Keep the earliest lines: errors arrive in line order within a worker.
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(e);
        }
    }

    fn line(&mut self, number: u64, text: &str) {
        if number > self.first_error.load(Ordering::Relaxed) {
            return;
        }
        match parse_line(number, text) {
            Ok(line) => self.apply_line(number, line),
            Err(e) => self.error(e),
        }
    }

    fn apply_line(&mut self, number: u64, line: LedgerLine) {
        let LedgerLine { ticket: id, open, event } = line;
        if let Some(open) = open {
            if self.live.contains_key(&id) || self.done.contains_key(&id) {
                let message = format!("ticket `{id}` is opened a second time");
                return self.error(LineError { line: number, message });
            }
            self.note_time(open.at);
            let complainant = open.complainant().map(str::to_string);
            let category_given = open.fields.get("category").is_some_and(|v| !v.is_null());
            let input = open.into_open_ticket(&id);
            let engines = self.engines;
            let runs =
                engines.iter().enumerate().map(|(i, e)| self.open_run(i, e, &input)).collect();
            let mut live = Box::new(Live {
                line: number,
                complainant,
                category_given,
                runs,
                first_difference: None,
            });
            self.compare_call(&mut live, number);
            self.settle(id, live);
        } else if let Some(event) = event {
            self.note_time(event.at);
            // One lookup per event line: the map is taken out while the ticket is worked on.
            let mut live_map = std::mem::take(&mut self.live);
            if let Some(live) = live_map.get_mut(&id) {
                self.apply_event(live, &event);
                self.compare_call(live, number);
                if live.runs.iter().all(PolicyRun::is_done)
                    && let Some((id, live)) = live_map.remove_entry(&id)
                {
                    let codes = done_codes(&live);
                    self.finish_ticket(&id, *live);
                    self.done.insert(id, codes);
                }
            } else if let Some(&mask) = self.done.get(&id) {
                for (i, code) in (0..self.engines.len()).map(|i| (i, done_code(mask, i))) {
                    if let Some(acc) = self.acc.get_mut(i) {
                        acc.f.rejected += 1;
                        *acc.f.rejected_by_code.entry(code.to_string()).or_default() += 1;
                    }
                }
            } else {
                let message = format!("event for ticket `{id}` before its `open` line");
                self.error(LineError { line: number, message });
            }
            self.live = live_map;
        }
    }

    fn note_time(&mut self, at: DateTime<Utc>) {
        if self.last_at.is_none_or(|l| at > l) {
            self.last_at = Some(at);
        }
    }

    fn reject(&mut self, policy: usize, run: &mut PolicyRun, code: &str) {
        run.rejected += 1;
        if let Some(acc) = self.acc.get_mut(policy) {
            acc.f.rejected += 1;
            *acc.f.rejected_by_code.entry(code.to_string()).or_default() += 1;
        }
    }

    /// Opens the ticket under policy `i`, counting what the opening produced.
    fn open_run(
        &mut self,
        i: usize,
        engine: &Engine,
        input: &crate::runtime::OpenTicket,
    ) -> PolicyRun {
        let comparing = self.comparing();
        let mut run = PolicyRun {
            ticket: None,
            rejected: 0,
            escalations: Vec::new(),
            visits: Vec::new(),
            paused_since: None,
            call_rows: Vec::new(),
        };
        match engine.open(input) {
            Ok((ticket, outcome)) => {
                run.ticket = Some(ticket);
                let mut acc = self.acc.get_mut(i);
                if let Some(acc) = acc.as_deref_mut() {
                    acc.f.applied += 1;
                }
                observe(engine, &mut run, acc, outcome, comparing);
            }
            Err(err) => {
                self.reject(i, &mut run, err.code());
                if comparing {
                    run.call_rows.push(refused_row(input.at, "open", &err));
                }
            }
        }
        run
    }

    fn apply_event(&mut self, live: &mut Live, event: &Event) {
        let comparing = self.comparing();
        let engines = self.engines;
        for (i, engine) in engines.iter().enumerate() {
            let Some(run) = live.runs.get_mut(i) else { continue };
            let Some(ticket) = run.ticket.as_mut() else {
                let err =
                    Rejection::BadEvent { message: "the ticket's opening was refused".into() };
                if comparing {
                    run.call_rows.push(refused_row(event.at, &event.event, &err));
                }
                run.rejected += 1;
                if let Some(acc) = self.acc.get_mut(i) {
                    acc.f.rejected += 1;
                    *acc.f.rejected_by_code.entry(NOT_OPENED.to_string()).or_default() += 1;
                }
                continue;
            };
            match engine.apply(ticket, event) {
                Ok(outcome) => {
                    let mut acc = self.acc.get_mut(i);
                    if let Some(acc) = acc.as_deref_mut() {
                        acc.f.applied += 1;
                    }
                    observe(engine, run, acc, outcome, comparing);
                }
                Err(err) => {
                    if comparing {
                        run.call_rows.push(rejected_row(ticket, event, &err));
                    }
                    run.rejected += 1;
                    if let Some(acc) = self.acc.get_mut(i) {
                        acc.f.rejected += 1;
                        *acc.f.rejected_by_code.entry(err.code().to_string()).or_default() += 1;
                    }
                }
            }
        }
    }

    /// With two policies: compares the rows the last line produced, remembering the first
    /// difference.
    fn compare_call(&self, live: &mut Live, _line: u64) {
        if !self.comparing() {
            return;
        }
        let (a, b) = match &mut live.runs[..] {
            [a, b, ..] => (a, b),
            _ => return,
        };
        if live.first_difference.is_none() {
            let n = a.call_rows.len().max(b.call_rows.len());
            for k in 0..n {
                let (ra, rb) = (a.call_rows.get(k), b.call_rows.get(k));
                if ra != rb {
                    live.first_difference = Some(Box::new((ra.cloned(), rb.cloned())));
                    break;
                }
            }
        }
        a.call_rows.clear();
        b.call_rows.clear();
    }

    /// Puts the ticket back, or finishes it when it is done under every policy.
    fn settle(&mut self, id: Text, live: Box<Live>) {
        if live.runs.iter().all(PolicyRun::is_done) {
            let codes = done_codes(&live);
            self.finish_ticket(&id, *live);
            self.done.insert(id, codes);
        } else {
            self.live.insert(id, live);
        }
    }

    fn finish_ticket(&mut self, id: &str, mut live: Live) {
        for (i, run) in live.runs.iter_mut().enumerate() {
            let Some(acc) = self.acc.get_mut(i) else { continue };
            let Some(ticket) = run.ticket.as_ref() else { continue };
            // A visit still running at the end: close the books on it as it stands.
            acc.f.tickets += 1;
            if ticket.is_closed() {
                acc.f.closed += 1;
            }
            for m in &ticket.marks {
                update(&mut acc.f.marks, &m.tier, |by_mark| update(by_mark, &m.mark, |n| *n += 1));
            }
            for v in run.visits.iter().filter(|v| v.deadline) {
                update(&mut acc.stages, &v.stage, |s| {
                    s.visits += 1;
                    if v.breached {
                        s.late += 1;
                    } else if v.left.is_some() {
                        s.on_time += 1;
                    } else {
                        s.running += 1;
                    }
                });
            }
        }
        if self.comparing()
            && let [a, b, ..] = &live.runs[..]
        {
            let (before, after) = (outcome_of(a), outcome_of(b));
            if before != after {
                self.changes.push(TicketChange {
                    ticket: id.to_string(),
                    line: live.line,
                    before,
                    after,
                    first_difference: live.first_difference.take().map(|b| *b),
                });
            }
        }
        if self.options.keep_tickets
            && let Some(run) = live.runs.first_mut()
            && let Some(ticket) = run.ticket.take()
            && let Some(engine) = self.engines.first()
        {
            let keyword = engine
                .matching_rule("category", &ticket.fields, live.category_given)
                .and_then(|(_, k)| k);
            self.records.push(TicketRecord {
                id: id.to_string(),
                line: live.line,
                opened_at: ticket.opened_at,
                complainant: live.complainant.take(),
                keyword,
                category_given: live.category_given,
                closed_at: ticket.closed_at,
                breaches: ticket.stats.breaches,
                escalations: std::mem::take(&mut run.escalations),
                marks: ticket.marks,
                visits: std::mem::take(&mut run.visits),
                fields: ticket.fields,
            });
        }
    }

    /// Advances every open ticket to `end` and hands over what was gathered.
    fn finish(mut self, end: Option<DateTime<Utc>>) -> WorkerOutput {
        let comparing = self.comparing();
        let mut live: Vec<(Text, Box<Live>)> = self.live.drain().collect();
        live.sort_by_key(|(_, l)| l.line);
        for (id, mut l) in live {
            if let Some(end) = end {
                let runs = self.engines.iter().zip(l.runs.iter_mut()).zip(self.acc.iter_mut());
                for ((engine, run), acc) in runs {
                    let Some(ticket) = run.ticket.as_mut() else { continue };
                    if let Ok(outcome) = engine.advance(ticket, end) {
                        observe(engine, run, Some(acc), outcome, comparing);
                    }
                }
                self.compare_call(&mut l, 0);
            }
            self.finish_ticket(&id, *l);
        }
        WorkerOutput {
            acc: self.acc,
            records: self.records,
            changes: self.changes,
            errors: self.errors,
            skipped: self.skipped,
        }
    }
}

/// A `rejected` row for an input refused before any ticket existed.
fn refused_row(at: DateTime<Utc>, what: &str, err: &Rejection) -> TimelineRow {
    TimelineRow {
        at,
        kind: RowKind::Rejected,
        stage: None,
        tier: None,
        detail: compact_str::format_compact!("{what} [{}]: {err}", err.code()),
        due: None,
        provisional: false,
    }
}

fn outcome_of(run: &PolicyRun) -> TicketOutcome {
    match &run.ticket {
        None => TicketOutcome { rejected: run.rejected, ..TicketOutcome::default() },
        Some(t) => TicketOutcome {
            stage: t.stage.to_string(),
            closed: t.is_closed(),
            breaches: t.stats.breaches,
            escalations: t.stats.escalations,
            marks: t.marks.len() as u32,
            rejected: run.rejected,
        },
    }
}

/// Follows the rows of one call: stage visits, pauses, breaches, escalations.
fn observe(
    engine: &Engine,
    run: &mut PolicyRun,
    acc: Option<&mut Accumulator>,
    outcome: Outcome,
    keep_rows: bool,
) {
    let policy = engine.policy();
    if let Some(acc) = acc {
        for row in &outcome.rows {
            let tier = || row.tier.as_deref().unwrap_or_default().to_string();
            match row.kind {
                RowKind::Breach => {
                    acc.f.breaches += 1;
                    let stage = row.stage.as_deref().unwrap_or_default().to_string();
                    *acc.f
                        .breaches_by_stage
                        .entry(stage)
                        .or_default()
                        .entry(tier())
                        .or_default() += 1;
                }
                RowKind::Escalate => {
                    acc.f.escalations += 1;
                    *acc.f.escalations_to.entry(tier()).or_default() += 1;
                }
                RowKind::Flag => acc.f.flags += 1,
                _ => {}
            }
        }
    }
    for row in &outcome.rows {
        match row.kind {
            RowKind::Entered => {
                if let Some(v) = run.visits.last_mut().filter(|v| v.left.is_none()) {
                    v.left = Some(row.at);
                    if let Some(since) = run.paused_since.take() {
                        v.paused_working += policy.calendar.working_clock(row.at)
                            - policy.calendar.working_clock(since);
                    }
                }
                let stage = row.stage.clone().unwrap_or_default();
                let terminal = policy
                    .stage_id(&stage)
                    .and_then(|s| policy.stages.get(s))
                    .is_some_and(|s| s.terminal);
                if !terminal {
                    run.visits.push(Visit {
                        stage,
                        entered: row.at,
                        left: None,
                        deadline: false,
                        breached: false,
                        paused_working: 0,
                    });
                }
            }
            RowKind::Deadline => {
                if let Some(v) = current_visit(run, row) {
                    v.deadline = true;
                }
            }
            RowKind::Breach => {
                if let Some(v) = current_visit(run, row) {
                    v.breached = true;
                }
            }
            RowKind::Paused => run.paused_since = Some(row.at),
            RowKind::Resumed => {
                if let (Some(since), Some(v)) = (run.paused_since.take(), run.visits.last_mut()) {
                    v.paused_working += policy.calendar.working_clock(row.at)
                        - policy.calendar.working_clock(since);
                }
            }
            RowKind::Escalate => {
                run.escalations.push(row.tier.clone().unwrap_or_default());
            }
            _ => {}
        }
    }
    if keep_rows {
        run.call_rows.extend(outcome.rows);
    }
}

fn current_visit<'a>(run: &'a mut PolicyRun, row: &TimelineRow) -> Option<&'a mut Visit> {
    run.visits
        .last_mut()
        .filter(|v| v.left.is_none() && row.stage.as_deref() == Some(v.stage.as_str()))
}

fn merge(
    engines: &[Engine],
    outputs: Vec<WorkerOutput>,
    lines: u64,
    end: Option<DateTime<Utc>>,
) -> ReplayResult {
    let mut result = ReplayResult { lines, end, ..ReplayResult::default() };
    let mut accs: Vec<Accumulator> = engines.iter().map(|_| Accumulator::default()).collect();
    for out in outputs {
        result.skipped += out.skipped;
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
    fn add(&mut self, other: Accumulator) {
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

fn add_map(into: &mut BTreeMap<String, u64>, from: BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k).or_default() += v;
    }
}
