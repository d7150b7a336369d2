//! # ombud-engine
//!
//! The embeddable core of Ombud, a workflow-rules engine for complaint handling. A policy (YAML:
//! stages, time limits, escalation ladders, tiers, joint groups, rhai conditions) is loaded once
//! with [`load_policy_file`]; an [`Engine`] runs tickets through it on the policy's working-day
//! [`Calendar`]. The engine is pure: the host passes the time, the [`Ticket`] and the [`Event`];
//! it gets back an [`Outcome`] (timeline rows, [`Action`]s due, the next wake-up) or a
//! [`Rejection`] that left the ticket unchanged.
//!
//! ```
//! use ombud_engine::{Engine, Event, OpenTicket};
//! use std::sync::Arc;
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
//! let (policy, _warnings) = ombud_engine::load_policy_file(path.as_ref())?;
//! let engine = Engine::new(Arc::new(policy));
//! let open: OpenTicket = serde_json::from_str(
//!     r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00","fields":{"text":"overcharged on my bill"}}"#)?;
//! let (mut ticket, outcome) = engine.open(&open)?;
//! assert_eq!((ticket.stage(), ticket.fields()["category"].as_str()), ("intake", Some("fees")));
//! let registered = Event::named("registered", "2026-02-13T09:50:00Z".parse()?);
//! engine.apply(&mut ticket, &registered)?;
//! assert_eq!(ticket.stage(), "verify");
//! # let _ = outcome;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate root holds what a host uses; the modules hold the rest of each vocabulary:
//! [`runtime`] (the parts of a ticket and an outcome, the audit chain), [`policy`] (the compiled
//! policy's stages, ladders and conditions; durations; the JSON Schema), [`calendar`],
//! [`check`] (diagnostics), [`simulate`](mod@simulate) (scenario files) and [`ledger`] (replay, reports,
//! synthetic ledgers, audit verification). `docs/api.md` lists every public item.

pub mod calendar;
pub mod check;
mod compile;
#[doc(hidden)]
pub mod doc_support;
mod expr;
mod file_kind;
mod keywords;
pub mod ledger;
pub mod policy;
pub mod runtime;
pub mod simulate;
pub mod timefmt;
mod yaml;

pub use calendar::Calendar;
pub use check::{Diagnostic, DiagnosticCode, Severity, Source, Span};
pub use file_kind::FileKind;
pub use ledger::{
    build_report, compare_with_ledger, generate, ledger_chains, ledger_tickets, replay,
    verify_ticket,
};
pub use policy::{CompiledPolicy, Duration, LoadError, load_policy, load_policy_file};
pub use runtime::{
    Action, ActionKind, Engine, Event, EventKind, Migration, NextActions, OpenTicket, Outcome,
    Rejection, RowKind, Ticket, TimelineRow,
};
pub use simulate::{Scenario, Timeline, simulate};

/// The README's Rust example compiles as written.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
