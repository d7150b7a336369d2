//! A direct evaluator for the conditions policies write most: comparisons of fields with
//! literals, `.len()` of a list, `!`, `&&`, `||` and parentheses.
//!
//! It reads the ticket's JSON values in place, so a condition like `severity == "major"` costs a
//! map lookup and a string comparison instead of a rhai scope and an AST walk. It is an
//! accelerator, never a second language: an expression is given a fast form only when it parses
//! completely in the subset below (and rhai compiled it first), and evaluation answers only when
//! every value has the type the subset handles. Anything else (a missing value, a number compared
//! with a string, a non-boolean condition) returns `None` and rhai evaluates the whole expression,
//! so results and errors are rhai's. A property test checks the two agree.
//!
//! ```text
//! or      := and ("||" and)*
//! and     := cmp ("&&" cmp)*
//! cmp     := unary (("==" | "!=" | "<" | "<=" | ">" | ">=") unary)?
//! unary   := "!" unary | "(" or ")" | operand
//! operand := name | name ".len()" | integer | float | "string" | true | false
//! ```

use super::Vars;
use serde_json::Value;
use std::cmp::Ordering;

/// A condition in the fast subset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fast {
    Or(Box<Fast>, Box<Fast>),
    And(Box<Fast>, Box<Fast>),
    Not(Box<Fast>),
    Cmp(Box<Fast>, Op, Box<Fast>),
    Field(String),
    Len(String),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value during fast evaluation.
#[derive(Debug, Clone, Copy)]
enum V<'a> {
    Int(i64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
}

impl Fast {
    /// The fast form of `source`, if all of it is in the subset and every name is in `names`.
    pub(crate) fn parse(source: &str, names: &dyn Fn(&str) -> bool) -> Option<Fast> {
        let tokens = tokenize(source)?;
        let mut p = Parser { tokens: &tokens, pos: 0, names, depth: 0 };
        let e = p.or()?;
        (p.pos == tokens.len()).then_some(e)
    }

