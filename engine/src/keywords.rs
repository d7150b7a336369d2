//! How `derive` keywords match text: in Latin-script text as whole words and phrases,
//! case-insensitively and across inflections (each word reduced to its English Snowball stem, so
//! `delay` matches "delayed" and `leak` "leaking", but `fee` does not match "feedback"); in CJK
//! text (Han, kana, Hangul) as substrings, since those scripts do not separate words.

use rust_stemmers::{Algorithm, Stemmer};

/// Whether `c` is of a script written without spaces between words.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0xAC00..=0xD7AF | 0x20000..=0x2FA1F)
}

/// A keyword as it is searched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// A keyword with CJK characters: the lowercased keyword, found anywhere in the text.
    Substring(String),
    /// A word or phrase: its words' stems between spaces (` s1 s2 `), found in the stemmed text.
    Words(String),
}

/// Reduces words to their stems.
pub(crate) struct Words {
    stemmer: Stemmer,
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Words")
    }
}

impl Clone for Words {
    fn clone(&self) -> Self {
        Words::default()
    }
}

impl Default for Words {
    fn default() -> Self {
        Words { stemmer: Stemmer::create(Algorithm::English) }
    }
}

impl Words {
    /// The stem of one lowercased word.
    pub(crate) fn stem<'a>(&self, word: &'a str) -> std::borrow::Cow<'a, str> {
        self.stemmer.stem(word)
    }

    /// How `keyword` is searched for.
    pub(crate) fn pattern(&self, keyword: &str) -> Pattern {
        let lower = keyword.to_lowercase();
        if lower.chars().any(is_cjk) {
            return Pattern::Substring(lower);
        }
        let mut out = String::from(" ");
        self.push_stems(&lower, &mut out);
        Pattern::Words(out)
    }

    /// Appends the stems of the words of lowercased `text` to `out`, each followed by a space
    /// (words: runs of letters and digits that are not CJK; apostrophes inside a word are kept).
    pub(crate) fn push_stems(&self, text: &str, out: &mut String) {
        self.push_stems_of(text, out, &|_| true);
    }

    /// As [`Words::push_stems`], stemming only the words whose first letter `stem` accepts; any
    /// other word is appended as written. The English stemmer rewrites suffixes only, so a
    /// word's stem begins with the word's first letter: a word whose first letter begins no
    /// keyword's stem is not one, stemmed or not, and its stem need not be worked out (stemming
    /// is most of the cost of searching a ticket's text).
    pub(crate) fn push_stems_of(&self, text: &str, out: &mut String, stem: &dyn Fn(char) -> bool) {
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'') || is_cjk(c)) {
            let word = word.trim_matches('\'');
            match word.chars().next() {
                Some(first) if stem(first) => out.push_str(&self.stem(word)),
                Some(_) => out.push_str(word),
                None => continue,
            }
            out.push(' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text a pattern searches for.
    fn inner(p: Pattern) -> String {
        match p {
            Pattern::Words(s) | Pattern::Substring(s) => s,
        }
    }

    fn stems(text: &str) -> String {
        let mut out = String::from(" ");
        Words::default().push_stems(&text.to_lowercase(), &mut out);
        out
    }

    #[test]
    fn inflections_share_a_stem_and_longer_words_do_not() {
        let w = Words::default();
        assert!(stems("The repair was Delayed twice").contains(&inner(w.pattern("delay"))));
        assert!(stems("gas leaking").contains(&inner(w.pattern("Leak"))));
        assert!(!stems("thanks for the feedback").contains(&inner(w.pattern("fee"))));
        assert!(
            stems("charged twice: double billing!").contains(&inner(w.pattern("double billing")))
        );
        assert_eq!(w.pattern("漏电"), Pattern::Substring("漏电".into()));
        assert_eq!(stems("漏电了 fire"), " fire ");
    }

    proptest::proptest! {
        /// A stem begins with its word's first letter (what lets the search stem only the words
        /// that begin as a keyword's stem does): over words built from stems and the suffixes
        /// the English stemmer rewrites, including its exceptions (`dying` → `die`).
        #[test]
        fn a_stem_begins_with_its_words_first_letter(
            stem in "[a-z]{1,6}",
            suffix in proptest::sample::select(vec![
                "", "s", "es", "ies", "ied", "ed", "eed", "ing", "ingly", "edly", "ly", "y",
                "ational", "tional", "enci", "izer", "ization", "ation", "ator", "alism",
                "aliti", "alli", "fulness", "ousli", "ousness", "iveness", "iviti", "biliti",
                "bli", "ogi", "fulli", "lessli", "li", "icate", "ative", "alize", "iciti",
                "ical", "ful", "ness", "ement", "ment", "ent", "ism", "ion", "'s", "s'",
            ]),
        ) {
            let w = Words::default();
            for word in [format!("{stem}{suffix}"), "dying".into(), "skies".into(), "ugly".into()] {
                let first = word.chars().next();
                proptest::prop_assert_eq!(w.stem(&word).chars().next(), first, "{}", word);
            }
        }
    }
}
