//! Computed fields: keyword and condition rules, first match wins.

use super::{Engine, Run};
use crate::compile::{CompiledPolicy, FieldType};
use crate::runtime::{ConditionError, FieldMap};
use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;

impl Engine {
    /// Computes derived fields in declaration order; a value given for a declared field wins.
    /// Returns the conditions that could not be evaluated.
    pub(super) fn derive(
        &self,
        fields: &mut FieldMap,
        given: &dyn Fn(&str) -> bool,
    ) -> Vec<ConditionError> {
        let run = Run::new(self);
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
        text: &mut Option<String>,
    ) -> Option<(usize, Option<usize>)> {
        let def = self.policy.derived.get(d)?;
        let keywords = self.keywords.get(d)?;
        let mut hits = None;
        def.rules.iter().enumerate().find_map(|(i, rule)| {
            let kw = if rule.keywords.is_empty() {
                None
            } else {
                let text = text.get_or_insert_with(|| searchable_text(fields, &self.policy));
                let hits: &Vec<Option<usize>> = hits.get_or_insert_with(|| keywords.hits(text));
                Some(hits.get(i).copied().flatten()?)
            };
            rule.when.as_ref().is_none_or(|w| run.holds(w, fields)).then_some((i, kw))
        })
    }
}

/// The keyword rules of one derived field, searched for in one pass over the text.
#[derive(Debug, Clone)]
pub(super) struct Keywords {
    /// Every keyword of every rule, lowercased; `None` when no rule has keywords.
    automaton: Option<AhoCorasick>,
    /// Pattern id → (rule, index of the keyword in the rule's list).
    owners: Vec<(usize, usize)>,
    rules: usize,
}

impl Keywords {
    pub(super) fn new(def: &crate::compile::DeriveDef) -> Self {
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        for (r, rule) in def.rules.iter().enumerate() {
            for (k, keyword) in rule.keywords.iter().enumerate() {
                patterns.push(keyword.to_lowercase());
                owners.push((r, k));
            }
        }
        // Building fails only past limits far beyond any policy's keyword list (and the policy
        // loader caps file sizes); then no keyword matches.
        let automaton = (!patterns.is_empty())
            .then(|| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns).ok())
            .flatten();
        Keywords { automaton, owners, rules: def.rules.len() }
    }

    /// For each rule, the first keyword of its list (by position in the list) found in `text`.
    pub(super) fn hits(&self, text: &str) -> Vec<Option<usize>> {
        let mut hits = vec![None; self.rules];
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text) {
                if let Some(&(r, k)) = self.owners.get(m.pattern().as_usize())
                    && let Some(slot) = hits.get_mut(r)
                {
                    *slot = Some(slot.map_or(k, |old: usize| old.min(k)));
                }
            }
        }
        hits
    }
}

/// Lowercased text of every string field (and strings inside lists), for keyword rules.
pub(super) fn searchable_text(fields: &FieldMap, policy: &CompiledPolicy) -> String {
    let mut text = String::new();
    let mut push = |s: &str| {
        text.push_str(&s.to_lowercase());
        text.push('\n');
    };
    // The type first: only string and list fields are looked up.
    for f in policy.fields.iter().filter(|f| matches!(f.ty, FieldType::String | FieldType::List)) {
        match (fields.get(&f.name), &f.ty) {
            (Some(Value::String(s)), FieldType::String) => push(s),
            (Some(Value::Array(items)), FieldType::List) => {
                items.iter().filter_map(Value::as_str).for_each(&mut push);
            }
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::Keywords;
    use crate::compile::{DeriveDef, DeriveRule};
    use proptest::prelude::*;

    fn word() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec!["a", "b", "危", "B"]), 0..4)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// One pass over the text finds, for every rule, the same keyword as searching for each
        /// keyword in turn: the first in the rule's list that the text contains.
        #[test]
        fn one_pass_finds_the_first_keyword_of_each_rule(
            rules in prop::collection::vec(prop::collection::vec(word(), 0..4), 1..5),
            text in word(),
        ) {
            let def = DeriveDef {
                name: "x".into(),
                rules: rules
                    .iter()
                    .map(|k| DeriveRule { value: serde_json::Value::Null, keywords: k.clone(), when: None })
                    .collect(),
            };
            let text = text.to_lowercase();
            let expected: Vec<Option<usize>> = rules
                .iter()
                .map(|ks| ks.iter().position(|k| text.contains(k.to_lowercase().as_str())))
                .collect();
            prop_assert_eq!(Keywords::new(&def).hits(&text), expected);
        }
    }
}