    /// The condition's value over `fields`, or `None` when rhai must decide.
    pub(crate) fn eval(&self, fields: &impl Vars) -> Option<bool> {
        match self.value(fields)? {
            V::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn value<'a, F: Vars>(&'a self, fields: &'a F) -> Option<V<'a>> {
        Some(match self {
            Fast::Or(a, b) => V::Bool(a.eval(fields)? || b.eval(fields)?),
            Fast::And(a, b) => V::Bool(a.eval(fields)? && b.eval(fields)?),
            Fast::Not(a) => V::Bool(!a.eval(fields)?),
            Fast::Cmp(a, op, b) => V::Bool(compare(a.value(fields)?, *op, b.value(fields)?)?),
            Fast::Field(name) => match fields.var(name)? {
                Value::Bool(b) => V::Bool(*b),
                Value::String(s) => V::Str(s),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => V::Int(i),
                    None => V::Float(n.as_f64()?),
                },
                _ => return None,
            },
            Fast::Len(name) => match fields.var(name)? {
                Value::Array(items) => V::Int(i64::try_from(items.len()).ok()?),
                Value::String(s) => V::Int(i64::try_from(s.chars().count()).ok()?),
                _ => return None,
            },
            Fast::Int(i) => V::Int(*i),
            Fast::Float(f) => V::Float(*f),
            Fast::Str(s) => V::Str(s),
            Fast::Bool(b) => V::Bool(*b),
        })
    }
}

/// Compares as rhai does for the type pairs it defines; `None` for any other pair.
fn compare(a: V<'_>, op: Op, b: V<'_>) -> Option<bool> {
    let ord = match (a, b) {
        (V::Int(x), V::Int(y)) => x.cmp(&y),
        (V::Int(x), V::Float(y)) => (x as f64).partial_cmp(&y)?,
        (V::Float(x), V::Int(y)) => x.partial_cmp(&(y as f64))?,
        (V::Float(x), V::Float(y)) => x.partial_cmp(&y)?,
        (V::Str(x), V::Str(y)) => x.cmp(y),
        (V::Bool(x), V::Bool(y)) if matches!(op, Op::Eq | Op::Ne) => x.cmp(&y),
        _ => return None,
    };
    Some(match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    Op(Op),
    AndAnd,
    OrOr,
    Bang,
    Open,
    Close,
    Len,
}

/// The subset's tokens of `source` (read by the shared lexer); `None` at anything outside it.
fn tokenize(source: &str) -> Option<Vec<Tok>> {
    use super::lex::{Tok as L, lex};
    let tokens = lex(source);
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        i += 1;
        out.push(match &t.tok {
            L::Punct('.') => {
                // `.len()`, the one method of the subset.
                let rest = tokens.get(i..i + 3).map(|r| r.iter().map(|t| &t.tok).collect());
                if rest != Some(vec![&L::Ident("len".into()), &L::Punct('('), &L::Punct(')')]) {
                    return None;
                }
                i += 3;
                Tok::Len
            }
            L::Ident(name) => Tok::Ident(name.clone()),
            // Plain decimals only: `1_000`, `1e3`, `0x10` are rhai's to read.
            L::Number(n) if n.bytes().all(|c| c.is_ascii_digit()) => Tok::Int(n.parse().ok()?),
            L::Number(n) if n.bytes().all(|c| c.is_ascii_digit() || c == b'.') => {
                Tok::Float(n.parse().ok()?)
            }
            L::Str(s) => Tok::Str(s.clone()),
            L::Op("==") => Tok::Op(Op::Eq),
            L::Op("!=") => Tok::Op(Op::Ne),
            L::Op("<=") => Tok::Op(Op::Le),
            L::Op(">=") => Tok::Op(Op::Ge),
            L::Op("&&") => Tok::AndAnd,
            L::Op("||") => Tok::OrOr,
            L::Punct('<') => Tok::Op(Op::Lt),
            L::Punct('>') => Tok::Op(Op::Gt),
            L::Punct('!') => Tok::Bang,
            L::Punct('(') => Tok::Open,
            L::Punct(')') => Tok::Close,
            _ => return None,
        });
    }
    Some(out)
}

struct Parser<'t, 'n> {
    tokens: &'t [Tok],
    pos: usize,
    /// Whether a name is known.
    names: &'n dyn Fn(&str) -> bool,
    depth: usize,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Option<Fast> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::OrOr) {
            self.pos += 1;
            left = Fast::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Fast> {
        let mut left = self.cmp()?;
        while self.peek() == Some(&Tok::AndAnd) {
            self.pos += 1;
            left = Fast::And(Box::new(left), Box::new(self.cmp()?));
        }
        Some(left)
    }

    fn cmp(&mut self) -> Option<Fast> {
        let left = self.unary()?;
        if let Some(Tok::Op(op)) = self.peek().cloned() {
            self.pos += 1;
            let right = self.unary()?;
            // `a < b < c` chains in rhai; leave it to rhai.
            if matches!(self.peek(), Some(Tok::Op(_))) {
                return None;
            }
            return Some(Fast::Cmp(Box::new(left), op, Box::new(right)));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Fast> {
        self.depth += 1;
        if self.depth > 16 {
            return None;
        }
        let out = match self.next()? {
            Tok::Bang => Fast::Not(Box::new(self.unary()?)),
            Tok::Open => {
                let e = self.or()?;
                (self.next()? == Tok::Close).then_some(e)?
            }
            Tok::Ident(name) if name == "true" => Fast::Bool(true),
            Tok::Ident(name) if name == "false" => Fast::Bool(false),
            Tok::Ident(name) => {
                if !(self.names)(&name) {
                    return None;
                }
                if self.peek() == Some(&Tok::Len) {
                    self.pos += 1;
                    Fast::Len(name)
                } else {
                    Fast::Field(name)
                }
            }
            Tok::Int(i) => Fast::Int(i),
            Tok::Float(f) => Fast::Float(f),
            Tok::Str(s) => Fast::Str(s),
            _ => return None,
        };
        self.depth -= 1;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn parses_the_conditions_policies_write() {
        for src in [
            r#"severity == "major""#,
            "departments.len() > 1 && !needs_site_visit",
            "claim_amount >= 10000.0",
            r#"channel == "regulator" || public_interest || threat"#,
            r#"(a || b) && !(c == "x")"#,
            r#"text == "a\"b" || text == `c`"#,
        ] {
            assert!(Fast::parse(src, &any).is_some(), "{src}");
        }
    }

    #[test]
    fn leaves_everything_else_to_rhai() {
        for src in [
            r#"text.contains("x")"#,
            r#"category in ["a", "b"]"#,
            "amount > 1_000",
            "amount + 1 > 2",
            "a < b < c",
            r#"text == 'a'"#,
            "-1 < amount",
            "amount > 1e3",
            "",
        ] {
            assert_eq!(Fast::parse(src, &any), None, "{src}");
        }
        assert_eq!(Fast::parse("undeclared", &|n| n != "undeclared"), None);
    }

    #[test]
    fn answers_only_for_the_types_it_handles() {
        let fields: BTreeMap<String, Value> = [
            ("amount".to_string(), json!(12000)),
            ("ratio".to_string(), json!(0.5)),
            ("name".to_string(), json!("fees")),
            ("flag".to_string(), json!(true)),
            ("list".to_string(), json!(["a", "b"])),
            ("nothing".to_string(), Value::Null),
        ]
        .into_iter()
        .collect();
        let eval = |src: &str| Fast::parse(src, &any).and_then(|f| f.eval(&fields));
        assert_eq!(eval("amount >= 10000.0"), Some(true));
        assert_eq!(eval("ratio < 1"), Some(true));
        assert_eq!(eval(r#"name == "fees" && flag"#), Some(true));
        assert_eq!(eval("list.len() > 1 && !flag"), Some(false));
        assert_eq!(eval("!flag || missing"), None);
        assert_eq!(eval("flag || missing"), Some(true), "|| stops at the first true, as rhai does");
        assert_eq!(eval(r#"amount == "12000""#), None);
        assert_eq!(eval("nothing == 1"), None);
        assert_eq!(eval("amount"), None, "a number is not a condition");
    }
}
