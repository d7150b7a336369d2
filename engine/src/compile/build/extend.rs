//! `extensions:` of stages and obligations: compiled, with their checks.

use super::Compiler;
use crate::check::{Diagnostic, DiagnosticCode};
use crate::compile::{ExtendTo, Extension};
use crate::policy::Duration;
use crate::policy::model::{At, ExtensionSpec};

impl Compiler<'_> {
    /// Compiles the extensions of the clock `what` (`stage `handle``), whose limit is `due` (the
    /// unconditional entry's, if any). Every event and artifact they name is added to the uses
    /// the name checks see.
    pub(super) fn extensions(
        &mut self,
        specs: &[ExtensionSpec],
        what: &str,
        due: Option<Duration>,
        event_uses: &mut Vec<At<String>>,
        artifact_uses: &mut Vec<At<String>>,
        declared_artifacts: Option<&[String]>,
    ) -> Vec<Extension> {
        let mut out = Vec::new();
        for e in specs {
            if let Some(on) = &e.on {
                event_uses.push(on.clone());
            }
            self.diags.extend(crate::check::names::listed_twice(&e.requires, "artifact"));
            artifact_uses.extend(e.requires.iter().cloned());
            if let Some(decl) = declared_artifacts {
                for r in &e.requires {
                    if !decl.contains(&r.value) {
                        self.push(crate::check::names::unknown(
                            DiagnosticCode::E0205,
                            "artifact",
                            r,
                            decl,
                        ));
                    }
                }
            }
            let when = e.when.as_ref().and_then(|w| self.expr(w));
            let max = match &e.max {
                None => Some(1),
                Some(m) => match u32::try_from(m.value) {
                    Ok(n) if n >= 1 => Some(n),
                    _ => {
                        self.push(
                            Diagnostic::error(
                                DiagnosticCode::E0413,
                                format!("`max: {}` lets the extension never apply", m.value),
                            )
                            .with_span(m.span)
                            .with_hint(
                                "`max` is how many times the entry may extend one clock: 1 or \
                                 more (1 when left out)",
                            ),
                        );
                        None
                    }
                },
            };
            let change = match (&e.by, &e.to) {
                (Some(b), None) => self.duration(b).map(ExtendTo::By),
                (None, Some(t)) => {
                    let to = self.duration(t);
                    if let (Some(to), Some(due)) = (to, due)
                        && not_longer(to, due)
                    {
                        self.push(
                            Diagnostic::error(
                                DiagnosticCode::E0414,
                                format!(
                                    "`to: {to}` is not longer than the limit of {what} ({due})"
                                ),
                            )
                            .with_span(t.span)
                            .with_hint(
                                "`to:` is the clock's whole new limit, counted from its start; \
                                 to add time after the deadline write `by:`",
                            ),
                        );
                    }
                    to.map(ExtendTo::To)
                }
                _ => None, // E0108, reported when the file was read
            };
            if let (Some(on), Some(change), Some(max)) = (&e.on, change, max) {
                out.push(Extension {
                    on: on.value.clone(),
                    change,
                    requires: e.requires.iter().map(|r| r.value.clone()).collect(),
                    max,
                    when,
                });
            }
        }
        out
    }
}

/// Whether `to` is certainly no longer than `due`: both in the same unit, and no more of it.
fn not_longer(to: Duration, due: Duration) -> bool {
    match (to, due) {
        (Duration::WorkingDays(a), Duration::WorkingDays(b))
        | (Duration::CalendarDays(a), Duration::CalendarDays(b)) => a <= b,
        (Duration::WorkingHours { minutes: a }, Duration::WorkingHours { minutes: b }) => a <= b,
        (Duration::Wall { seconds: a }, Duration::Wall { seconds: b }) => a <= b,
        _ => false,
    }
}
