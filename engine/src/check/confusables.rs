//! Names that can deceive a reader of a policy: two names that look the same but are written
//! differently (`handle` and `hаndle`, whose `а` is Cyrillic), and names with characters that
//! show as nothing or reorder the text around them (a zero-width space, a right-to-left
//! override). Either lets a policy say one thing to its reviewer and another to the engine.
//!
//! "Look the same" is Unicode's confusable skeleton (UTS #39, from the `unicode-security`
//! crate); "invisible or bidi" is a control character or a default-ignorable code point, which
//! includes every bidirectional formatting character.

use crate::check::{Diagnostic, DiagnosticCode};
use crate::policy::model::{At, PolicyFile};
use std::collections::{HashMap, HashSet};
use unicode_security::GeneralSecurityProfile;
use unicode_security::general_security_profile::IdentifierType;

/// Whether `c` shows as nothing or changes how the text around it is shown: a control
/// character, a default-ignorable code point (zero-width spaces and joiners, soft hyphen,
/// the bidirectional formatting characters U+061C, U+200E–U+200F, U+202A–U+202E,
/// U+2066–U+2069, …), or a line or paragraph separator.
///
/// ```
/// use ombud_engine::check::is_invisible;
/// assert!(is_invisible('\u{202e}') && is_invisible('\u{200b}') && is_invisible('\u{1b}'));
/// assert!(!is_invisible('a') && !is_invisible('服') && !is_invisible(' '));
/// ```
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || c.identifier_type() == Some(IdentifierType::Default_Ignorable)
}

/// `name` with every character outside printable ASCII written as a Rust escape (`h\u{430}ndle`),
/// so two names that look alike can be told apart in a message (`h\u{430}ndle`).
pub(crate) fn spelled_out(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c.to_string()
            } else {
                c.escape_unicode().to_string()
            }
        })
        .collect()
}

/// Every name a policy defines or uses, with what it names: stages, tiers, fields (declared and
/// derived), events, artifacts, ladders, obligations and groups.
fn names(doc: &PolicyFile) -> Vec<(&'static str, &At<String>)> {
    let mut out: Vec<(&'static str, &At<String>)> = Vec::new();
    out.extend(doc.stages.iter().map(|s| ("stage", &s.name)));
    out.extend(doc.tiers.iter().map(|t| ("tier", t)));
    out.extend(doc.fields.iter().map(|f| ("field", &f.name)));
    out.extend(doc.derive.iter().map(|d| ("field", &d.name)));
    out.extend(doc.events.iter().flatten().map(|e| ("event", e)));
    for s in &doc.stages {
        out.extend(s.on.iter().filter_map(|t| t.event.as_ref()).map(|e| ("event", e)));
    }
    out.extend(doc.obligations.iter().filter_map(|o| o.done_on.as_ref()).map(|e| ("event", e)));
    for p in &doc.pause {
        out.extend(p.on.iter().chain(&p.resume_on).map(|e| ("event", e)));
    }
    out.extend(doc.artifacts.iter().flatten().map(|a| ("artifact", a)));
    for s in &doc.stages {
        out.extend(s.requires.iter().map(|a| ("artifact", a)));
    }
    out.extend(doc.ladders.iter().map(|l| ("ladder", &l.name)));
    out.extend(doc.obligations.iter().map(|o| ("obligation", &o.name)));
    out.extend(doc.groups.iter().map(|g| ("group", &g.name)));
    out
}

/// Warnings about the names of a policy: `W0106` for a name that can be mistaken for another
/// name of the same policy (same confusable skeleton, different text), `W0107` for a name with
/// an invisible or bidi character. Each name is judged once, at its first place; the work is
/// linear in the number of names.
pub(crate) fn deceptive_names(doc: &PolicyFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut by_skeleton: HashMap<String, (&'static str, &At<String>)> = HashMap::new();
    for (kind, name) in names(doc) {
        if !seen.insert(name.as_str()) {
            continue;
        }
        if let Some(c) = name.value.chars().find(|c| is_invisible(*c)) {
            out.push(
                Diagnostic::warning(
                    DiagnosticCode::W0107,
                    format!(
                        "{kind} name `{}` contains an invisible or bidi character (U+{:04X})",
                        spelled_out(&name.value),
                        u32::from(c)
                    ),
                )
                .with_span(name.span)
                .with_hint(
                    "such a character shows as nothing or reorders the text around it: remove it",
                ),
            );
        }
        let skeleton: String = unicode_security::skeleton(&name.value).collect();
        match by_skeleton.get(&skeleton) {
            Some((first_kind, first)) => out.push(
                Diagnostic::warning(
                    DiagnosticCode::W0106,
                    format!(
                        "{kind} `{}` can be mistaken for {first_kind} `{}`",
                        name.value, first.value
                    ),
                )
                .with_span(name.span)
                .with_related(first.span, format!("the {first_kind} it looks like"))
                .with_hint(format!(
                    "they are written `{}` and `{}`: rename one so the two look different",
                    spelled_out(&name.value),
                    spelled_out(&first.value)
                )),
            ),
            None => {
                by_skeleton.insert(skeleton, (kind, name));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::convert::convert;
    use crate::yaml::{Document, parse_tree};

    fn warnings(text: &str) -> Vec<(String, String)> {
        let (doc, _) = convert(&parse_tree(text, Document::Policy).unwrap());
        deceptive_names(&doc).into_iter().map(|d| (d.code.to_string(), d.message)).collect()
    }

    #[test]
    fn bidi_controls_and_zero_width_characters_are_invisible() {
        for c in ['\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}']
        {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}', '\u{0}'] {
            assert!(is_invisible(c), "{c:?}");
        }
        assert!(!"service-complaints 服务投诉 été".chars().any(is_invisible));
    }

    #[test]
    fn names_of_different_kinds_and_case_are_compared() {
        let text = "tiers: [agent, аgent]\nfields: {Amount: {type: number}, amount: {type: number}}\n\
                    ladders: {quick: [], quіck: []}\n";
        assert_eq!(
            warnings(text),
            [
                ("W0106".into(), "tier `аgent` can be mistaken for tier `agent`".into()),
                ("W0106".into(), "ladder `quіck` can be mistaken for ladder `quick`".into()),
            ]
        );
    }

    #[test]
    fn the_warning_points_at_the_later_name_and_spells_both_out() {
        let text = "stages:\n  handle: {on: {done: hаndle}}\n  hаndle: {terminal: true}\n";
        let (doc, _) = convert(&parse_tree(text, Document::Policy).unwrap());
        let found = deceptive_names(&doc);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, DiagnosticCode::W0106);
        assert_eq!(found[0].message, "stage `hаndle` can be mistaken for stage `handle`");
        assert_eq!((found[0].span.line, found[0].span.column), (3, 3));
        assert_eq!(spelled_out("hаndle"), "h\\u{430}ndle");
    }

    #[test]
    fn a_name_used_twice_is_one_name() {
        let text = "stages:\n  open: {on: {done: closed}}\n  closed: {terminal: true}\n";
        assert!(warnings(text).is_empty());
    }

    #[test]
    fn an_invisible_character_is_named_by_code_point() {
        let text = "stages:\n  open: {on: {\"do\\u202Ene\": closed}}\n  closed: {terminal: true}\n";
        assert_eq!(
            warnings(text),
            [(
                "W0107".into(),
                "event name `do\\u{202e}ne` contains an invisible or bidi character (U+202E)"
                    .into()
            )]
        );
    }
}
