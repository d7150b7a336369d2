//! Checks of ladders: steps listed out of firing order, and the same action twice at one point.

use super::{Diagnostic, Span};
use crate::check::DiagnosticCode;
use crate::compile::{LadderAction, LadderStep, StepAt};

/// The first problem of a ladder step against the steps listed before it (`earlier`, each with
/// the span of its `at:`): it fires before one of them (`E0408`), or one of them does the same
/// at the same point (`E0409`).
pub(crate) fn step_order(
    ladder: &str,
    earlier: &[(LadderStep, Span)],
    step: (&StepAt, LadderAction, &str, Span),
) -> Option<Diagnostic> {
    let (at, action, at_text, at_span) = step;
    for (prev, prev_span) in earlier {
        match step_cmp(&prev.at, at) {
            Some(std::cmp::Ordering::Equal) if prev.action == action => {
                return Some(
                    Diagnostic::error(
                        DiagnosticCode::E0409,
                        format!(
                            "ladder `{ladder}` has two `{}` steps at `{at_text}`",
                            format!("{action:?}").to_lowercase(),
                        ),
                    )
                    .with_span(at_span)
                    .with_related(*prev_span, "first defined here")
                    .with_hint("remove the duplicate step"),
                );
            }
            Some(std::cmp::Ordering::Greater) => {
                return Some(
                    Diagnostic::error(
                        DiagnosticCode::E0408,
                        format!(
                            "step `{at_text}` of ladder `{ladder}` fires before the step above it \
                             (`{}`)",
                            prev.at_text
                        ),
                    )
                    .with_span(at_span)
                    .with_related(*prev_span, "earlier step")
                    .with_hint("list ladder steps in the order they fire"),
                );
            }
            _ => {}
        }
    }
    None
}

/// Whether every step of `steps` falls at or before the next on every clock: each pair of
/// neighbours is ordered whatever the budget (`80%` before `100%` before `deadline + 1 working
/// day`), not only by what the checks could compare.
pub(crate) fn always_in_order(steps: &[LadderStep]) -> bool {
    steps.windows(2).all(|w| step_cmp(&w[0].at, &w[1].at) == Some(std::cmp::Ordering::Less))
}

/// Position of a ladder step relative to the deadline, for ordering checks.
fn step_cmp(a: &StepAt, b: &StepAt) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering::*;
    // Normalise: a percent of 100 is the deadline itself.
    fn sign(s: &StepAt) -> Option<i8> {
        match s {
            StepAt::Percent(p) if (*p - 100.0).abs() < f64::EPSILON => Some(0),
            StepAt::Percent(p) if *p > 100.0 => Some(1),
            StepAt::Percent(_) => None,
            StepAt::Offset { by, .. } if by.is_zero() => Some(0),
            StepAt::Offset { before: true, .. } => Some(-1),
            StepAt::Offset { before: false, .. } => Some(1),
        }
    }
    match (a, b) {
        (StepAt::Percent(x), StepAt::Percent(y)) => x.partial_cmp(y),
        (StepAt::Percent(p), other) | (other, StepAt::Percent(p)) if *p < 100.0 => {
            let flip = matches!(a, StepAt::Percent(_));
            let r = match sign(other) {
                Some(0 | 1) => Some(Less),
                _ => None,
            };
            if flip { r } else { r.map(std::cmp::Ordering::reverse) }
        }
        _ => {
            let (sa, sb) = (sign(a)?, sign(b)?);
            if sa != sb {
                return Some(sa.cmp(&sb));
            }
            match (a, b) {
                (StepAt::Offset { by: x, .. }, StepAt::Offset { by: y, .. }) => {
                    let same_kind = std::mem::discriminant(x) == std::mem::discriminant(y);
                    if sa == 0 {
                        Some(Equal)
                    } else if same_kind {
                        let o = x.cmp(y);
                        Some(if sa < 0 { o.reverse() } else { o })
                    } else {
                        None
                    }
                }
                _ if sa == 0 => Some(Equal),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::always_in_order;
    use crate::compile::{LadderAction, LadderStep, StepAt};
    use crate::policy::Duration;

    fn steps(at: &[StepAt]) -> Vec<LadderStep> {
        at.iter()
            .map(|at| LadderStep {
                at: at.clone(),
                at_text: String::new(),
                action: LadderAction::Notify,
                to: None,
                notify: None,
                mark: None,
                when: None,
            })
            .collect()
    }

    #[test]
    fn a_ladder_is_in_order_only_when_every_clock_keeps_it_so() {
        let after = |n| StepAt::Offset { before: false, by: Duration::WorkingDays(n) };
        let deadline = StepAt::Offset { before: false, by: Duration::Wall { seconds: 0 } };
        let two_hours_before =
            StepAt::Offset { before: true, by: Duration::Wall { seconds: 7200 } };
        let standard = [StepAt::Percent(80.0), StepAt::Percent(100.0), after(1)];
        assert!(always_in_order(&steps(&standard)));
        assert!(always_in_order(&steps(&[after(1), after(2)])));
        // `80%` and `deadline - 2h` swap places as the budget grows; `deadline` and `100%` fall
        // apart when the deadline lies outside working time.
        assert!(!always_in_order(&steps(&[StepAt::Percent(80.0), two_hours_before])));
        assert!(!always_in_order(&steps(&[deadline, StepAt::Percent(100.0)])));
    }
}
