//! What-if simulation: scenario files → timelines; expectations; comparison of two timelines.
//!
//! A scenario opens one ticket, applies a list of events at absolute or relative times, runs
//! the clock to `until` and records every timeline row. Hosts and the CLI share this module:
//! `ombud simulate` renders a [`Timeline`], `ombud test` checks [`Expect`] blocks and
//! `ombud diff` prints [`compare`]'s result.
//!
//! ```no_run
//! # fn demo(policy: std::sync::Arc<ombud_engine::compile::CompiledPolicy>) -> Result<(), Box<dyn std::error::Error>> {
//! use ombud_engine::check::Source;
//! use ombud_engine::runtime::Engine;
//! use ombud_engine::simulate::{Scenario, simulate};
//! let text = std::fs::read_to_string("examples/scenarios/spring-festival-major-fee-complaint.yaml")?;
//! let scenario = Scenario::parse(&Source::new("spring-festival-major-fee-complaint.yaml", text))
//!     .map_err(|d| format!("{} problems", d.len()))?;
//! let timeline = simulate(&Engine::new(policy), &scenario)?;
//! for failure in scenario.expect.map(|e| e.check(&timeline)).unwrap_or_default() {
//!     println!("{}: expected {}, got {}", failure.key, failure.expected, failure.actual);
//! }
//! # Ok(()) }
//! ```

mod compare;
mod expect;
mod run;
mod scenario;

pub use compare::{RowChange, TimelineDiff, compare};
pub use expect::{Expect, ExpectValue, Failure, RejectedSpec};
pub use run::{
    ClockRow, FinalState, FinalView, NextView, RejectedEvent, RowView, Timeline, TimelineView,
    simulate,
};
pub use scenario::{
    EXPECT_KEYS, Located, Scenario, ScenarioEvent, ScenarioTicket, TimeSpec, TimeSpecError,
};
