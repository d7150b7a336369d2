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
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'') || is_cjk(c)) {
            let word = word.trim_matches('\'');
            if !word.is_empty() {
                out.push_str(&self.stem(word));
                out.push(' ');
            }
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
}
