//! The complaint ledger: a JSON Lines record of openings, events and calendar updates of many
//! tickets, and what is done with it — streaming reading, replay under a policy (and comparison
//! with another), report figures, synthetic generation, audit-chain verification and signed store
//! manifests.
//!
//! The format and every figure are defined in `docs/ledger.md`.

mod audit;
mod calendars;
mod format;
mod generate;
mod manifest;
mod reader;
mod replay;
mod report;
mod rng;
mod store;
mod tally;
mod unlock;

pub use audit::{
    ChainBreak, LedgerChain, LedgerMismatch, TicketLines, TicketVerdict, compare_with_ledger,
    ledger_chains, ledger_tickets, ledger_tickets_each, verify_ticket,
};
pub use calendars::CalendarUpdates;
pub use format::{
    LedgerCalendar, LedgerLine, LedgerOpen, calendar_line, event_line, opening_line,
    opening_line_on,
};
pub use generate::{GenerateError, GenerateOptions, GenerateStats, generate};
pub use manifest::{Manifest, ManifestEntry, SignatureCheck};
pub use reader::{LineError, OnError, RawLine, RawLines};
pub use replay::{
    MAX_LISTED_ERRORS, NOT_OPENED, PolicyFigures, ReplayError, ReplayOptions, ReplayResult,
    StageFigures, TicketChange, TicketOutcome, TicketRecord, Visit, replay, replay_report,
};
pub use report::{
    Bucket, CALLBACK_PERCENT, Callback, Count, Period, Problem, Repeats, Report, ReportOptions,
    StageReport, Stratum, build_report,
};
pub use store::{ManifestSummary, StoreFinding, StoreReport, StoreVerifier, StoredVerdict};
