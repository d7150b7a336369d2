//! A small scanner over condition text that finds comparisons of a name with string literals
//! (`name == "lit"`, `"lit" == name`, `name != "lit"`, `name in ["a", "b"]`), so the checker can
//! tell when a literal is not one of an enum's values.

use crate::expr::lex::{Tok, Token, lex};

/// One `name <op> "literal"` comparison found in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comparison {
    /// The variable compared.
    pub name: String,
    /// The literal's text, decoded.
    pub literal: String,
    /// Byte offset of the literal's opening quote in the expression.
    pub offset: usize,
    /// Byte length of the literal including its quotes.
    pub len: usize,
}

/// Words that are never a variable.
const KEYWORDS: [&str; 8] = ["true", "false", "if", "else", "not", "in", "this", "switch"];

/// Every plain variable read by `src` (not a member, not a function, not a keyword), with its
/// byte offset.
pub(crate) fn variables(src: &str) -> Vec<(String, usize)> {
    let toks = lex(src);
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(name) = &t.tok else { continue };
        let before = i.checked_sub(1).and_then(|j| toks.get(j)).map(|t| &t.tok);
        let after = toks.get(i + 1).map(|t| &t.tok);
        if KEYWORDS.contains(&name.as_str())
            || before == Some(&Tok::Punct('.'))
            || after == Some(&Tok::Punct('('))
        {
            continue;
        }
        out.push((name.clone(), t.offset));
    }
    out
}

/// Every comparison of a plain variable with string literals in `src`.
pub(crate) fn comparisons(src: &str) -> Vec<Comparison> {
    let toks = lex(src);
    let tok = |i: Option<usize>| i.and_then(|i| toks.get(i)).map(|t| &t.tok);
    let literal = |name: &str, t: &Token| match &t.tok {
        Tok::Str(lit) => Some(Comparison {
            name: name.to_string(),
            literal: lit.clone(),
            offset: t.offset,
            len: t.len,
        }),
        _ => None,
    };
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(name) = &t.tok else { continue };
        // A plain variable: not a member (`x.name`) and not called or accessed further.
        let member = tok(i.checked_sub(1)) == Some(&Tok::Punct('.'));
        let called = matches!(tok(Some(i + 1)), Some(Tok::Punct('.' | '(' | '[')));
        if member || called || KEYWORDS.contains(&name.as_str()) {
            continue;
        }
        match (tok(Some(i + 1)), toks.get(i + 2)) {
            (Some(Tok::Op("==" | "!=")), Some(lit)) => out.extend(literal(name, lit)),
            (Some(Tok::Ident(word)), Some(open)) if word == "in" && open.tok == Tok::Punct('[') => {
                let mut j = i + 3;
                while let Some(item) = toks.get(j) {
                    match &item.tok {
                        Tok::Str(_) => out.extend(literal(name, item)),
                        Tok::Punct(',') => {}
                        _ => break,
                    }
                    j += 1;
                }
            }
            _ => {}
        }
        if let (Some(Tok::Op("==" | "!=")), Some(lit)) =
            (tok(i.checked_sub(1)), i.checked_sub(2).and_then(|j| toks.get(j)))
        {
            out.extend(literal(name, lit));
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
