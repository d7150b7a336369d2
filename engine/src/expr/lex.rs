//! The one lexer for condition text, shared by the direct evaluator ([`super::fast`]), the names a
//! condition reads ([`super::Expr::variables`]) and the checks that look at literals
//! (`check::scan`). It reads literals as rhai does:
//!
//! - `"…"`: a string with escapes (`\n`, `\t`, `\r`, `\\`, `\"`, `\xHH`, `\uHHHH`,
//!   `\UHHHHHHHH`); a doubled `""` is one `"`;
//! - `` `…` ``: a string taken verbatim (a backslash is a backslash), which may span lines; a
//!   doubled ` `` ` is one backtick; `${…}` interpolates an expression, whose names are read;
//! - `'x'`: one character, with the same escapes as `"…"`.
//!
//! Text the lexer cannot read (an unterminated literal, an unknown escape) ends the token list:
//! rhai refuses such a condition anyway, and the checks then have nothing more to look at.

/// A token and where it is: byte offset and length in the condition's text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) offset: usize,
    pub(crate) len: usize,
}

/// The kinds of token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A name or a keyword.
    Ident(String),
    /// A number as written (`12`, `0.5`, `1_000`, `1e3`, `0x1f`).
    Number(String),
    /// A string literal, decoded.
    Str(String),
    /// A backtick string with `${…}` in it (not a literal); the tokens of each interpolated
    /// expression follow it.
    Interpolated,
    /// A character literal.
    Char(char),
    /// `==`, `!=`, `<=`, `>=`, `&&`, `||`.
    Op(&'static str),
    /// Any other single character (`(`, `.`, `<`, `!`, …).
    Punct(char),
}

/// The tokens of `src`.
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    lex_into(src, 0, &mut out);
    out
}

fn lex_into(src: &str, base: usize, out: &mut Vec<Token>) {
    let b = src.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let start = i;
        let push = |out: &mut Vec<Token>, tok, end: usize| {
            out.push(Token { tok, offset: base + start, len: end - start });
        };
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') {
                i += 1;
            }
            push(out, Tok::Ident(src[start..i].to_string()), i);
        } else if c.is_ascii_digit() {
            loop {
                match b.get(i) {
                    Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => i += 1,
                    Some(b'.') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
                    _ => break,
                }
            }
            push(out, Tok::Number(src[start..i].to_string()), i);
        } else if c == b'"' || c == b'\'' {
            let Some((text, end)) = quoted(src, i, c) else { return };
            i = end;
            let tok = if c == b'"' {
                Tok::Str(text)
            } else {
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(ch), None) => Tok::Char(ch),
                    _ => return,
                }
            };
            push(out, tok, i);
        } else if c == b'`' {
            let Some((text, parts, end)) = verbatim(src, i) else { return };
            i = end;
            if parts.is_empty() {
                push(out, Tok::Str(text), i);
            } else {
                push(out, Tok::Interpolated, i);
                for (from, to) in parts {
                    lex_into(&src[from..to], base + from, out);
                }
            }
        } else if let Some(op) =
            ["==", "!=", "<=", ">=", "&&", "||"].into_iter().find(|op| src[i..].starts_with(op))
        {
            i += 2;
            push(out, Tok::Op(op), i);
        } else {
            let Some(ch) = src[i..].chars().next() else { return };
            i += ch.len_utf8();
            push(out, Tok::Punct(ch), i);
        }
    }
}

/// The decoded text of the `"…"` or `'…'` literal opening at byte `at`, and the byte after it.
fn quoted(src: &str, at: usize, quote: u8) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut chars = src[at + 1..].char_indices().map(|(k, ch)| (at + 1 + k, ch)).peekable();
    while let Some((k, ch)) = chars.next() {
        match ch {
            '\n' => return None,
            _ if ch == char::from(quote) => {
                // A doubled quote is one quote.
                if chars.peek().is_some_and(|&(_, next)| next == ch) {
                    chars.next();
                    text.push(ch);
                } else {
                    return Some((text, k + 1));
                }
            }
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => text.push('\n'),
                    'r' => text.push('\r'),
                    't' => text.push('\t'),
                    '\\' => text.push('\\'),
                    'x' | 'u' | 'U' => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut code = 0u32;
                        for _ in 0..digits {
                            code = code * 16 + chars.next()?.1.to_digit(16)?;
                        }
                        text.push(char::from_u32(code)?);
                    }
                    // A line continuation: the string goes on after the line's indentation.
                    '\n' => while chars.next_if(|&(_, c)| c == ' ' || c == '\t').is_some() {},
                    _ if e == char::from(quote) => text.push(e),
                    _ => return None,
                }
            }
            _ => text.push(ch),
        }
    }
    None
}

