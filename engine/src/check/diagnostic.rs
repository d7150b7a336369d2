//! Located diagnostics: the one error shape every input path of Ombud reports.
//!
//! A [`Diagnostic`] carries a stable code (`E0102`), a severity, a lowercase message with user
//! input in backticks, the place it points at (file, 1-based line and column, byte span) and,
//! where one helps, a hint. Policies, calendars, scenarios and ledgers all report through it, so a
//! host or an editor integration handles one type.

use super::DiagnosticCode;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// How bad a diagnostic is. Errors stop a policy from compiling; warnings do not.
///
/// ```
/// use ombud_engine::DiagnosticCode;
/// use ombud_engine::check::{Diagnostic, Severity};
/// let w = Diagnostic::warning(DiagnosticCode::W0104, "event `resolvd` looks like a misspelling of `resolved`");
/// assert_eq!(w.severity, Severity::Warning);
/// assert_eq!(w.severity.to_string(), "warning");
/// assert_eq!(serde_json::json!(Severity::Error), "error");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be used.
    Error,
    /// The input works but probably not as intended.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A place in a source text: 1-based line and column plus the byte range it covers.
///
/// ```
/// use ombud_engine::check::Span;
/// let s = Span::new(3, 5, 20, 4);
/// assert_eq!((s.line, s.column), (3, 5));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// 1-based line; 0 when unknown.
    pub line: u32,
    /// 1-based column in characters; 0 when unknown.
    pub column: u32,
    /// Byte offset of the start in the source text.
    pub offset: usize,
    /// Length in bytes (0 for a point).
    pub len: usize,
}

impl Span {
    /// A span at `line:column` covering `len` bytes starting at byte `offset`.
    ///
    /// ```
    /// let s = ombud_engine::check::Span::new(2, 8, 17, 6);
    /// assert_eq!(s.offset..s.offset + s.len, 17..23);
    /// ```
    pub const fn new(line: u32, column: u32, offset: usize, len: usize) -> Self {
        Span { line, column, offset, len }
    }

    /// Whether this span has a real location.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::{Diagnostic, Span};
    /// let unplaced = Diagnostic::error(DiagnosticCode::E0100, "cannot read `p.yaml`");
    /// assert!(!unplaced.span.is_known());
    /// assert!(Span::new(1, 1, 0, 0).is_known());
    /// ```
    pub const fn is_known(&self) -> bool {
        self.line > 0
    }

    /// The span of `sub_offset..sub_offset+len` bytes *inside* the text this span starts,
    /// computed against `source` so lines and columns stay right across line breaks.
    ///
    /// ```
    /// use ombud_engine::check::Span;
    /// let text = "stages:\n  open:\n    when: 'amout > 5'\n";
    /// let when = Span::at_offset(text, text.find('\'').unwrap(), 11);
    /// let name = when.sub(text, 1, 5); // `amout`, just after the opening quote
    /// assert_eq!((name.line, name.column, name.len), (3, 12, 5));
    /// ```
    pub fn sub(&self, source: &str, sub_offset: usize, len: usize) -> Span {
        Span::at_offset(source, self.offset.saturating_add(sub_offset), len)
    }

    /// The span of `len` bytes at byte `offset` in `source` (line and column computed).
    /// Columns count characters, so a CJK character is one column.
    ///
    /// ```
    /// use ombud_engine::check::Span;
    /// let text = "policy: p\ntitle: 服务投诉 (draft)\n";
    /// let s = Span::at_offset(text, text.find('(').unwrap(), 7);
    /// assert_eq!((s.line, s.column, s.offset), (2, 13, 30));
    /// ```
    pub fn at_offset(source: &str, offset: usize, len: usize) -> Span {
        let offset = offset.min(source.len());
        let before = source.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Span {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            offset,
            len,
        }
    }
}

/// The text a diagnostic points into: its display name (a path) and its content.
///
/// Shared behind an [`Arc`] so hundreds of diagnostics of one file hold one copy.
///
/// ```
/// let errors = ombud_engine::load_policy("broken.yaml", "stages: [open\n", None).unwrap_err().into_diagnostics();
/// let source = errors[0].source.as_deref().unwrap();
/// assert_eq!((source.name.as_str(), source.text.as_str()), ("broken.yaml", "stages: [open\n"));
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Source {
    /// The name shown to the user, normally the path as given.
    pub name: String,
    /// The full text.
    pub text: String,
}

