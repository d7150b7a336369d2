//! A scenario checked against its policy before it runs: events the policy does not declare,
//! fields it does not have, values of the wrong type or outside an enum, required fields missing. Without the check such
//! a typo becomes a refused event (or a refused opening) and the scenario may still pass.

use super::expect::{Expect, ExpectValue, RejectedSpec};
use super::scenario::{Located, Scenario, ScenarioEvent};
use crate::check::{Diagnostic, DiagnosticCode, Source, did_you_mean, sort_diagnostics};
use crate::runtime::{BUILTIN_EVENTS, Engine, Rejection};
use crate::yaml::{Document, Node, NodeKind, parse_tree};
use serde_json::{Map, Value};
use std::sync::Arc;

impl Scenario {
    /// The scenario's mistakes against the policy `engine` runs, each located in the scenario
    /// file: an event the policy does not declare when it declares `events:` (`E0612`), a
    /// field it does not have (`E0613`), a value of the wrong type (`E0614`), a value outside an
    /// enum (`E0615`), a required field the ticket does not give (`E0616`). An event that the
    /// scenario's `expect: rejected` names (by number or by name) is meant to be refused and is
    /// not checked.
    ///
    /// ```
    /// use ombud_engine::{check::Source, runtime::Engine, simulate::Scenario};
    /// # let policy = std::sync::Arc::new(ombud_engine::doc_support::reference_policy());
    /// let text = "ticket: { at: 2026-02-13T17:30:00+08:00, fields: { category: fess } }\n";
    /// let scenario = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
    /// let found = scenario.check_against(&Engine::new(policy));
    /// assert_eq!((found[0].code.as_str(), found[0].span.line, found[0].span.column), ("E0615", 1, 62));
    /// assert_eq!(found[0].hint.as_deref(), Some("did you mean `fees`?"));
    /// ```
    pub fn check_against(&self, engine: &Engine) -> Vec<Diagnostic> {
        let events: Vec<Option<&ScenarioEvent>> = self.events.iter().map(Some).collect();
        let parts =
            Parts { fields: Some(&self.ticket.fields), events, expect: self.expect.as_ref() };
        parts.check(&self.source, engine)
    }

    /// Every mistake of the scenario file `source` in one list, sorted by place: its mistakes
    /// of shape (`E0601`–`E0608`, read on the calendar of `engine`'s policy as by
    /// [`parse_on`](Self::parse_on)), and those of [`check_against`](Self::check_against) in
    /// the parts that parsed — the ticket's fields when `ticket.fields` parsed, each event
    /// that parsed. A part with a mistake of shape is not checked against the policy.
    ///
    /// ```
    /// use ombud_engine::{check::Source, runtime::Engine, simulate::Scenario};
    /// # let policy = std::sync::Arc::new(ombud_engine::doc_support::reference_policy());
    /// let text = "ticket: { at: 2026-02-13T17:30:00+08:00, fields: { category: fess } }\n\
    ///             events: [ { at: +2 days, event: registerd }, { at: +1h, event: registerd } ]\n";
    /// let found = Scenario::check_source_against(&Source::new("s.yaml", text), &Engine::new(policy));
    /// let codes: Vec<_> = found.iter().map(|d| (d.code.as_str(), d.span.line, d.span.column)).collect();
    /// // The first event's time is broken: its name is checked once the time is fixed.
    /// assert_eq!(codes, [("E0615", 1, 62), ("E0606", 2, 20), ("E0612", 2, 64)]);
    /// ```
    pub fn check_source_against(source: &Arc<Source>, engine: &Engine) -> Vec<Diagnostic> {
        let (draft, mut found) = Scenario::draft(source, Some(engine.policy().calendar()));
        if let Some(draft) = draft {
            let events = draft.events.iter().map(Option::as_ref).collect();
            let parts =
                Parts { fields: draft.fields.as_ref(), events, expect: draft.expect.as_ref() };
            found.extend(parts.check(source, engine));
            sort_diagnostics(&mut found);
        }
        found
    }
}

/// The parts of a scenario the checks against the policy read.
struct Parts<'s> {
    /// The ticket's fields, `None` when they did not parse.
    fields: Option<&'s Map<String, Value>>,
    /// Each entry of `events:` in file order, `None` where it did not parse.
    events: Vec<Option<&'s ScenarioEvent>>,
    /// The `expect:` block (the part of it that parsed).
    expect: Option<&'s Expect>,
}

