//! Diagnostics and the checks that produce them.
//!
//! Every input path reports [`Diagnostic`]s: a stable code (listed in `docs/diagnostics.md`), a
//! severity, a message, a 1-based line and column and, where one helps, a hint. `Display` gives
//! the first line of the rustc-style report `ombud lint` prints; [`Diagnostic::to_json`] gives
//! the CLI's JSON form.
//!
//! ```
//! let text = "policy: refunds\ncalendar: weekdays\ntiers: [clerk]\nstart: triage\nstages:\n  \
//!             triage: {owner: clerk, on: {refunded: closd}}\n  closed: {terminal: true}\n";
//! let errors = ombud_engine::load_policy("refunds.yaml", text, None).unwrap_err().into_diagnostics();
//! let d = &errors[0];
//! assert_eq!((d.code.as_str(), d.span.line, d.span.column), ("E0201", 6, 41));
//! assert_eq!(d.to_string(), "error[E0201]: unknown stage `closd`");
//! assert_eq!(d.hint.as_deref(), Some("did you mean `closed`?"));
//! let json = serde_json::to_value(d.to_json()).unwrap();
//! assert_eq!((json["file"].as_str(), json["line"].as_u64()), (Some("refunds.yaml"), Some(6)));
//! ```

mod code;
pub(crate) mod conditions;
pub(crate) mod confusables;
mod coverage;
mod diagnostic;
pub(crate) mod graph;
pub(crate) mod keywords;
pub(crate) mod ladder;
pub(crate) mod names;
pub(crate) mod obligations;
pub(crate) mod reach;
pub(crate) mod scan;
pub(crate) mod types;

pub use code::DiagnosticCode;
pub use confusables::is_invisible;
pub use coverage::{COVERAGE_WARNING_DAYS, calendar_coverage};
pub use diagnostic::{Diagnostic, DiagnosticJson, Severity, Source, Span, sort_diagnostics};
pub(crate) use diagnostic::{did_you_mean, edit_distance};
