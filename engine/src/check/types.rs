//! Comparisons of values of different types (`E0420`): rhai compares a bool with the string
//! `"true"`, or a number with the string `"5"`, as simply unequal, so such a condition is quietly
//! false for every ticket. The check reads each comparison of two plain operands whose types are
//! known (declared fields, derived values, literals) and gives the fix in its hint.

use super::names::backticked;
use super::scan::{Compare, Operand, Side, typed_comparisons};
use super::{Diagnostic, DiagnosticCode};
use crate::policy::model::At;
use crate::yaml::value_span;
use std::collections::BTreeMap;

/// The type of a value a condition reads, as far as comparisons care.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    /// `true` or `false`.
    Bool,
    /// A number (`number` or `int`).
    Number,
    /// Free text.
    Text,
    /// Text that is one of these values.
    Enum(Vec<String>),
}

impl Kind {
    /// The kind with its article, as a message says it ("a bool", "an enum").
    fn name(&self) -> &'static str {
        match self {
            Kind::Bool => "a bool",
            Kind::Number => "a number",
            Kind::Text => "a string",
            Kind::Enum(_) => "an enum",
        }
    }

    fn textual(&self) -> bool {
        matches!(self, Kind::Text | Kind::Enum(_))
    }
}

/// The kind of an operand: a literal's own, a variable's from `kinds` (`None` when unknown).
fn kind_of(o: &Operand, kinds: &BTreeMap<String, Kind>) -> Option<Kind> {
    match o {
        Operand::Var(name) => kinds.get(name).cloned(),
        Operand::Str(_) => Some(Kind::Text),
        Operand::Num(_) => Some(Kind::Number),
        Operand::Bool(_) => Some(Kind::Bool),
    }
}

/// How a literal is described in a message.
fn literal_words(o: &Operand) -> String {
    match o {
        Operand::Str(s) => format!("the string \"{s}\""),
        Operand::Num(n) => format!("the number {n}"),
        Operand::Bool(b) => format!("{b}"),
        Operand::Var(v) => format!("`{v}`"),
    }
}

/// The literal that means what `lit` was meant to mean for a value of kind `want`, if there is
/// one: `"true"` → `true`, `"5"` → `5`, `5` → `"5"`.
fn fixed_literal(want: &Kind, lit: &Operand) -> Option<String> {
    match (want, lit) {
        (Kind::Bool, Operand::Str(s)) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" => Some("true".into()),
            "false" | "no" => Some("false".into()),
            _ => None,
        },
        (Kind::Number, Operand::Str(s)) => {
            let t = s.trim();
            t.parse::<f64>().ok().filter(|f| f.is_finite()).map(|_| t.to_string())
        }
        (Kind::Text, Operand::Num(n)) => Some(format!("\"{n}\"")),
        (Kind::Text, Operand::Bool(b)) => Some(format!("\"{b}\"")),
        (Kind::Enum(values), Operand::Num(n)) if values.contains(n) => Some(format!("\"{n}\"")),
        (Kind::Enum(values), Operand::Bool(b)) if values.contains(&b.to_string()) => {
            Some(format!("\"{b}\""))
        }
        _ => None,
    }
}

/// Every comparison in the condition `at` of values of different known types (`E0420`),
/// located at the literal (or the second name) inside the YAML string.
pub(crate) fn mismatches(
    text: &str,
    at: &At<String>,
    kinds: &BTreeMap<String, Kind>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in typed_comparisons(&at.value) {
        let (Some(lk), Some(rk)) =
            (kind_of(&c.left.operand, kinds), kind_of(&c.right.operand, kinds))
        else {
            continue;
        };
        if lk == rk || (lk.textual() && rk.textual()) {
            continue;
        }
        // The name and the other side: the side shown is the literal, or the right-hand name.
        let (var, var_kind, other) = match (&c.left.operand, &c.right.operand) {
            (Operand::Var(_), Operand::Var(_)) | (Operand::Var(_), _) => (&c.left, &lk, &c.right),
            (_, Operand::Var(_)) => (&c.right, &rk, &c.left),
            _ => continue,
        };
        let Operand::Var(name) = &var.operand else { continue };
        let span = value_span(text, at.span, &at.value, other.offset, other.len);
        let d = match &other.operand {
            Operand::Var(o) => Diagnostic::error(
                DiagnosticCode::E0420,
                format!(
                    "`{name}` is {} and `{o}` is {}: they are never equal",
                    var_kind.name(),
                    rk.name()
                ),
            )
            .with_hint("compare values of one type; declare the fields' `type:` so they match"),
            lit => {
                let message = format!(
                    "`{name}` is {}, but is compared with {}",
                    var_kind.name(),
                    literal_words(lit)
                );
                Diagnostic::error(DiagnosticCode::E0420, message)
                    .with_hint(hint(&at.value, &c, name, var_kind, other))
            }
        };
        out.push(d.with_span(span));
    }
    out
}

/// The hint of a comparison of `name` (of kind `kind`) with the literal `lit`: the condition
/// rewritten when the intended value is clear, else what `name` can be compared with.
fn hint(src: &str, c: &Compare, name: &str, kind: &Kind, lit: &Side) -> String {
    let Some(fixed) = fixed_literal(kind, &lit.operand) else {
        return match kind {
            Kind::Bool => {
                format!("`{name}` is true or false: compare with `true` or `false`, unquoted")
            }
            Kind::Number => format!("`{name}` is a number: compare it with a number, unquoted"),
            Kind::Text => format!("`{name}` is text: compare it with a quoted value"),
            Kind::Enum(values) => {
                format!("`{name}` is one of {}, each quoted: `\"…\"`", backticked(values))
            }
        };
    };
    let side = |s: &Side| {
        if std::ptr::eq(s, lit) {
            fixed.clone()
        } else {
            src.get(s.offset..s.offset + s.len).unwrap_or(name).to_string()
        }
    };
    let rewritten = if c.op == "in" {
        fixed.clone()
    } else {
        format!("{} {} {}", side(&c.left), c.op, side(&c.right))
    };
    match kind {
        Kind::Bool => format!("compare with {fixed}, unquoted: `{rewritten}`"),
        Kind::Number => format!("compare with the number, unquoted: `{rewritten}`"),
        Kind::Text | Kind::Enum(_) => format!("quote the value: `{rewritten}`"),
    }
}
