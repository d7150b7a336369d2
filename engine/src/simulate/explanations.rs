//! The explanations of a scenario's clocks, built by [`simulate_explained`](super::simulate_explained)
//! while it runs: each clock as it stood right after the call that wrote its row, and each clock
//! the ticket has at `until`.

use crate::runtime::{ClockExplanation, Engine, RowKind, Ticket, TimelineRow};

/// How a scenario's clocks reached their deadlines, as [`simulate_explained`](super::simulate_explained)
/// returns them beside the timeline.
///
/// ```
/// use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate_explained}};
/// let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// let policy = format!("{root}/policies/service-complaints.yaml");
/// let engine = Engine::new(ombud_engine::load_policy_file(policy.as_ref()).unwrap().0.into());
/// let path = format!("{root}/examples/scenarios/spring-festival-major-fee-complaint.yaml");
/// let file = Source::new(&path, std::fs::read_to_string(&path).unwrap());
/// let (timeline, why) = simulate_explained(&engine, &Scenario::parse(&file).unwrap()).unwrap();
/// // `handle` was left on 2 Mar; its explanation is the one of its deadline row.
/// let handle = why.of("handle").unwrap();
/// assert_eq!(handle.deadline.to_rfc3339(), "2026-03-04T00:00:00+08:00");
/// assert!(why.of("archive").is_none());
/// assert!(!why.is_live("handle"));
/// let (row, _) = why.last_row_of("handle").unwrap();
/// assert_eq!(timeline.rows[row].stage.as_deref(), Some("handle"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanations {
    /// The clocks behind the rows that set a deadline (`deadline`, `resumed`, an obligation's
    /// start) and behind breach rows, explained as they stood right after the call that wrote the
    /// row: (row index, explanation). A row whose clock was gone by then (a stage left at once)
    /// has none.
    pub rows: Vec<(usize, ClockExplanation)>,
    /// The clocks the ticket has at `until`, explained.
    pub final_clocks: Vec<ClockExplanation>,
}

impl Explanations {
    /// The explanation of clock `name` (a stage or an obligation): as it stands at `until` if the
    /// ticket still has it, else as it stood after the last row about it that set a deadline or
    /// breached.
    pub fn of(&self, name: &str) -> Option<&ClockExplanation> {
        self.final_clocks
            .iter()
            .find(|c| c.name == name)
            .or_else(|| self.last_row_of(name).map(|(_, c)| c))
    }

    /// Whether the ticket still has clock `name` at `until`.
    pub fn is_live(&self, name: &str) -> bool {
        self.final_clocks.iter().any(|c| c.name == name)
    }

    /// The last row explaining clock `name`: (row index, explanation).
    pub fn last_row_of(&self, name: &str) -> Option<(usize, &ClockExplanation)> {
        self.rows.iter().rev().find(|(_, c)| c.name == name).map(|(i, c)| (*i, c))
    }

    /// The explanation written after row `index`, if any.
    pub fn row(&self, index: usize) -> Option<&ClockExplanation> {
        self.rows.iter().find(|(i, _)| *i == index).map(|(_, c)| c)
    }

    /// Explains the clocks behind `rows[first..]` (rows setting a deadline, breach rows) as they
    /// stand on `ticket` after the call that wrote them.
    pub(super) fn explain_rows(
        &mut self,
        engine: &Engine,
        ticket: &Ticket,
        rows: &[TimelineRow],
        first: usize,
    ) {
        for (i, row) in rows.iter().enumerate().skip(first) {
            let Some(name) = row.stage.as_deref() else { continue };
            if row.due.is_none() && row.kind != RowKind::Breach {
                continue;
            }
            let Ok(Some(why)) = engine.explain(ticket, name) else { continue };
            if row.kind == RowKind::Breach || row.due == Some(why.deadline.to_utc()) {
                self.rows.push((i, why));
            }
        }
    }
}
