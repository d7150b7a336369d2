//! What-if simulation: scenario files → timelines; expectations; comparison of two timelines.
//!
//! A scenario opens one ticket, applies a list of events at absolute or relative times, runs
//! the clock to `until` and records every timeline row. Hosts and the CLI share this module:
//! `ombud simulate` renders a [`Timeline`] (with `--explain`, [`simulate_explained`]'s
//! [`Explanations`] too), `ombud test` checks [`Expect`] blocks and
//! `ombud diff` prints [`compare`]'s result.
//!
//! ```
//! use ombud_engine::check::Source;
//! use ombud_engine::runtime::Engine;
//! use ombud_engine::simulate::{Scenario, simulate};
//! # let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
//! # let path = format!("{root}/policies/service-complaints.yaml");
//! # let policy = std::sync::Arc::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0);
//! let name = "spring-festival-major-fee-complaint.yaml";
//! let text = std::fs::read_to_string(format!("{root}/examples/scenarios/{name}")).unwrap();
//! let scenario = Scenario::parse(&Source::new(name, text)).unwrap();
//! let timeline = simulate(&Engine::new(policy), &scenario).unwrap();
//! let failures = scenario.expect.map(|e| e.check(&timeline)).unwrap_or_default();
//! assert_eq!(failures, []); // every line of the file's `expect:` block holds
//! ```

mod compare;
mod expect;
mod explanations;
mod run;
mod scenario;
pub(crate) mod schema;
mod validate;

pub use compare::{RowChange, TimelineDiff, compare};
pub use expect::{Expect, ExpectValue, Failure, RejectedSpec};
pub use explanations::Explanations;
pub use run::{
    ClockRow, ConditionFailure, ConditionFailureView, FinalState, FinalView, NextView,
    RejectedEvent, RowView, Timeline, TimelineView, simulate, simulate_explained,
};
pub use scenario::{Located, Scenario, ScenarioEvent, ScenarioTicket, TimeSpec, TimeSpecError};
pub use schema::{scenario_json_schema, scenario_json_schema_text};
