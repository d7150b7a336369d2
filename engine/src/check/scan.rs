//! A small scanner over condition text that finds comparisons of a name with string literals
//! (`name == "lit"`, `"lit" == name`, `name != "lit"`, `name in ["a", "b"]`), so the checker can
//! tell when a literal is not one of an enum's values.

/// One `name <op> "literal"` comparison found in an expression.
///
/// ```
/// let when = r#"category == "fees" && severity != "majr""#;
/// let found = ombud_engine::check::scan::comparisons(when);
/// let last = &found[1];
/// assert_eq!((last.name.as_str(), last.literal.as_str()), ("severity", "majr"));
/// assert_eq!(&when[last.offset..last.offset + last.len], r#""majr""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The variable compared.
    pub name: String,
    /// The literal's text (unescaped for simple escapes).
    pub literal: String,
    /// Byte offset of the literal's opening quote in the expression.
    pub offset: usize,
    /// Byte length of the literal including its quotes.
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String, usize, usize),
    Op(&'static str),
    Punct(char),
}

fn lex(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = src.get(s..i).unwrap_or_default();
            if word == "in" {
                out.push(Tok::Op("in"));
            } else {
                out.push(Tok::Ident(word.to_string()));
            }
        } else if c == b'"' || c == b'`' {
            let s = i;
            i += 1;
            let mut lit = String::new();
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                let ch = src.get(i..).and_then(|r| r.chars().next()).unwrap_or(' ');
                lit.push(ch);
                i += ch.len_utf8();
            }
            i += 1;
            out.push(Tok::Str(lit, s, i.min(b.len()) - s));
        } else if src.get(i..).is_some_and(|r| r.starts_with("==")) {
            out.push(Tok::Op("=="));
            i += 2;
        } else if src.get(i..).is_some_and(|r| r.starts_with("!=")) {
            out.push(Tok::Op("!="));
            i += 2;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else {
            let ch = src.get(i..).and_then(|r| r.chars().next()).unwrap_or(' ');
            out.push(Tok::Punct(ch));
            i += ch.len_utf8().max(1);
        }
    }
    out
}

/// Every plain variable read by `src` (not a member, not a function), with its byte offset.
///
/// ```
/// use ombud_engine::check::scan::variables;
/// let vars: Vec<_> = variables(r#"text.contains("x") || severity == "major""#)
///     .into_iter().map(|(name, _)| name).collect();
/// assert_eq!(vars, ["text", "severity"]);
/// ```
pub fn variables(src: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let toks = lex(src);
    let mut search_from = 0;
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        let before = i.checked_sub(1).and_then(|j| toks.get(j));
        let after = toks.get(i + 1);
        // Find this identifier's offset (tokens are in source order).
        let Some(rel) = src.get(search_from..).and_then(|r| find_word(r, name)) else { continue };
        let offset = search_from + rel;
        search_from = offset + name.len();
        let keyword = matches!(name.as_str(), "true" | "false" | "if" | "else" | "not");
        if keyword
            || matches!(before, Some(Tok::Punct('.')))
            || matches!(after, Some(Tok::Punct('(')))
        {
            continue;
        }
        out.push((name.clone(), offset));
    }
    out
}

fn find_word(haystack: &str, word: &str) -> Option<usize> {
    let hb = haystack.as_bytes();
    let mut from = 0;
    while let Some(i) = haystack.get(from..).and_then(|h| h.find(word)) {
        let at = from + i;
        let end = at + word.len();
        let ident = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        let quoted_before = haystack.get(..at).is_some_and(|p| p.matches('"').count() % 2 == 1);
        if !ident(at.checked_sub(1).and_then(|j| hb.get(j)))
            && !ident(hb.get(end))
            && !quoted_before
        {
            return Some(at);
        }
        from = end;
    }
    None
}

/// Every comparison of a plain variable with string literals in `src`.
///
/// ```
/// use ombud_engine::check::scan::comparisons;
/// let found = comparisons(r#"category == "feez" || channel in ["app", "wbe"]"#);
/// let lits: Vec<_> = found.iter().map(|c| (c.name.as_str(), c.literal.as_str())).collect();
/// assert_eq!(lits, [("category", "feez"), ("channel", "app"), ("channel", "wbe")]);
/// ```
pub fn comparisons(src: &str) -> Vec<Comparison> {
    let toks = lex(src);
    let mut out = Vec::new();
    // A plain variable: not a member (`x.name`) and not called or accessed further.
    let plain = |i: usize| -> bool {
        let before = i.checked_sub(1).and_then(|j| toks.get(j));
        let after = toks.get(i + 1);
        !matches!(before, Some(Tok::Punct('.')))
            && !matches!(after, Some(Tok::Punct('.' | '(' | '[')))
    };
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        if !plain(i) {
            continue;
        }
        match (toks.get(i + 1), toks.get(i + 2)) {
            (Some(Tok::Op("==" | "!=")), Some(Tok::Str(lit, off, len))) => {
                out.push(Comparison {
                    name: name.clone(),
                    literal: lit.clone(),
                    offset: *off,
                    len: *len,
                });
            }
            (Some(Tok::Op("in")), Some(Tok::Punct('['))) => {
                let mut j = i + 3;
                while let Some(tok) = toks.get(j) {
                    match tok {
                        Tok::Str(lit, off, len) => out.push(Comparison {
                            name: name.clone(),
                            literal: lit.clone(),
                            offset: *off,
                            len: *len,
                        }),
                        Tok::Punct(',') => {}
                        _ => break,
                    }
                    j += 1;
                }
            }
            _ => {}
        }
        if let (Some(Tok::Op("==" | "!=")), Some(Tok::Str(lit, off, len))) =
            (i.checked_sub(1).and_then(|j| toks.get(j)), i.checked_sub(2).and_then(|j| toks.get(j)))
        {
            out.push(Comparison {
                name: name.clone(),
                literal: lit.clone(),
                offset: *off,
                len: *len,
            });
        }
    }
    out.sort_by_key(|c| c.offset);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_both_orders_and_skips_members() {
        let c = comparisons(r#""major" == severity && x.kind == "a" && text.contains("b")"#);
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].name.as_str(), c[0].literal.as_str(), c[0].offset),
            ("severity", "major", 0)
        );
    }
}
