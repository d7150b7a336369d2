//! Computed fields: keyword and condition rules, first match wins.

use super::{Engine, Run};
use crate::compile::{FieldDef, FieldType};
use crate::keywords::{Pattern, Words};
use crate::runtime::{ConditionError, FieldMap};
use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;
use std::collections::BTreeSet;

impl Engine {
    /// Computes derived fields in declaration order; a value given for a declared field wins.
    /// Returns the conditions that could not be evaluated.
    /// `stage` is the stage the ticket stands in (none yet at the opening).
    pub(super) fn derive(
        &self,
        fields: &mut FieldMap,
        stage: &str,
        given: &dyn Fn(&str) -> bool,
    ) -> Vec<ConditionError> {
        let run = Run::new(self);
        run.at_stage(stage);
        // Keyword rules read the declared string and list fields, which deriving never
        // changes; the text is built the first time a rule with keywords needs it.
        let mut text = None;
        for (d, def) in self.policy.derived.iter().enumerate() {
            if given(&def.name) && self.policy.field(&def.name).is_some() {
                continue;
            }
            let value = self
                .first_rule(&run, d, fields, &mut text)
                .and_then(|(i, _)| def.rules.get(i))
                .map(|rule| rule.value.clone());
            let value = value.unwrap_or_else(|| {
                self.policy
                    .field(&def.name)
                    .and_then(|f| f.default.clone())
                    .unwrap_or_else(|| Value::String(String::new()))
            });
            run.field_set(&def.name, &value);
            fields.insert(def.name.as_str(), value);
        }
        run.condition_errors.into_inner()
    }

    /// Which rule of computed field `name` classifies `fields`: its index and the keyword that
    /// matched (`None` for a rule without keywords). `None` when no rule matches, when `name` is
    /// not computed, or when the value was given on the ticket (`given`).
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::reference();
    /// let input: OpenTicket = serde_json::from_str(
    ///     r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00","fields":{"text":"重复计费"}}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// // The second `category` rule (fees) matched on its keyword 重复计费.
    /// let rule = engine.matching_rule("category", ticket.fields(), false);
    /// assert_eq!(rule, Some((1, Some("重复计费".to_string()))));
    /// assert_eq!(engine.matching_rule("category", ticket.fields(), true), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matching_rule(
        &self,
        name: &str,
        fields: &FieldMap,
        given: bool,
    ) -> Option<(usize, Option<String>)> {
        let d = self.policy.derived.iter().position(|d| d.name == name)?;
        if given && self.policy.field(name).is_some() {
            return None;
        }
        let (i, hit) = self.first_rule(&Run::new(self), d, fields, &mut None)?;
        let keyword = hit.and_then(|k| self.policy.derived.get(d)?.rules.get(i)?.keywords.get(k));
        Some((i, keyword.cloned()))
    }

    /// The first rule of derived field `d` whose keywords and condition hold, with the index of
    /// the keyword that matched in its rule's list. `text` is the ticket's keyword text, built
    /// by the first rule with keywords that needs it.
    pub(super) fn first_rule(
        &self,
        run: &Run<'_>,
        d: usize,
        fields: &FieldMap,
        text: &mut Option<SearchText>,
    ) -> Option<(usize, Option<usize>)> {
        let def = self.policy.derived.get(d)?;
        let keywords = self.keywords.get(d)?;
        let hits = keywords.needed().then(|| {
            let text = text
                .get_or_insert_with(|| searchable_text(fields, &self.policy.fields, &self.reading));
            keywords.hits(text)
        });
        def.rules.iter().enumerate().find_map(|(i, rule)| {
            let hits = hits.as_ref();
            if hits.is_some_and(|h| h.vetoed.get(i).copied().unwrap_or(false)) {
                return None;
            }
            let kw = if rule.keywords.is_empty() {
                None
            } else {
                Some(hits.and_then(|h| h.first.get(i).copied().flatten())?)
            };
            rule.when.as_ref().is_none_or(|w| run.holds(w, fields)).then_some((i, kw))
        })
    }
}

