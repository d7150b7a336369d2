//! Checks of conditions: what a compile error means for the author, enum values compared with
//! literals that are not among them, errors every ticket would meet (found by evaluating once
//! with sample values), derive rules that read values computed after them, and defaults of the
//! wrong type.

use super::names::backticked;
use super::scan::{comparisons, variables};
use super::{Diagnostic, did_you_mean};
use crate::check::DiagnosticCode;
use crate::compile::FieldType;
use crate::expr::{Expr, ExprEngine, ExprError, ExprErrorKind};
use crate::policy::model::{At, DeriveSpec};
use crate::yaml::{Node, NodeKind, value_span};
use serde_json::Value;
use std::collections::BTreeMap;

/// Span of bytes `index..index+len` of a scalar's decoded value.
fn inner(text: &str, at: &At<String>, index: usize, len: usize) -> crate::check::Span {
    value_span(text, at.span, &at.value, index, len)
}

/// The diagnostic for a condition rhai did not compile (`E0402` for an unknown name, with "did
/// you mean"; `E0401` otherwise). `vars` are the names conditions can read.
pub(crate) fn compile_error(
    text: &str,
    at: &At<String>,
    e: &ExprError,
    vars: &BTreeMap<String, Value>,
) -> Diagnostic {
    let off = e.offset.unwrap_or(0).min(at.value.len());
    let (code, len, hint) = match e.kind {
        ExprErrorKind::UndefinedVariable => {
            let word: String = at
                .value
                .get(off..)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let hint = match did_you_mean(&word, vars.keys()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "conditions can read the declared fields and derived values: {}",
                    backticked(&vars.keys().cloned().collect::<Vec<_>>())
                ),
            };
            (DiagnosticCode::E0402, word.len().max(1), hint)
        }
        ExprErrorKind::Limit if at.value.len() > crate::expr::limits::MAX_SOURCE_LEN => (
            DiagnosticCode::E0401,
            1,
            "split the condition: compute its parts as `derive` values and combine them"
                .to_string(),
        ),
        // rhai's `LiteralTooLarge`: a list or map literal over the data limits.
        ExprErrorKind::Limit if e.message.contains("literal") => (
            DiagnosticCode::E0401,
            1,
            format!(
                "a list literal holds at most {} entries: split it across rules, or \
                 classify with a `derive` rule's `keywords`",
                crate::expr::limits::MAX_ARRAY_SIZE - 1
            ),
        ),
        ExprErrorKind::Limit => (
            DiagnosticCode::E0401,
            1,
            format!(
                "a condition nests at most {} levels, and each `||` or `&&` of a chain \
                 is one more: test membership with `field in [\"a\", \"b\"]`, or split \
                 the condition across rules",
                crate::expr::limits::MAX_EXPR_DEPTH
            ),
        ),
        ExprErrorKind::Syntax => match syntax_hint(&at.value, off) {
            Some((len, hint)) => (DiagnosticCode::E0401, len, hint),
            None => (DiagnosticCode::E0401, 1, RHAI_EXAMPLE.to_string()),
        },
        _ => (DiagnosticCode::E0401, 1, RHAI_EXAMPLE.to_string()),
    };
    Diagnostic::error(code, format!("in condition: {}", e.message))
        .with_span(inner(text, at, off, len))
        .with_hint(hint)
}

/// The hint of a condition that does not parse when nothing more specific applies.
const RHAI_EXAMPLE: &str =
    "conditions are rhai expressions, e.g. `severity == \"major\" && claim_amount >= 10000`";