impl Source {
    /// A shared source with `name` and `text`.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::{Diagnostic, Source};
    /// let src = Source::new("calendars/acme.yaml", "id: acme\nzone: Europe/Berln\n");
    /// let d = Diagnostic::error(DiagnosticCode::E0501, "unknown time zone `Europe/Berln`").with_source(&src);
    /// assert_eq!(std::sync::Arc::strong_count(&src), 2);
    /// assert_eq!(d.file(), Some("calendars/acme.yaml"));
    /// ```
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Source> {
        Arc::new(Source { name: name.into(), text: text.into() })
    }
}

/// One located finding about an input.
///
/// ```
/// use ombud_engine::DiagnosticCode;
/// use ombud_engine::check::{Diagnostic, Severity, Span};
/// let d = Diagnostic::error(DiagnosticCode::E0201, "unknown stage `feedbak`")
///     .with_span(Span::new(4, 9, 40, 7))
///     .with_hint("did you mean `feedback`?");
/// assert_eq!(d.severity, Severity::Error);
/// assert_eq!(d.to_string(), "error[E0201]: unknown stage `feedbak`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `E0201`; documented in `docs/diagnostics.md`.
    pub code: DiagnosticCode,
    /// What is wrong: lowercase, no final period, user input in backticks.
    pub message: String,
    /// Where; unknown when `span.line == 0`.
    pub span: Span,
    /// The text the span points into (file name and content), if known.
    pub source: Option<Arc<Source>>,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
    /// A secondary place that explains the first (e.g. "first defined here").
    pub related: Option<(Span, String)>,
}

impl Diagnostic {
    /// A new error with `code` and `message`, not yet located.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::Diagnostic;
    /// let d = Diagnostic::error(DiagnosticCode::E0104, "the policy has no `start`");
    /// assert!(d.is_error() && !d.span.is_known());
    /// assert_eq!(d.to_string(), "error[E0104]: the policy has no `start`");
    /// ```
    pub fn error(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: Span::default(),
            source: None,
            hint: None,
            related: None,
        }
    }

    /// A new warning with `code` and `message`, not yet located.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::Diagnostic;
    /// let d = Diagnostic::warning(DiagnosticCode::W0101, "`values` is ignored: field `amount` is not an enum");
    /// assert!(!d.is_error());
    /// assert!(d.to_string().starts_with("warning[W0101]: `values` is ignored"));
    /// ```
    pub fn warning(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    /// Points the diagnostic at `span`.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::{Diagnostic, Span};
    /// let d = Diagnostic::error(DiagnosticCode::E0202, "unknown tier `agnet`");
    /// let d = d.with_span(Span::new(9, 14, 120, 5));
    /// assert_eq!((d.to_json().line, d.to_json().column), (9, 14));
    /// ```
    #[must_use]
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = span;
        self
    }

    /// Attaches the source text the span points into.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::{Diagnostic, Source, Span};
    /// let src = Source::new("p.yaml", "start: intke\n");
    /// let d = Diagnostic::error(DiagnosticCode::E0201, "unknown stage `intke`");
    /// let d = d.with_span(Span::new(1, 8, 7, 5));
    /// assert_eq!(d.file(), None);
    /// let d = d.with_source(&src);
    /// let text = &d.source.as_ref().unwrap().text;
    /// assert_eq!(&text[d.span.offset..d.span.offset + d.span.len], "intke");
    /// ```
    #[must_use]
    pub fn with_source(mut self, source: &Arc<Source>) -> Self {
        self.source = Some(Arc::clone(source));
        self
    }

    /// Adds a hint.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::Diagnostic;
    /// let d = Diagnostic::error(DiagnosticCode::E0106, "`numbr` is not a valid field type")
    ///     .with_hint("did you mean `number`?");
    /// assert_eq!(d.hint.as_deref(), Some("did you mean `number`?"));
    /// ```
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a secondary labelled location, such as the first definition of a duplicate key.
    ///
    /// ```
    /// let text = "{policy: a, policy: b}";
    /// let errors = ombud_engine::load_policy("p.yaml", text, None).unwrap_err().into_diagnostics();
    /// let dup = errors.iter().find(|d| d.code == "E0107").unwrap();
    /// let (first, label) = dup.related.as_ref().unwrap();
    /// assert_eq!((first.column, label.as_str()), (2, "first defined here"));
    /// assert_eq!(dup.span.column, 13);
    /// ```
    #[must_use]
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related = Some((span, label.into()));
        self
    }

    /// Whether this is an error (as opposed to a warning).
    ///
    /// ```
    /// let text = "{policy: p, calendar: weekdays, tiers: [agent], start: s, \
    ///             stages: {s: {owner: agent, on: {ok: e}}, e: {terminal: true, due: 1h}}}";
    /// let (_, diags) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
    /// assert!(diags.iter().all(|d| !d.is_error()));
    /// assert_eq!(diags[0].code, "W0103");
    /// ```
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The file name, if the diagnostic has a source.
    ///
    /// ```
    /// let errors = ombud_engine::load_policy("acme/policy.yaml", "- a\n", None).unwrap_err().into_diagnostics();
    /// assert_eq!((errors[0].code.as_str(), errors[0].file()), ("E0102", Some("acme/policy.yaml")));
    /// ```
    pub fn file(&self) -> Option<&str> {
        self.source.as_deref().map(|s| s.name.as_str())
    }

    /// The JSON form of the CLI contract:
    /// `{"severity","code","message","file","line","column","hint"}` with 1-based positions.
    ///
    /// ```
    /// use ombud_engine::DiagnosticCode;
    /// use ombud_engine::check::{Diagnostic, Span};
    /// let d = Diagnostic::error(DiagnosticCode::E0204, "unknown ladder `urgnt`")
    ///     .with_span(Span::new(3, 13, 40, 5));
    /// assert_eq!(
    ///     serde_json::to_string(&d.to_json()).unwrap(),
    ///     r#"{"severity":"error","code":"E0204","message":"unknown ladder `urgnt`","file":null,"#
    ///         .to_owned()
    ///         + r#""line":3,"column":13,"hint":null}"#
    /// );
    /// ```
    pub fn to_json(&self) -> DiagnosticJson<'_> {
        DiagnosticJson {
            severity: self.severity,
            code: self.code,
            message: &self.message,
            file: self.file(),
            line: self.span.line,
            column: self.span.column,
            hint: self.hint.as_deref(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Serialisable view of a [`Diagnostic`] in the CLI's JSON contract.
///
/// ```
/// let text = "policy: p\ntiers: [agent\n";
/// let errors = ombud_engine::load_policy("p.yaml", text, None).unwrap_err().into_diagnostics();
/// let json = errors[0].to_json();
/// assert_eq!((json.code.as_str(), json.file, json.line, json.column), ("E0101", Some("p.yaml"), 2, 8));
/// assert_eq!(json.message, "invalid YAML: unclosed bracket '['");
/// ```
#[derive(Debug, Serialize)]
pub struct DiagnosticJson<'a> {
    /// `error` or `warning`.
    pub severity: Severity,
    /// Stable code.
    pub code: DiagnosticCode,
    /// The message.
    pub message: &'a str,
    /// File name, or null.
    pub file: Option<&'a str>,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// Hint, or null.
    pub hint: Option<&'a str>,
}

/// Sorts diagnostics by file, line, column, then code, so output is stable.
///
/// ```
/// use ombud_engine::check::{Diagnostic, DiagnosticCode, Span, sort_diagnostics};
/// let at = |code, line, col| Diagnostic::error(code, "…").with_span(Span::new(line, col, 0, 1));
/// let mut diags = vec![at(DiagnosticCode::E0302, 9, 3), at(DiagnosticCode::E0202, 4, 12)];
/// diags.extend([at(DiagnosticCode::E0201, 4, 12), at(DiagnosticCode::E0103, 4, 1)]);
/// sort_diagnostics(&mut diags);
/// let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
/// assert_eq!(codes, ["E0103", "E0201", "E0202", "E0302"]);
/// ```
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.file(), a.span.line, a.span.column, a.code).cmp(&(
            b.file(),
            b.span.line,
            b.span.column,
            b.code,
        ))
    });
}

