//! Checks of how far time limits and ladder steps reach. Ombud keeps instants up to
//! 9999-12-31T23:59:59Z (see [`OutOfRange`](crate::calendar::OutOfRange)). A limit that ends after
//! it even for a ticket opened at the start of 2000 (`E0430`), or a ladder step that falls after it
//! on such a ticket's clock (`E0431`), ends after it for every later ticket too: counting is
//! monotonic, so no ticket of this century could ever get that deadline or step.

use super::{Diagnostic, DiagnosticCode, Span};
use crate::calendar::Calendar;
use crate::compile::LadderDef;
use crate::policy::Duration;
use crate::runtime::{Clock, scale, step_instant};
use chrono::{DateTime, Utc};

/// Where the checks count from: 2000-01-01T00:00:00Z.
fn origin() -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(946_684_800, 0)
}

const LIMIT_HINT: &str = "Ombud keeps instants up to 9999-12-31T23:59:59Z, so this deadline could never be set: shorten the limit";
const STEP_HINT: &str = "Ombud keeps instants up to 9999-12-31T23:59:59Z, so this step could never be reached: bring it closer to the deadline";

/// `E0430` when limit `d` (written `text`, at `span`) ends after 9999 counted from 2000.
pub(crate) fn limit(cal: &Calendar, d: Duration, text: &str, span: Span) -> Option<Diagnostic> {
    cal.add(origin()?, d).err()?;
    Some(
        Diagnostic::error(
            DiagnosticCode::E0430,
            format!(
                "time limit `{}` ends after 9999-12-31, even for a ticket opened in 2000",
                text.trim()
            ),
        )
        .with_span(span)
        .with_hint(LIMIT_HINT),
    )
}

/// `E0431` for each step of `ladder` (its `at:` spans in `spans`) that falls after 9999 on the
/// clock of stage `stage` under any of its limits `dues`, counted from 2000. Steps in `reported`
/// are not reported again (a ladder several stages share).
pub(crate) fn steps(
    cal: &Calendar,
    stage: &str,
    dues: &[Duration],
    ladder: &LadderDef,
    spans: &[Span],
    reported: &mut Vec<usize>,
) -> Vec<Diagnostic> {
    let Some(from) = origin() else { return Vec::new() };
    let mut out = Vec::new();
    for &budget in dues {
        let Ok(deadline) = cal.add(from, budget) else { continue };
        let working = budget.is_working_time() && !matches!(budget, Duration::CalendarDays(_));
        let clock = Clock {
            budget,
            started: from,
            deadline: deadline.at,
            total: scale(cal, working, deadline.at) - scale(cal, working, from),
            provisional: false,
            paused: None,
            fired: 0,
            breached: false,
            breach: None,
            extended: Vec::new(),
            roll_off: 0,
        };
        for (i, (step, span)) in ladder.steps.iter().zip(spans).enumerate() {
            if reported.contains(&i) || step_instant(cal, &clock, &step.at).is_some() {
                continue;
            }
            reported.push(i);
            out.push(
                Diagnostic::error(
                    DiagnosticCode::E0431,
                    format!(
                        "step `{}` of ladder `{}` falls after 9999-12-31 on stage `{stage}` \
                         (`{budget}`), even for a ticket opened in 2000",
                        step.at_text, ladder.name
                    ),
                )
                .with_span(*span)
                .with_hint(STEP_HINT),
            );
        }
    }
    out
}