/// A backtick literal: its text, the byte ranges of its `${…}` expressions, and the byte after
/// it.
type Verbatim = (String, Vec<(usize, usize)>, usize);

/// The backtick literal opening at byte `at`.
fn verbatim(src: &str, at: usize) -> Option<Verbatim> {
    let b = src.as_bytes();
    let mut text = String::new();
    let mut parts = Vec::new();
    let mut i = at + 1;
    // A line break right after the opening backtick is not part of the text.
    if b.get(i) == Some(&b'\r') {
        i += 1;
    }
    if b.get(i) == Some(&b'\n') {
        i += 1;
    }
    loop {
        let ch = src.get(i..)?.chars().next()?;
        match ch {
            '`' if b.get(i + 1) == Some(&b'`') => {
                text.push('`');
                i += 2;
            }
            '`' => return Some((text, parts, i + 1)),
            '\\' if src[i..].starts_with("\\${") => {
                text.push('$');
                i += 2;
            }
            '$' if b.get(i + 1) == Some(&b'{') => {
                // The expression runs to the matching brace.
                let from = i + 2;
                let mut depth = 1;
                let mut j = from;
                while depth > 0 {
                    match b.get(j)? {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                parts.push((from, j - 1));
                i = j;
            }
            _ => {
                text.push(ch);
                i += ch.len_utf8();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Tok, lex};
    use crate::expr::ExprEngine;
    use serde_json::Value;
    use std::collections::BTreeMap;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src).into_iter().map(|t| t.tok).collect()
    }

    /// Every literal decodes to the value rhai gives it: rhai compares the literal with a field
    /// holding the lexer's text, and finds them equal.
    #[test]
    fn literals_read_as_rhai_reads_them() {
        let engine = ExprEngine::new();
        for literal in [
            r#""plain""#,
            r#""a\"b""#,
            r#""a""b""#,
            r#""tab\there\\""#,
            r#""\u0041\x42\U00000043""#,
            r#""it's""#,
            "`verbatim \\n stays`",
            "`a``b`",
            "`\\${not interpolated}`",
            "`two\nlines`",
            "`\nafter the break`",
            "'x'",
            r"'\n'",
            r"'\''",
            "'\"'",
        ] {
            let decoded = match kinds(literal).as_slice() {
                [Tok::Str(s)] => s.clone(),
                [Tok::Char(c)] => c.to_string(),
                other => panic!("{literal}: {other:?}"),
            };
            let vars = BTreeMap::from([("x".to_string(), Value::String(decoded.clone()))]);
            let condition = if literal.starts_with('\'') {
                format!("x == to_string({literal})")
            } else {
                format!("x == {literal}")
            };
            let compiled = engine.compile(&condition, &vars).unwrap();
            assert_eq!(engine.eval_bool(&compiled, &vars), Ok(true), "{literal} is {decoded:?}");
        }
    }

    #[test]
    fn names_inside_interpolations_are_read_and_offsets_point_at_them() {
        let src = "`lane ${severity} of ${ #{a: channel}.a }` == lane";
        let tokens = lex(src);
        let names: Vec<(&str, &str)> = tokens
            .iter()
            .filter_map(|t| match &t.tok {
                Tok::Ident(n) => Some((n.as_str(), &src[t.offset..t.offset + t.len])),
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            [
                ("severity", "severity"),
                ("a", "a"),
                ("channel", "channel"),
                ("a", "a"),
                ("lane", "lane")
            ]
        );
        assert_eq!(tokens[0].tok, Tok::Interpolated);
    }

    #[test]
    fn quotes_inside_other_literals_are_text() {
        assert_eq!(
            kinds(r#"text == "'x'" && note == `"y"` && c == '`'"#),
            [
                Tok::Ident("text".into()),
                Tok::Op("=="),
                Tok::Str("'x'".into()),
                Tok::Op("&&"),
                Tok::Ident("note".into()),
                Tok::Op("=="),
                Tok::Str("\"y\"".into()),
                Tok::Op("&&"),
                Tok::Ident("c".into()),
                Tok::Op("=="),
                Tok::Char('`'),
            ]
        );
        // Unterminated: the list ends where the lexer cannot go on.
        assert_eq!(kinds(r#"a == "open"#), [Tok::Ident("a".into()), Tok::Op("==")]);
    }
}