/// The keyword rules of one derived field, searched for in one pass over each form of the text
/// (CJK keywords in the lowercased text, words and phrases in its stems).
#[derive(Debug, Clone)]
pub(super) struct Keywords {
    /// CJK keywords, lowercased; `None` when there are none.
    substrings: Option<AhoCorasick>,
    /// Words and phrases as ` stem stem `; `None` when there are none.
    words: Option<AhoCorasick>,
    /// Pattern id → owner, for each automaton.
    substring_owners: Vec<Owner>,
    word_owners: Vec<Owner>,
    /// For each rule, the fields (indices in the policy's `fields`) its keywords are looked for
    /// in.
    within: Vec<Vec<usize>>,
    /// Whether any rule has keywords or `unless` words (else the text is never built).
    any: bool,
    /// For each rule, whether it has CJK patterns (searched for in the lowercased text) and
    /// whether it has words (searched for in the stems).
    forms: Vec<(bool, bool)>,
    /// The first letter of every word of every word pattern.
    initials: BTreeSet<char>,
}

/// What the keyword rules of every derived field read of a ticket, worked out once per engine:
/// searching a ticket's text builds only these parts of it.
#[derive(Debug, Clone, Default)]
pub(super) struct Reading {
    /// The stemmer.
    words: Words,
    /// For each of the policy's fields: whether a rule looks for CJK keywords in it (its
    /// lowercased text is needed) and whether a rule looks for words in it (its stems are).
    fields: Vec<(bool, bool)>,
    /// The first letter of every keyword stem: only a word beginning with one of them can stem
    /// to a keyword's stem (see [`Words::push_stems_of`]).
    initials: BTreeSet<char>,
}

impl Reading {
    /// What `keywords` (one per derived field) read of the policy's `fields`.
    pub(super) fn of(keywords: &[Keywords], fields: &[FieldDef]) -> Self {
        let mut reading =
            Reading { fields: vec![(false, false); fields.len()], ..Reading::default() };
        for k in keywords {
            for (within, (raw, stems)) in k.within.iter().zip(&k.forms) {
                for f in within {
                    if let Some(slot) = reading.fields.get_mut(*f) {
                        slot.0 |= raw;
                        slot.1 |= stems;
                    }
                }
            }
            reading.initials.extend(&k.initials);
        }
        reading
    }
}

/// What a keyword pattern belongs to: a rule's keyword (by its index in the list) or a veto.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Keyword(usize, usize),
    Unless(usize),
}

/// For each rule of a derived field: the first keyword (by its index in the rule's list) found,
/// and whether an `unless` word vetoes the rule.
#[derive(Debug, Clone, Default)]
pub(super) struct Hits {
    pub(super) first: Vec<Option<usize>>,
    pub(super) vetoed: Vec<bool>,
}

/// A ticket's searchable text: every string and list field, lowercased, and its stems, with
/// where each field's part ends (so a match is attributed to its field).
#[derive(Debug, Default)]
pub(super) struct SearchText {
    raw: String,
    raw_ends: Vec<(usize, usize)>,
    stems: String,
    stem_ends: Vec<(usize, usize)>,
}

impl SearchText {
    /// The field (index in the policy's `fields`) whose part holds byte `at` of `ends`' text.
    fn field(ends: &[(usize, usize)], at: usize) -> Option<usize> {
        let i = ends.partition_point(|(end, _)| *end <= at);
        ends.get(i).map(|(_, f)| *f)
    }
}