impl Parts<'_> {
    /// The mistakes against the policy in these parts of the file `source`.
    fn check(&self, source: &Arc<Source>, engine: &Engine) -> Vec<Diagnostic> {
        // The file parsed once already; the tree gives the places of what the parts hold.
        let Ok(root) = parse_tree(&source.text, Document::Scenario) else { return Vec::new() };
        let mut out = Vec::new();
        let policy = engine.policy();
        if let (Some((key, ticket)), Some(values)) = (entry_with_key(&root, "ticket"), self.fields)
        {
            let given = entry_with_key(ticket, "fields");
            if let Some((_, fields)) = given {
                check_fields(engine, fields, values, &mut out);
            }
            let at = given.map_or(key, |(k, _)| k);
            out.extend(missing_required(engine, values, at));
        }
        let items = match entry(&root, "events").map(|e| &e.kind) {
            Some(NodeKind::Seq(items)) => items.as_slice(),
            _ => &[],
        };
        let expected = self.expected_rejections();
        // `events` has one entry per item of the list, in order.
        for (i, (node, ev)) in items.iter().zip(&self.events).enumerate() {
            let Some(ev) = ev else { continue };
            let meant = expected.iter().any(|s| {
                s.index.is_none_or(|n| n as usize == i + 1)
                    && s.event.as_ref().is_none_or(|e| *e == ev.event.value)
                    && (s.index.is_some() || s.event.is_some())
            });
            if meant {
                continue;
            }
            if let Some(declared) = &policy.events
                && !BUILTIN_EVENTS.contains(&ev.event.value.as_str())
                && !declared.contains(&ev.event.value)
            {
                out.push(undeclared(&ev.event, declared));
            }
            if let (Some(data), Some(values)) = (entry(node, "data"), &ev.data) {
                check_fields(engine, data, values, &mut out);
            }
        }
        let mut out: Vec<Diagnostic> = out.into_iter().map(|d| d.with_source(source)).collect();
        sort_diagnostics(&mut out);
        out
    }

    /// The refusals the scenario's `expect: rejected` states.
    fn expected_rejections(&self) -> Vec<&RejectedSpec> {
        let Some(expect) = self.expect else { return Vec::new() };
        expect
            .items
            .iter()
            .filter_map(|(_, v)| match v {
                ExpectValue::Rejected(specs) => Some(specs.iter().map(|s| &s.value)),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

/// The value of key `key` of a mapping node.
fn entry<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    entry_with_key(node, key).map(|(_, v)| v)
}

/// The key node and the value of key `key` of a mapping node.
fn entry_with_key<'n>(node: &'n Node, key: &str) -> Option<(&'n Node, &'n Node)> {
    let NodeKind::Map(entries) = &node.kind else { return None };
    entries
        .iter()
        .find(|(k, _)| matches!(&k.kind, NodeKind::Str(s) if s == key))
        .map(|(k, v)| (k, v))
}

/// Each `required: true` field the ticket does not give (null is not given), located at
/// `fields:` (or at `ticket:` when the ticket has no fields) (`E0616`).
fn missing_required<'a>(
    engine: &'a Engine,
    given: &'a Map<String, Value>,
    at: &'a Node,
) -> impl Iterator<Item = Diagnostic> + 'a {
    engine
        .policy()
        .fields
        .iter()
        .filter(|f| f.required && given.get(&f.name).is_none_or(Value::is_null))
        .map(move |f| {
            Diagnostic::error(
                DiagnosticCode::E0616,
                format!("the ticket does not give the required field `{}`", f.name),
            )
            .with_span(at.span)
            .with_hint(format!(
                "the policy refuses to open a ticket without it (`missing_field`): add `{}: …` to `ticket.fields`",
                f.name
            ))
        })
}

/// An event the policy's `events:` does not declare (`E0612`).
fn undeclared(event: &Located<String>, declared: &[String]) -> Diagnostic {
    let hint = match did_you_mean(&event.value, declared.iter()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            let mut names: Vec<String> = declared.iter().map(|n| format!("`{n}`")).collect();
            names.extend(BUILTIN_EVENTS.iter().map(|n| format!("`{n}`")));
            format!("the policy's events are {}", names.join(", "))
        }
    };
    Diagnostic::error(
        DiagnosticCode::E0612,
        format!("the policy does not declare event `{}`", event.value),
    )
    .with_span(event.span)
    .with_hint(hint)
}

