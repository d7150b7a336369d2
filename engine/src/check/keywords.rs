//! Keyword rules whose matching changed meaning with whole-word matching (`W0110`): v1 found a
//! keyword anywhere in the text, also inside longer words, and also in list fields. A Latin-script
//! keyword that begins common longer words which are not its inflections (`fee` → "feedback")
//! matched those words in v1 and does not now; a policy's list fields are not searched unless
//! `in:` names them. A rule that names its fields with `in:` is written for the new matching and
//! is not warned about.

use super::{Diagnostic, DiagnosticCode};
use crate::compile::{FieldDef, FieldType};
use crate::keywords::{Pattern, Words, is_cjk};
use crate::policy::model::DeriveRuleSpec;

/// Common words of complaints that begin with a shorter word they are not an inflection of.
const LONGER_WORDS: &[&str] = &[
    "billion",
    "contractor",
    "feedback",
    "feeling",
    "fireworks",
    "fraudulent",
    "leakage",
    "loudspeaker",
    "priceless",
    "repairman",
    "trafficking",
    "waterproof",
];

/// The warnings of one derive rule (`name` is the derived value).
pub(crate) fn changed_meaning(
    name: &str,
    rule: &DeriveRuleSpec,
    fields: &[FieldDef],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !rule.within.is_empty() || rule.keywords.is_empty() {
        return out;
    }
    let words = Words::default();
    let mut lost = Vec::new();
    let mut first = None;
    for k in &rule.keywords {
        let Pattern::Words(stems) = words.pattern(&k.value) else { continue };
        let lower = k.value.to_lowercase();
        if lower.chars().any(is_cjk) || lower.contains(' ') {
            continue;
        }
        let longer: Vec<String> = LONGER_WORDS
            .iter()
            .filter(|w| w.len() > lower.len() && w.starts_with(lower.as_str()))
            .filter(|w| format!(" {} ", words.stem(w)) != stems)
            .map(|w| format!("\"{w}\""))
            .collect();
        if !longer.is_empty() {
            first.get_or_insert(k.span);
            lost.push(format!("`{}` no longer matches {}", k.value, longer.join(", ")));
        }
    }
    // v1 also searched list fields (a department `billing` matched `bill`); a rule without
    // `in:` now searches string fields only.
    let lists: Vec<String> = fields
        .iter()
        .filter(|f| f.ty == FieldType::List)
        .map(|f| format!("`{}`", f.name))
        .collect();
    if let (false, Some(keyword)) = (lists.is_empty(), rule.keywords.first()) {
        first.get_or_insert(keyword.span);
        let (noun, verb) = if lists.len() == 1 { ("field", "is") } else { ("fields", "are") };
        lost.push(format!("list {noun} {} {verb} no longer searched", lists.join(", ")));
    }
    if let Some(span) = first {
        out.push(
            Diagnostic::warning(
                DiagnosticCode::W0110,
                format!("keywords of `{name}` now match whole words only: {}", lost.join("; ")),
            )
            .with_span(span)
            .with_hint(format!(
                "list a longer word as a keyword of its own if it is meant; name the fields \
                 searched, `in: [{}]`, to mark the rule as written for whole-word matching{}",
                searchable(fields),
                if lists.is_empty() { "" } else { " (add a list field to search it, as v1 did)" }
            )),
        );
    }
    out
}

/// The string fields of the policy, as an `in:` list would name them.
fn searchable(fields: &[FieldDef]) -> String {
    let names: Vec<&str> =
        fields.iter().filter(|f| f.ty == FieldType::String).map(|f| f.name.as_str()).collect();
    if names.is_empty() { "text".to_string() } else { names.join(", ") }
}
