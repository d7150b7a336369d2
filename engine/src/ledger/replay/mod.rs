//! Replay: run every ticket of a ledger through one policy (or two, side by side) and gather the
//! figures. Tickets are independent, so lines are partitioned by ticket id over worker threads;
//! every figure is a sum or a list merged in ticket order, so the result is the same for any
//! number of threads.

mod driver;
mod figures;
mod worker;

pub use driver::{replay, replay_report};
pub use figures::{PolicyFigures, StageFigures, TicketChange, TicketOutcome, TicketRecord, Visit};

use super::calendars::CalendarUpdates;
use super::reader::{LineError, OnError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How many line errors a result lists (all are counted).
///
/// ```
/// use ombud_engine::ledger::{MAX_LISTED_ERRORS, ReplayOptions, replay};
/// # let engines = [ombud_engine::doc_support::desk()];
/// let garbage = "not json\n".repeat(150);
/// let result = replay(&engines, garbage.as_bytes(), &ReplayOptions::default()).unwrap();
/// assert_eq!(result.skipped, 150);
/// assert_eq!(result.errors.len(), MAX_LISTED_ERRORS);
/// assert_eq!(result.errors.last().unwrap().line, 100);
/// ```
pub const MAX_LISTED_ERRORS: usize = 100;

/// Rejection code for events of a ticket whose opening was refused.
///
/// ```
/// use ombud_engine::ledger::{NOT_OPENED, ReplayOptions, replay};
/// # use ombud_engine::runtime::Engine;
/// # let policy = ombud_engine::doc_support::reference_policy();
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
/// # let engine = ombud_engine::doc_support::desk();
/// let defaults = ReplayOptions::default();
/// assert_eq!((defaults.threads, defaults.on_error), (1, OnError::Skip));
/// let opening = r#"{"ticket":"Q-1","open":{"at":"2026-07-06T09:00:00Z"}}"#;
/// let options = ReplayOptions { keep_tickets: true, ..defaults };
/// let result = replay(&[engine], opening.as_bytes(), &options).unwrap();
/// assert_eq!(result.tickets[0].id, "Q-1");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ReplayOptions<'a> {
    /// Worker threads (1 = everything on the calling thread).
    pub threads: usize,
    /// What a malformed line does.
    pub on_error: OnError,
    /// Keep one [`TicketRecord`] per ticket (under the first policy), for reports.
    pub keep_tickets: bool,
    /// The calendar updates the ledger's `calendar` lines (and openings on an update) may name,
    /// each with every policy of the replay on it, in the order the policies are given. A
    /// calendar line brings the ticket onto the update ([`Engine::recalendar`] from the
    /// calendar it ran on) and it runs on it from then on; one naming an update not given here
    /// (or with none given) is a malformed line. A calendar update reads a clock's pauses from
    /// the ticket's history: engines made [`Engine::without_history`] do not keep it.
    ///
    /// [`Engine::recalendar`]: crate::runtime::Engine::recalendar
    /// [`Engine::without_history`]: crate::runtime::Engine::without_history
    pub calendars: Option<&'a CalendarUpdates>,
}

impl Default for ReplayOptions<'_> {
    fn default() -> Self {
        ReplayOptions { threads: 1, on_error: OnError::Skip, keep_tickets: false, calendars: None }
    }
}

/// Why a replay stopped.
///
/// ```
/// use ombud_engine::ledger::{OnError, ReplayError, ReplayOptions, replay};
/// # let engine = ombud_engine::doc_support::desk();
/// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-07-06T09:00:00Z"}}
/// {"ticket":"T-1"}"#;
/// let strict = ReplayOptions { on_error: OnError::Fail, ..Default::default() };
/// let Err(ReplayError::Malformed(e)) = replay(&[engine], ledger.as_bytes(), &strict) else {
///     panic!("line 2 has neither `open` nor `event`")
/// };
/// let message = "line 2: a ledger line needs exactly one of `open`, `event` and `calendar`";
/// assert_eq!(e.to_string(), message);
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the ledger failed.
    #[error("cannot read the ledger: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed line under `--on-error fail` (the first one in the file).
    #[error("{0}")]
    Malformed(LineError),
    /// A worker thread failed (a defect of the engine, which it reports as a panic): there are no
    /// figures, since they would leave out its tickets.
    #[error("a replay worker failed: {0}")]
    Worker(String),
}

/// Everything a replay found.
///
/// ```
/// # use ombud_engine::{ledger::*, runtime::Engine};
/// # let policy = ombud_engine::doc_support::reference_policy();
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
    /// The most tickets the replay held at once (each worker's most, summed): the tickets still
    /// open, since a finished ticket is folded into the figures and dropped.
    #[serde(skip)]
    pub held_at_most: u64,
}
