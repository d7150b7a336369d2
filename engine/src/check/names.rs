//! Checks of names: unknown references with "did you mean", names listed twice, events that
//! are built-ins or undeclared, and near-duplicate spellings.

use super::{Diagnostic, did_you_mean, edit_distance};
use crate::check::DiagnosticCode;
use crate::policy::model::At;

/// `a`, `b` as `` `a`, `b` ``.
pub(crate) fn backticked(items: &[String]) -> String {
    items.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
}

/// An unknown name of `kind` (`stage`, `tier`, …), with a "did you mean" among `candidates`, or
/// the declared names.
pub(crate) fn unknown(
    code: DiagnosticCode,
    kind: &str,
    at: &At<String>,
    candidates: &[String],
) -> Diagnostic {
    let d = Diagnostic::error(code, format!("unknown {kind} `{}`", at.value)).with_span(at.span);
    match did_you_mean(&at.value, candidates.iter()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None if candidates.is_empty() => d.with_hint(format!("no {kind} is declared")),
        None => d.with_hint(format!("declared: {}", backticked(candidates))),
    }
}

/// Every name of `items` listed a second time (`E0207`).
pub(crate) fn listed_twice(items: &[At<String>], what: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, a) in items.iter().enumerate() {
        if let Some(first) = items.get(..i).and_then(|s| s.iter().find(|b| b.value == a.value)) {
            out.push(
                Diagnostic::error(
                    DiagnosticCode::E0207,
                    format!("{what} `{}` is listed twice", a.value),
                )
                .with_span(a.span)
                .with_related(first.span, "first listed here")
                .with_hint("remove the repeated entry"),
            );
        }
    }
    out
}

/// Event names: checked against `events:` when declared; otherwise near-duplicates (a likely
/// typo such as `confirmd` next to `confirmed`) are warned about.
pub(crate) fn event_names(uses: &[At<String>], declared: Option<&[String]>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // The engine acts on a built-in event itself, before looking at the stage: a policy
    // event of that name would never be taken.
    for u in uses.iter().filter(|u| crate::runtime::BUILTIN_EVENTS.contains(&u.value.as_str())) {
        out.push(
            Diagnostic::error(DiagnosticCode::E0206, format!("`{}` is a built-in event", u.value))
                .with_span(u.span)
                .with_hint(format!(
                    "the engine acts on `{0}` itself and never passes it to the policy: \
                     rename the event, e.g. `{0}_requested`",
                    u.value
                )),
        );
    }
    if let Some(decl) = declared {
        for u in uses {
            let builtin = crate::runtime::BUILTIN_EVENTS.contains(&u.value.as_str());
            if !builtin && !decl.contains(&u.value) {
                out.push(unknown(DiagnosticCode::E0206, "event", u, decl));
            }
        }
        return out;
    }
    out.extend(similar_names(uses, DiagnosticCode::W0104, "event", "events"));
    out
}

/// Warns about names that differ by one or two letters (a likely typo).
pub(crate) fn similar_names(
    uses: &[At<String>],
    code: DiagnosticCode,
    kind: &str,
    key: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut names: Vec<&At<String>> = Vec::new();
    for u in uses {
        if !names.iter().any(|n| n.value == u.value) {
            names.push(u);
        }
    }
    for (i, a) in names.iter().enumerate() {
        for b in names.iter().skip(i + 1) {
            let d = edit_distance(&a.value, &b.value);
            if a.value.chars().count() > 4 && (1..=2).contains(&d) {
                out.push(
                    Diagnostic::warning(
                        code,
                        format!("{kind} `{}` looks like a misspelling of `{}`", b.value, a.value),
                    )
                    .with_span(b.span)
                    .with_related(a.span, format!("similar {kind} used here"))
                    .with_hint(format!(
                        "use one spelling, or declare the policy's `{key}:` to check them"
                    )),
                );
            }
        }
    }
    out
}
