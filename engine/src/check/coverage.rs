//! W0201: a policy's calendar data runs out soon (or has run out).
//!
//! The engine never reads the clock: the caller passes `today` (the CLI uses the system date in
//! the calendar's zone, overridable with `OMBUD_TODAY`).

use super::Diagnostic;
use crate::check::DiagnosticCode;
use crate::compile::CompiledPolicy;
use chrono::{Datelike, NaiveDate};

/// How many days before its calendar data ends a policy is warned about.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::check::{COVERAGE_WARNING_DAYS, calendar_coverage};
/// let last = policy.calendar().covered_until().unwrap();
/// let first_warned = last - chrono::Duration::days(COVERAGE_WARNING_DAYS);
/// assert!(calendar_coverage(&policy, first_warned).is_some());
/// assert!(calendar_coverage(&policy, first_warned.pred_opt().unwrap()).is_none());
/// ```
pub const COVERAGE_WARNING_DAYS: i64 = 60;

/// Warns (`W0201`, at the policy's `calendar:` value) when the policy's calendar data ends
/// within [`COVERAGE_WARNING_DAYS`] days of `today`, or has already ended, naming the last
/// covered date. An unbounded calendar (such as `weekdays`) never warns.
///
/// ```
/// let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 1h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// let (policy, _) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
/// let day = |s: &str| s.parse().unwrap();
/// use ombud_engine::check::calendar_coverage;
/// assert!(calendar_coverage(&policy, day("2026-06-01")).is_none());
/// let w = calendar_coverage(&policy, day("2026-11-28")).unwrap();
/// assert_eq!(w.code, "W0201");
/// assert_eq!(
///     w.message,
///     "calendar `cn-mainland` has data only up to 2026-12-31 (33 days from today)"
/// );
/// assert_eq!((w.span.line, w.span.column), (2, 11));
/// let w = calendar_coverage(&policy, day("2027-01-03")).unwrap();
/// assert_eq!(w.message, "calendar `cn-mainland` ended on 2026-12-31 (3 days ago)");
/// // An unbounded calendar never runs out.
/// let text = text.replace("cn-mainland", "weekdays");
/// let (policy, _) = ombud_engine::load_policy("p.yaml", &text, None).unwrap();
/// assert!(calendar_coverage(&policy, day("2100-01-01")).is_none());
/// ```
pub fn calendar_coverage(policy: &CompiledPolicy, today: NaiveDate) -> Option<Diagnostic> {
    let calendar = &policy.calendar;
    let end = calendar.covered_until()?;
    let left = (end - today).num_days();
    if left > COVERAGE_WARNING_DAYS {
        return None;
    }
    let id = calendar.id();
    // What `--extends` takes: the `calendar:` value as written (a bundled id or a file's path).
    let written = policy
        .source
        .text
        .get(policy.calendar_span.offset..)
        .and_then(|t| t.get(..policy.calendar_span.len))
        .map_or(id, |t| t.trim_matches(['"', '\'']));
    let extends = if written.is_empty() { id } else { written };
    let message = match left {
        0 => format!("calendar `{id}` has data only up to {end} (today)"),
        1 => format!("calendar `{id}` has data only up to {end} (1 day from today)"),
        2.. => format!("calendar `{id}` has data only up to {end} ({left} days from today)"),
        -1 => format!("calendar `{id}` ended on {end} (1 day ago)"),
        _ => format!("calendar `{id}` ended on {end} ({} days ago)", -left),
    };
    Some(
        Diagnostic::warning(DiagnosticCode::W0201, message)
            .with_span(policy.calendar_span)
            .with_source(&policy.source)
            .with_hint(format!(
                "deadlines after {end} are computed on the plain workweek and marked \
                 provisional; when the next year's holiday notice is published, write it into a \
                 calendar file (`ombud calendar from-notice NOTICE.txt --extends {extends} > \
                 {id}-{next}.yaml`) and set `calendar:` to that file's path, relative to the \
                 policy (docs/calendars.md); a server takes the file at `POST /v1/calendars`",
                next = end.year() + 1,
            )),
    )
}