/// A hint that leads to the fix of a syntax error at byte `off` of the condition `src`, with the
/// length of the text it points at: an unquoted value that is not a name (`decision == 不予受理`,
/// quote it), `=` where `==` was meant, and what a Chinese keyboard types in place of ASCII:
/// text in single quotes (`kind == '举报'`), in curly or full-width quotes (`“受理”`), and
/// full-width operators (`kind ＝＝ "投诉"`). The hint rewrites the whole condition.
fn syntax_hint(src: &str, off: usize) -> Option<(usize, String)> {
    let rest = src.get(off..)?;
    let first = rest.chars().next()?;
    if first == '=' && !rest.starts_with("==") && !src[..off].ends_with(['=', '!', '<', '>']) {
        let fixed = format!("{}=={}", &src[..off], &rest[1..]);
        return Some((1, format!("`=` assigns a value; compare with `==`: `{}`", fixed.trim())));
    }
    if first == '\'' || is_wide_quote(first) {
        // The text up to the next quote of either kind (the closing one is often the other).
        let after = &rest[first.len_utf8()..];
        let close = after.find(|c: char| c == '\'' || c == '"' || is_wide_quote(c));
        let word = close.map_or(after, |i| &after[..i]);
        let len = first.len_utf8()
            + close
                .map_or(after.len(), |i| i + after[i..].chars().next().map_or(0, char::len_utf8));
        let how = if first == '\'' { "in double quotes" } else { "in ASCII double quotes" };
        return Some((len, format!("write \"{word}\" {how}: `{}`", ascii_condition(src).trim())));
    }
    if ascii_of_wide(first).is_some() {
        let run: String = rest.chars().take_while(|c| ascii_of_wide(*c).is_some()).collect();
        let written: String = run.chars().filter_map(ascii_of_wide).collect();
        return Some((
            run.len(),
            format!("write `{written}` with ASCII characters: `{}`", ascii_condition(src).trim()),
        ));
    }
    if !first.is_ascii() && first.is_alphanumeric() {
        let word_len: usize = rest
            .char_indices()
            .find(|(_, c)| {
                c.is_whitespace() || (c.is_ascii() && !c.is_ascii_alphanumeric() && *c != '_')
            })
            .map_or(rest.len(), |(i, _)| i);
        let word = &rest[..word_len];
        let fixed = format!("{}\"{word}\"{}", &src[..off], &rest[word_len..]);
        return Some((word_len, format!("text values are quoted; quote it: `{}`", fixed.trim())));
    }
    None
}

/// A quotation mark a Chinese (or word-processor) keyboard types in place of `"`: curly quotes,
/// full-width quotes and corner brackets.
fn is_wide_quote(c: char) -> bool {
    matches!(c, '“' | '”' | '‘' | '’' | '＂' | '＇' | '「' | '」' | '『' | '』')
}

/// The ASCII character a full-width punctuation mark stands for (`＝` → `=`, `（` → `(`; the
/// block U+FF01–U+FF5E mirrors ASCII 0x21–0x7E), and `　` (U+3000) → space; `None` for
/// anything else, and for full-width letters and digits, which are text.
fn ascii_of_wide(c: char) -> Option<char> {
    if c == '\u{3000}' {
        return Some(' ');
    }
    let u = u32::from(c);
    if !(0xFF01..=0xFF5E).contains(&u) {
        return None;
    }
    char::from_u32(u - 0xFEE0).filter(|a| !a.is_ascii_alphanumeric())
}

/// `src` as it would be typed on an ASCII keyboard: every quote (single, curly, full-width)
/// becomes `"`, and outside quoted text every full-width punctuation mark becomes its ASCII
/// character. Quoted text is kept as written; text opened by `"` ends only at `"`.
fn ascii_condition(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    // The quote that opened the text being copied.
    let mut open: Option<char> = None;
    for c in src.chars() {
        let quote = c == '"' || c == '\'' || is_wide_quote(c);
        match open {
            Some('"') if c != '"' => out.push(c),
            Some(_) if !quote => out.push(c),
            Some(_) => {
                open = None;
                out.push('"');
            }
            None if quote => {
                open = Some(c);
                out.push('"');
            }
            None => out.push(ascii_of_wide(c).unwrap_or(c)),
        }
    }
    out
}

/// Evaluates a compiled condition once with sample values of every declared type (`vars`): an
/// operator applied to the wrong types (`E0406`), a function that no function of its name
/// takes (`E0432`: a misspelt or unknown name, or the wrong argument types), or a result that is not a boolean (`E0412`),
/// shows up here whatever the ticket's values (errors that depend on values, like an index out
/// of range on the empty sample list, are not reported).
pub(crate) fn by_sample(
    text: &str,
    at: &At<String>,
    exprs: &ExprEngine,
    e: &Expr,
    vars: &BTreeMap<String, Value>,
) -> Option<Diagnostic> {
    let Err(err) = exprs.eval_bool(e, vars) else { return None };
    let (code, message, hint) = match err.kind {
        ExprErrorKind::NotBoolean => {
            let found = err
                .message
                .split(" produced a ")
                .nth(1)
                .unwrap_or("value")
                .trim_end_matches(", not a boolean");
            let found = match found {
                "f64" | "f32" => "number",
                "i64" | "i32" | "u32" | "u64" => "whole number",
                "string" | "ImmutableString" | "char" => "string",
                "array" => "list",
                "map" => "map",
                "()" => "nothing",
                other => other,
            };
            (
                DiagnosticCode::E0412,
                format!("condition produces a {found}, not a boolean"),
                "a condition must be true or false, e.g. `amount > 0`".to_string(),
            )
        }
        ExprErrorKind::Runtime if err.message.starts_with("function not found") => {
            // rhai names the function and the argument types: `foo (f64)`, `+ (f64, string)`.
            let signature =
                err.message.trim_start_matches("function not found").trim_start_matches(':').trim();
            let name = signature.split([' ', '(']).next().unwrap_or_default();
            if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                (
                    DiagnosticCode::E0406,
                    format!("type mismatch in condition: {}", err.message),
                    "check the types of the fields this compares or combines (see `fields:`)"
                        .to_string(),
                )
            } else {
                let args = signature[name.len()..]
                    .trim()
                    .replace("&str | ImmutableString | String", "string")
                    .replace("f64", "number")
                    .replace("i64", "whole number")
                    .replace("array", "list");
                (
                    DiagnosticCode::E0432,
                    format!("no function `{name}` takes {args} in a condition"),
                    "conditions can call rhai's string, list and map functions (`contains`, `len`, `starts_with`, `to_lower`…); check the name and the types of the arguments".to_string(),
                )
            }
        }
        _ => return None,
    };
    let off = err.offset.unwrap_or(0).min(at.value.len());
    Some(Diagnostic::error(code, message).with_span(inner(text, at, off, 1)).with_hint(hint))
}

