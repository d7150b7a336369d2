//! Rendering of diagnostics: rustc-style text (colour only on a terminal, never with
//! `NO_COLOR`) and the JSON contract `{"diagnostics":[…]}`.

use ombud_engine::check::is_invisible;
use ombud_engine::{Diagnostic, Severity, Span};
use std::borrow::Cow;
use std::io::IsTerminal;

/// Whether to colour output written to stdout.
pub fn use_colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
}

/// Renders one diagnostic rustc-style:
///
/// ```text
/// error[E0201]: unknown stage `closd`
///   --> policy.yaml:11:17
///    |
/// 11 |     on: { done: closd }
///    |                 ^^^^^
///    = help: did you mean `closed`?
/// ```
pub fn render_text(d: &Diagnostic, colour: bool) -> String {
    let p = Paint { on: colour };
    let sev = match d.severity {
        Severity::Error => p.wrap("1;31", &format!("error[{}]", d.code)),
        Severity::Warning => p.wrap("1;33", &format!("warning[{}]", d.code)),
    };
    let mut out = format!("{sev}: {}\n", p.wrap("1", &safe(&d.message)));
    let file = safe(d.file().unwrap_or("<input>"));
    let text = d.source.as_deref().map_or("", |s| s.text.as_str());
    if !d.span.is_known() {
        out.push_str(&format!("  --> {file}\n"));
        if let Some(h) = &d.hint {
            out.push_str(&format!("   = help: {}\n", safe(h)));
        }
        return out;
    }
    let gutter = d.span.line.max(d.related.as_ref().map_or(0, |r| r.0.line)).to_string().len();
    let pad = " ".repeat(gutter);
    let bar = p.wrap("1;34", "|");
    out.push_str(&format!(
        "{pad}{} {file}:{}:{}\n",
        p.wrap("1;34", "-->"),
        d.span.line,
        d.span.column
    ));
    out.push_str(&format!("{pad} {bar}\n"));
    let underline = |span: &Span, mark: char, label: &str, out: &mut String, style: &str| {
        let raw = text.lines().nth((span.line as usize).saturating_sub(1)).unwrap_or("");
        let raw = raw.trim_end_matches('\r');
        // Shown as `safe` shows any text (a binary file's bytes, a bidi control in a name are
        // escaped), except that tabs stay tabs so the marks can follow them.
        let shown = |t: &str| -> String {
            t.split('\t').map(|part| safe(part).into_owned()).collect::<Vec<_>>().join("\t")
        };
        let line_text = shown(raw);
        let col = (span.column as usize).saturating_sub(1);
        let prefix: String = raw.chars().take(col).collect();
        // Tabs stay tabs; every other character is replaced by as many spaces as it is wide on a
        // terminal (two for CJK), so the marks land under the text they point at.
        let indent: String = shown(&prefix)
            .chars()
            .map(|c| if c == '\t' { "\t".to_string() } else { " ".repeat(char_width(c)) })
            .collect();
        let rest_bytes = raw.len().saturating_sub(prefix.len());
        let covered = text
            .get(span.offset..span.offset + span.len.min(rest_bytes))
            .map_or(1, |t| width(&shown(t)))
            .max(1);
        let marks: String = std::iter::repeat_n(mark, covered).collect();
        out.push_str(&format!(
            "{} {bar} {line_text}\n",
            p.wrap("1;34", &format!("{:>gutter$}", span.line))
        ));
        let label = if label.is_empty() { String::new() } else { format!(" {}", safe(label)) };
        out.push_str(&format!(
            "{pad} {bar} {indent}{}\n",
            p.wrap(style, &format!("{marks}{label}"))
        ));
    };
    let style = if d.is_error() { "1;31" } else { "1;33" };
    underline(&d.span, '^', "", &mut out, style);
    if let Some((span, label)) = &d.related
        && span.is_known()
    {
        underline(span, '-', label, &mut out, "1;34");
    }
    if let Some(h) = &d.hint {
        out.push_str(&format!(
            "{pad} {} {}: {}\n",
            p.wrap("1;34", "="),
            p.wrap("1", "help"),
            safe(h)
        ));
    }
    out
}

/// `text` as it may be shown to a person: every control character, invisible character and
/// bidi control in it (see [`is_invisible`]) is written as a Rust escape (`\u{1b}`,
/// `\u{202e}`), so a name, id or department from a policy, scenario or ledger cannot move the
/// cursor, recolour the terminal, or reorder the text around it. Every human-readable output
/// of the CLI shows user text through this one function; JSON output is escaped by JSON.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_invisible(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `N errors, M warnings in K files`.
pub fn summary(diags: &[Diagnostic], files: usize) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| if n == 1 { format!("{n} {w}") } else { format!("{n} {w}s") };
    format!(
        "{}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(files, "file")
    )
}

/// The JSON contract: `{"diagnostics":[{"severity","code","message","file","line","column","hint"}]}`.
pub fn render_json(diags: &[Diagnostic]) -> String {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        diagnostics: Vec<ombud_engine::check::DiagnosticJson<'a>>,
    }
    let body = Body { diagnostics: diags.iter().map(Diagnostic::to_json).collect() };
    serde_json::to_string_pretty(&body).unwrap_or_else(|_| "{\"diagnostics\":[]}".to_string())
}

/// Writes `text` to stdout (a closed pipe ends the command quietly, see `out`).
pub fn emit(text: &str) {
    out!("{text}");
}

/// Columns `s` takes on a terminal: CJK and other wide characters count two.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Columns one character takes on a terminal.
fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` followed by spaces up to `columns` terminal columns.
pub fn pad_to(s: &str, columns: usize) -> String {
    format!("{s}{}", " ".repeat(columns.saturating_sub(width(s))))
}
