//! Obligations that can never run (`W0109`): one whose `start_on` event only ever closes the
//! ticket — closing stops every clock, so the obligation never starts, and no row or breach
//! says so — and one that starts and is done on the same event.

use crate::check::{Diagnostic, DiagnosticCode};
use crate::policy::model::PolicyFile;

/// The `W0109` warnings of `doc`.
pub(crate) fn never_run(doc: &PolicyFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let terminal = |name: &str| doc.stages.iter().any(|s| s.name.value == name && s.is_terminal());
    for ob in &doc.obligations {
        let Some(start_on) = &ob.start_on else { continue };
        let event = start_on.value.as_str();
        if ob.done_on.as_ref().is_some_and(|d| d.value == event) {
            out.push(
                Diagnostic::warning(
                    DiagnosticCode::W0109,
                    format!(
                        "obligation `{}` starts and is done on the same event `{event}`",
                        ob.name.value
                    ),
                )
                .with_span(start_on.span)
                .with_hint(format!(
                    "`done_on` names the event that discharges the duty once it runs; where \
                     `{event}` is not a transition of the stage, it is refused while `{}` is not \
                     open, so the obligation never starts",
                    ob.name.value
                )),
            );
            continue;
        }
        // Every transition on the event, in every stage: (stage, target).
        let transitions: Vec<(&str, &crate::policy::model::At<String>)> = doc
            .stages
            .iter()
            .flat_map(|s| s.on.iter().map(move |t| (s.name.value.as_str(), t)))
            .filter(|(_, t)| t.event.as_ref().is_some_and(|e| e.value == event))
            .filter_map(|(s, t)| t.to.as_ref().map(|to| (s, to)))
            .collect();
        let Some((stage, closing)) = transitions.first() else { continue };
        if !transitions.iter().all(|(_, to)| terminal(&to.value)) {
            continue;
        }
        let done_on = ob.done_on.as_ref().map_or("its `done_on` event", |d| d.value.as_str());
        out.push(
            Diagnostic::warning(
                DiagnosticCode::W0109,
                format!(
                    "obligation `{}` never runs: its `start_on` event `{event}` only ever enters \
                     a terminal stage, and closing the ticket stops every clock",
                    ob.name.value
                ),
            )
            .with_span(start_on.span)
            .with_related(closing.span, format!("`{event}` closes the ticket from `{stage}`"))
            .with_hint(format!(
                "keep the ticket open until the duty is done: send `{event}` to a stage that \
                 waits for it, e.g. `on: {{ {event}: informing }}` with `informing: {{ owner: …, \
                 on: {{ {done_on}: {} }} }}`",
                closing.value
            )),
        );
    }
    out
}