/// Checks each field of the mapping `node` (read as `values`) against the policy's fields.
fn check_fields(
    engine: &Engine,
    node: &Node,
    values: &Map<String, Value>,
    out: &mut Vec<Diagnostic>,
) {
    let NodeKind::Map(entries) = &node.kind else { return };
    for (k, v) in entries {
        let NodeKind::Str(name) = &k.kind else { continue };
        let Some(value) = values.get(name) else { continue };
        let Err(rejection) = engine.check_field(name, value) else { continue };
        let d = match rejection {
            Rejection::UnknownField { field, hint } => {
                let names: Vec<String> =
                    engine.policy().fields.iter().map(|f| format!("`{}`", f.name)).collect();
                Diagnostic::error(
                    DiagnosticCode::E0613,
                    format!("the policy has no field `{field}`"),
                )
                .with_span(k.span)
                .with_hint(match hint {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => format!("the policy's fields are {}", names.join(", ")),
                })
            }
            Rejection::WrongType { field, expected, got } => Diagnostic::error(
                DiagnosticCode::E0614,
                format!("field `{field}` must be {expected}, found {got}"),
            )
            .with_span(v.span)
            .with_hint(wrong_type_hint(&field, &expected, value)),
            Rejection::NotInEnum { field, value, allowed } => Diagnostic::error(
                DiagnosticCode::E0615,
                format!("`{value}` is not a value of `{field}`"),
            )
            .with_span(v.span)
            .with_hint(match did_you_mean(&value, allowed.iter()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "`{field}` is one of {}",
                    allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                ),
            }),
            other => Diagnostic::error(DiagnosticCode::E0614, other.to_string()).with_span(v.span),
        };
        out.push(d);
    }
}

/// The hint for a value of the wrong type: the value to write when the one given is a quoted
/// boolean or number.
fn wrong_type_hint(field: &str, expected: &str, value: &Value) -> String {
    let unquoted = match (expected, value) {
        ("true or false", Value::String(s)) if matches!(s.as_str(), "true" | "false") => {
            Some(s.clone())
        }
        ("a number" | "a whole number", Value::String(s))
            if s.trim().parse::<f64>().is_ok_and(f64::is_finite) =>
        {
            Some(s.trim().to_string())
        }
        _ => None,
    };
    let yaml11 = match value {
        Value::String(s) if expected == "true or false" => {
            crate::policy::convert::yaml11_bool(s).map(|b| (s, b))
        }
        _ => None,
    };
    match (unquoted, yaml11) {
        (Some(v), _) => format!("write it unquoted: `{field}: {v}`"),
        (None, Some((word, b))) => {
            format!("`{word}` is text in YAML 1.2, not a boolean: write `{field}: {b}`")
        }
        (None, None) if expected == "true or false" => format!(
            "the policy's `fields:` declares `{field}` a bool: write `{field}: true` or \
             `{field}: false`"
        ),
        (None, None) => {
            format!(
                "the policy's `fields:` declares that `{field}` holds {expected}: write {expected}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wrong_type_hint;
    use serde_json::json;

    #[test]
    fn a_wrong_type_hint_gives_the_value_to_write() {
        // A quoted boolean: unquote it.
        assert_eq!(
            wrong_type_hint("vip", "true or false", &json!("true")),
            "write it unquoted: `vip: true`"
        );
        // A YAML 1.1 word is text in YAML 1.2: the boolean it means.
        assert_eq!(
            wrong_type_hint("vip", "true or false", &json!("yes")),
            "`yes` is text in YAML 1.2, not a boolean: write `vip: true`"
        );
        assert_eq!(
            wrong_type_hint("vip", "true or false", &json!("是")),
            "the policy's `fields:` declares `vip` a bool: write `vip: true` or `vip: false`"
        );
        assert_eq!(
            wrong_type_hint("tags", "a list", &json!("fees")),
            "the policy's `fields:` declares that `tags` holds a list: write a list"
        );
    }
}
