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

/// One side of a comparison: a plain variable or a literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// A variable, by name.
    Var(String),
    /// A string literal, decoded.
    Str(String),
    /// A number as written (with its sign).
    Num(String),
    /// `true` or `false`.
    Bool(bool),
}

/// An operand and where it is written: byte offset and length in the expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Side {
    pub operand: Operand,
    pub offset: usize,
    pub len: usize,
}

/// `left <op> right`, where both sides are plain operands (`x == "a"`, `5 < amount`, and each
/// item of `x in [...]`, with the operator `in`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Compare {
    pub left: Side,
    pub op: &'static str,
    pub right: Side,
}

/// The operand at token `i` and the index of the token after it (a negative number is two
/// tokens).
fn operand(toks: &[Token], i: usize) -> Option<(Side, usize)> {
    let t = toks.get(i)?;
    let side = |operand, end: &Token| Side {
        operand,
        offset: t.offset,
        len: end.offset + end.len - t.offset,
    };
    match &t.tok {
        Tok::Str(s) => Some((side(Operand::Str(s.clone()), t), i + 1)),
        Tok::Number(n) => Some((side(Operand::Num(n.clone()), t), i + 1)),
        Tok::Ident(w) if w == "true" || w == "false" => {
            Some((side(Operand::Bool(w == "true"), t), i + 1))
        }
        Tok::Ident(w) if !KEYWORDS.contains(&w.as_str()) => {
            let member = i.checked_sub(1).and_then(|j| toks.get(j)).map(|t| &t.tok)
                == Some(&Tok::Punct('.'));
            let called =
                matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Punct('.' | '(' | '[')));
            (!member && !called).then(|| (side(Operand::Var(w.clone()), t), i + 1))
        }
        Tok::Punct('-') => match toks.get(i + 1) {
            Some(n @ Token { tok: Tok::Number(text), .. }) => {
                Some((side(Operand::Num(format!("-{text}")), n), i + 2))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether a token can stand before an operand whose comparison is not part of a tighter
/// expression (`a + b == c` is not `b == c`).
fn opens(t: Option<&Tok>) -> bool {
    matches!(t, None | Some(Tok::Punct('(' | ',' | '[')) | Some(Tok::Op("&&" | "||")))
}

/// Whether a token can stand after a comparison's right side.
fn closes(t: Option<&Tok>) -> bool {
    matches!(t, None | Some(Tok::Punct(')' | ',' | ']')) | Some(Tok::Op("&&" | "||")))
}

/// Every comparison of two plain operands in `src`.
pub(crate) fn typed_comparisons(src: &str) -> Vec<Compare> {
    let toks = lex(src);
    let tok = |i: usize| toks.get(i).map(|t| &t.tok);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        if !opens(i.checked_sub(1).and_then(tok)) {
            continue;
        }
        let Some((left, next)) = operand(&toks, i) else { continue };
        let op = match tok(next) {
            Some(Tok::Op(op @ ("==" | "!=" | "<=" | ">="))) => *op,
            Some(Tok::Punct('<')) => "<",
            Some(Tok::Punct('>')) => ">",
            Some(Tok::Ident(w)) if w == "in" && tok(next + 1) == Some(&Tok::Punct('[')) => {
                let mut j = next + 2;
                while let Some((right, after)) = operand(&toks, j) {
                    out.push(Compare { left: left.clone(), op: "in", right });
                    if tok(after) != Some(&Tok::Punct(',')) {
                        break;
                    }
                    j = after + 1;
                }
                continue;
            }
            _ => continue,
        };
        let Some((right, after)) = operand(&toks, next + 1) else { continue };
        if closes(tok(after)) {
            out.push(Compare { left, op, right });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_comparisons_take_plain_operands_only() {
        let c = typed_comparisons(r#"flag == "true" && a + b == 5 && (-3 < n) && k in ["x", 2]"#);
        let shown: Vec<String> = c
            .iter()
            .map(|c| format!("{:?} {} {:?}", c.left.operand, c.op, c.right.operand))
            .collect();
        assert_eq!(
            shown,
            [
                r#"Var("flag") == Str("true")"#,
                r#"Num("-3") < Var("n")"#,
                r#"Var("k") in Str("x")"#,
                r#"Var("k") in Num("2")"#,
            ]
        );
        assert_eq!((c[0].right.offset, c[0].right.len), (8, 6));
    }

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