/// Literals compared with an enum-like name (a declared enum, or a derive whose rules give
/// strings) that are not among its values (`E0403`).
pub(crate) fn enum_literals(
    text: &str,
    at: &At<String>,
    enums: &BTreeMap<String, Vec<String>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in comparisons(&at.value) {
        let Some(values) = enums.get(&c.name) else { continue };
        if values.contains(&c.literal) {
            continue;
        }
        let hint = match did_you_mean(&c.literal, values.iter()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("`{}` is one of {}", c.name, backticked(values)),
        };
        out.push(
            Diagnostic::error(
                DiagnosticCode::E0403,
                format!("`{}` is not a value of `{}`", c.literal, c.name),
            )
            .with_span(inner(text, at, c.offset, c.len))
            .with_hint(hint),
        );
    }
    out
}

/// A `default:` (or a derive rule's `value:`) that does not fit the field's type (`E0406`), or
/// an enum value that is not one of its values (`E0403`).
pub(crate) fn default_value(name: &str, ty: &FieldType, n: &Node) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let ok = match (ty, &n.kind) {
        (_, NodeKind::Null) => true,
        (FieldType::String, NodeKind::Str(_)) => true,
        (FieldType::Number, NodeKind::Int(_) | NodeKind::Float(_)) => true,
        (FieldType::Int, NodeKind::Int(_)) => true,
        (FieldType::Bool, NodeKind::Bool(_)) => true,
        (FieldType::List, NodeKind::Seq(_)) => true,
        (FieldType::Map, NodeKind::Map(_)) => true,
        (FieldType::Enum(values), NodeKind::Str(s)) => {
            if !values.contains(s) {
                let at = At::new(s.clone(), n.span);
                let hint = did_you_mean(s, values.iter()).map_or_else(
                    || format!("`{name}` is one of {}", backticked(values)),
                    |m| format!("did you mean `{m}`?"),
                );
                out.push(
                    Diagnostic::error(
                        DiagnosticCode::E0403,
                        format!("`{s}` is not a value of `{name}`"),
                    )
                    .with_span(at.span)
                    .with_hint(hint),
                );
            }
            true
        }
        _ => false,
    };
    if !ok {
        let tname = match ty {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Int => "int",
            FieldType::Bool => "bool",
            FieldType::Enum(_) => "enum",
            FieldType::List => "list",
            FieldType::Map => "map",
        };
        out.push(
            Diagnostic::error(
                DiagnosticCode::E0406,
                format!("default of `{name}` is {}, but the field is a {tname}", n.kind.describe()),
            )
            .with_span(n.span)
            .with_hint(format!("give a {tname} default or change the field's `type:`")),
        );
    }
    out
}

/// A derive rule that reads its own value or one computed after it (`E0410`): derived values
/// are computed in file order, so a rule may read only earlier ones.
pub(crate) fn derive_order(
    text: &str,
    derive: &[DeriveSpec],
    index: usize,
    when: &At<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(this) = derive.get(index) else { return out };
    for (name, offset) in variables(&when.value) {
        let Some(pos) = derive.iter().position(|d| d.name.value == name) else { continue };
        if pos < index {
            continue;
        }
        let what = if pos == index {
            format!("derive `{}` reads its own value", this.name.value)
        } else {
            format!("derive `{}` reads `{name}`, which is computed after it", this.name.value)
        };
        let span = inner(text, when, offset, name.len());
        out.push(Diagnostic::error(DiagnosticCode::E0410, what).with_span(span).with_hint(
            format!(
                "derived values are computed in file order: move `{name}` above `{}`",
                this.name.value
            ),
        ));
    }
    out
}
