//! # ombud-engine
//!
//! The embeddable core of Ombud, a workflow-rules engine for complaint handling: the policy
//! language ([`policy`]), its checks and diagnostics ([`check`]), the rhai sandbox ([`expr`]),
//! compilation into a validated state machine ([`compile`]), working-day calendars
//! ([`calendar`]), the ticket runtime ([`runtime`]) and what-if simulation ([`simulate`]).

pub mod calendar;
pub mod check;
pub mod compile;
pub mod expr;
pub mod ledger;
pub mod policy;
pub mod runtime;
pub mod simulate;
pub mod timefmt;
pub mod yaml;

pub use compile::{CompiledPolicy, LoadResult, load_policy, load_policy_file};