/// The closest candidate to `word` by edit distance, for "did you mean" hints: within a third of
/// the word's length (at least 1), where swapping two neighbouring letters counts as one edit.
pub(crate) fn did_you_mean<'a, I, S>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c.as_ref()), c.as_ref().to_string()))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, c)| c)
}

/// Edit distance between two words, in characters: insertions, deletions, substitutions and
/// swaps of two neighbouring characters each count one (the optimal string alignment distance),
/// so a slip of the fingers (`stgae`) is as near as a missing letter (`stge`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rows of the table: two back (for swaps), the previous one and the current one.
    let mut back: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut d = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i - 1] == *cb && *ca == b[j - 1] {
                d = d.min(back[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Hosts that report errors with [miette](https://docs.rs/miette) get Ombud's diagnostics with
/// their code, severity, help and a labelled span into the source text.
impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.hint.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_deref().map(|s| &s.text as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if !self.span.is_known() || self.source.is_none() {
            return None;
        }
        let main = miette::LabeledSpan::new_primary_with_span(
            None,
            miette::SourceSpan::new(self.span.offset.into(), self.span.len),
        );
        let related = self.related.as_ref().map(|(span, label)| {
            miette::LabeledSpan::new_with_span(
                Some(label.clone()),
                miette::SourceSpan::new(span.offset.into(), span.len),
            )
        });
        Some(Box::new(std::iter::once(main).chain(related)))
    }
}