impl Keywords {
    pub(super) fn new(def: &crate::compile::DeriveDef, policy_fields: &[FieldDef]) -> Self {
        let words = Words::default();
        let (mut subs, mut sub_owners, mut wps, mut word_owners) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Adds a keyword's pattern; `true` for words, `false` for a CJK substring.
        let mut add = |keyword: &str, owner: Owner| match words.pattern(keyword) {
            Pattern::Substring(p) => {
                subs.push(p);
                sub_owners.push(owner);
                false
            }
            Pattern::Words(p) => {
                wps.push(p);
                word_owners.push(owner);
                true
            }
        };
        let (mut within, mut forms) = (Vec::new(), Vec::new());
        for (r, rule) in def.rules.iter().enumerate() {
            let (mut cjk, mut latin) = (false, false);
            let keywords = rule.keywords.iter().enumerate().map(|(k, w)| (w, Owner::Keyword(r, k)));
            for (keyword, owner) in
                keywords.chain(rule.unless.iter().map(|w| (w, Owner::Unless(r))))
            {
                if add(keyword, owner) {
                    latin = true;
                } else {
                    cjk = true;
                }
            }
            forms.push((cjk, latin));
            within.push(
                policy_fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| {
                        if rule.within.is_empty() {
                            f.ty == FieldType::String
                        } else {
                            rule.within.contains(&f.name)
                        }
                    })
                    .map(|(i, _)| i)
                    .collect(),
            );
        }
        let any = def.rules.iter().any(|r| !r.keywords.is_empty() || !r.unless.is_empty());
        // Building fails only past limits far beyond any policy's keyword list (and the policy
        // loader caps file sizes); then no keyword matches.
        let build = |patterns: &[String]| {
            (!patterns.is_empty())
                .then(|| {
                    AhoCorasick::builder().match_kind(MatchKind::Standard).build(patterns).ok()
                })
                .flatten()
        };
        // Each pattern is ` stem stem `: the first letter of each of its words.
        let initials =
            wps.iter().flat_map(|p| p.split(' ').filter_map(|stem| stem.chars().next())).collect();
        Keywords {
            substrings: build(&subs),
            words: build(&wps),
            substring_owners: sub_owners,
            word_owners,
            within,
            any,
            forms,
            initials,
        }
    }

    /// Whether the rules need the ticket's text at all.
    pub(super) fn needed(&self) -> bool {
        self.any
    }

    /// For each rule, the first keyword of its list found in its fields, and its vetoes.
    pub(super) fn hits(&self, text: &SearchText) -> Hits {
        let rules = self.within.len();
        let mut hits = Hits { first: vec![None; rules], vetoed: vec![false; rules] };
        let searches = [
            (&self.substrings, &self.substring_owners, &text.raw, &text.raw_ends),
            (&self.words, &self.word_owners, &text.stems, &text.stem_ends),
        ];
        for (ac, owners, haystack, ends) in searches {
            let Some(ac) = ac else { continue };
            for m in ac.find_overlapping_iter(haystack.as_str()) {
                let Some(&owner) = owners.get(m.pattern().as_usize()) else { continue };
                let Some(field) = SearchText::field(ends, m.start()) else { continue };
                let rule = match owner {
                    Owner::Keyword(r, _) | Owner::Unless(r) => r,
                };
                if !self.within.get(rule).is_some_and(|w| w.contains(&field)) {
                    continue;
                }
                match owner {
                    Owner::Keyword(r, k) => {
                        if let Some(slot) = hits.first.get_mut(r) {
                            *slot = Some(slot.map_or(k, |old: usize| old.min(k)));
                        }
                    }
                    Owner::Unless(r) => {
                        if let Some(v) = hits.vetoed.get_mut(r) {
                            *v = true;
                        }
                    }
                }
            }
        }
        hits
    }
}

/// The searchable text of a ticket: each string field, and each string of each list field,
/// that a keyword rule reads, lowercased (for CJK keywords) and stemmed (for words) as the
/// rules reading it need, attributed to its field.
pub(super) fn searchable_text(
    fields: &FieldMap,
    defs: &[FieldDef],
    reading: &Reading,
) -> SearchText {
    let mut t = SearchText::default();
    let stem = |c: char| reading.initials.contains(&c);
    for (i, f) in defs.iter().enumerate() {
        let Some(&(raw, stems)) = reading.fields.get(i).filter(|(r, s)| *r || *s) else {
            continue;
        };
        let mut push = |s: &str| {
            let lower = s.to_lowercase();
            if raw {
                t.raw.push_str(&lower);
                t.raw.push('\n');
            }
            if stems {
                t.stems.push(' ');
                reading.words.push_stems_of(&lower, &mut t.stems, &stem);
                t.stems.push('\n');
            }
        };
        match (fields.get(&f.name), &f.ty) {
            (Some(Value::String(s)), FieldType::String) => push(s),
            (Some(Value::Array(items)), FieldType::List) => {
                items.iter().filter_map(Value::as_str).for_each(&mut push);
            }
            _ => continue,
        }
        if raw {
            t.raw_ends.push((t.raw.len(), i));
        }
        if stems {
            t.stem_ends.push((t.stems.len(), i));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::{Keywords, Reading, SearchText, searchable_text};
    use crate::compile::{DeriveDef, DeriveRule, FieldDef, FieldType};
    use crate::keywords::Words;
    use crate::runtime::{FieldMap, Text};
    use proptest::prelude::*;

    /// English words, inflected, and words the stemmer treats as exceptions.
    fn latin() -> impl Strategy<Value = String> {
        let words = vec![
            "leak",
            "leaking",
            "leaked",
            "late",
            "lately",
            "delay",
            "delayed",
            "dying",
            "die",
            "skies",
            "sky",
            "fee",
            "fees",
            "feedback",
            "bill",
            "billing",
            "double",
            "doubly",
            "charged",
            "overcharge",
            "twice",
            "for",
            "the",
            "data",
            "rude",
            "rudely",
            "tying",
        ];
        prop::collection::vec(prop::sample::select(words), 0..6).prop_map(|w| w.join(" "))
    }

    fn word() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec!["危", "险", "漏"]), 0..4)
            .prop_map(|parts| parts.concat())
    }

    /// The text of one string field `text`.
    fn one_field(text: &str) -> SearchText {
        let raw = format!("{}\n", text.to_lowercase());
        let mut t = SearchText { raw_ends: vec![(raw.len(), 0)], raw, ..SearchText::default() };
        t.stems.push(' ');
        Words::default().push_stems(&text.to_lowercase(), &mut t.stems);
        t.stems.push('\n');
        t.stem_ends.push((t.stems.len(), 0));
        t
    }

    proptest! {
        /// One pass over the text finds, for every rule, the same CJK keyword as searching for
        /// each keyword in turn: the first in the rule's list that the text contains.
        #[test]
        fn one_pass_finds_the_first_keyword_of_each_rule(
            rules in prop::collection::vec(prop::collection::vec(word(), 0..4), 1..5),
            text in word(),
        ) {
            let def = DeriveDef {
                name: "x".into(),
                rules: rules
                    .iter()
                    .map(|k| DeriveRule {
                        value: serde_json::Value::Null,
                        keywords: k.clone(),
                        unless: Vec::new(),
                        within: Vec::new(),
                        when: None,
                    })
                    .collect(),
            };
            let fields = [FieldDef { name: "text".into(), ty: FieldType::String, default: None, required: false }];
            let expected: Vec<Option<usize>> = rules
                .iter()
                .map(|ks| ks.iter().position(|k| text.contains(k.as_str())))
                .collect();
            prop_assert_eq!(Keywords::new(&def, &fields).hits(&one_field(&text)).first, expected);
        }

        /// The text a ticket is searched in, stemming only the words that begin as a keyword's
        /// stem does and only the fields a rule reads, gives every rule the same keywords and
        /// vetoes as every word of every field stemmed.
        #[test]
        fn stemming_only_what_can_match_finds_the_same(
            rules in prop::collection::vec(
                (prop::collection::vec(latin(), 0..3), prop::collection::vec(latin(), 0..2)),
                1..4,
            ),
            text in latin(),
            note in latin(),
        ) {
            let def = DeriveDef {
                name: "x".into(),
                rules: rules
                    .iter()
                    .enumerate()
                    .map(|(i, (keywords, unless))| DeriveRule {
                        value: serde_json::Value::Null,
                        keywords: keywords.iter().filter(|k| !k.is_empty()).cloned().collect(),
                        unless: unless.iter().filter(|k| !k.is_empty()).cloned().collect(),
                        // Every other rule reads `text` only.
                        within: if i % 2 == 1 { vec!["text".into()] } else { Vec::new() },
                        when: None,
                    })
                    .collect(),
            };
            let string = |name: &str| FieldDef {
                name: name.into(), ty: FieldType::String, default: None, required: false,
            };
            let fields = [string("note"), string("text")];
            let keywords = Keywords::new(&def, &fields);
            let reading = Reading::of(std::slice::from_ref(&keywords), &fields);
            let values = FieldMap::from_vec(vec![
                (Text::from("note"), serde_json::Value::String(note.clone())),
                (Text::from("text"), serde_json::Value::String(text.clone())),
            ]);
            let searched = keywords.hits(&searchable_text(&values, &fields, &reading));
            // Every word of both fields stemmed.
            let mut all = SearchText::default();
            for (i, s) in [&note, &text].into_iter().enumerate() {
                all.raw.push_str(&format!("{s}\n"));
                all.raw_ends.push((all.raw.len(), i));
                all.stems.push(' ');
                Words::default().push_stems(s, &mut all.stems);
                all.stems.push('\n');
                all.stem_ends.push((all.stems.len(), i));
            }
            let full = keywords.hits(&all);
            prop_assert_eq!(searched.first, full.first);
            prop_assert_eq!(searched.vetoed, full.vetoed);
        }
    }
}
