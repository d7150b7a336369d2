//! YAML → a generic spanned tree ([`Node`]). The one module that touches the YAML crate.
//!
//! Deserialising straight into a typed model would stop at the first error and lose spans
//! inside untagged enums, so every YAML input (policies, calendar files, scenarios) is first read
//! into a small tree where every node (keys included) knows its byte span; `policy::convert`, the
//! calendar loader and the scenario reader then build their typed models by hand, collecting
//! every diagnostic.

use crate::check::{Diagnostic, DiagnosticCode, Source, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, Spanned};
use std::fmt;

/// Largest YAML file accepted, in bytes.
pub(crate) const MAX_YAML_BYTES: usize = 1024 * 1024;

/// Why [`read_yaml_file`] returned no text.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// The file could not be opened or read; the caller reports the error its own way.
    Io(std::io::Error),
    /// The file was read but is not a text the loader accepts: larger than [`MAX_YAML_BYTES`],
    /// or not UTF-8. A diagnostic naming the file (`E0101` for a policy, `E0500` for a calendar,
    /// `E0601` for a scenario).
    Content(Box<Diagnostic>),
}

/// Reads a YAML file of at most [`MAX_YAML_BYTES`], never more: a larger file, or a device with
/// no end (`/dev/zero`), is refused after reading one byte past the cap. The text must be UTF-8.
pub(crate) fn read_yaml_file(path: &std::path::Path, doc: Document) -> Result<String, ReadFailure> {
    use std::io::Read;
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(ReadFailure::Io)?;
    let mut bytes = Vec::new();
    let cap = u64::try_from(MAX_YAML_BYTES).unwrap_or(u64::MAX);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(ReadFailure::Io)?;
    if bytes.len() > MAX_YAML_BYTES {
        let d = Diagnostic::error(
            doc.code(),
            format!("{} file `{name}` is larger than {MAX_YAML_BYTES} bytes (1 MiB)", doc.noun()),
        )
        .with_hint(format!("a {} is a YAML text file of at most 1 MiB", doc.noun()))
        .with_source(&Source::new(name, ""));
        return Err(ReadFailure::Content(Box::new(d)));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let span = LineIndex::new(&lossy).span(at, 1);
        let source = Source::new(name, lossy);
        ReadFailure::Content(Box::new(
            Diagnostic::error(doc.code(), "file is not UTF-8 text")
                .with_span(span)
                .with_hint(format!("a {} is a UTF-8 YAML text file", doc.noun()))
                .with_source(&source),
        ))
    })
}

/// What kind of document is read: decides the code and wording of load errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Document {
    /// A policy file (load errors are `E0101`).
    Policy,
    /// A working-day calendar file (load errors are `E0500`).
    Calendar,
    /// A what-if scenario file (load errors are `E0601`).
    Scenario,
}

impl Document {
    fn code(self) -> DiagnosticCode {
        match self {
            Document::Policy => DiagnosticCode::E0101,
            Document::Calendar => DiagnosticCode::E0500,
            Document::Scenario => DiagnosticCode::E0601,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Document::Policy => "policy",
            Document::Calendar => "calendar",
            Document::Scenario => "scenario",
        }
    }

    fn syntax_hint(self) -> &'static str {
        match self {
            Document::Policy => {
                "fix the YAML syntax; a policy is a YAML mapping with keys like `policy:` and `stages:`"
            }
            Document::Calendar => {
                "fix the YAML syntax; a calendar file is a YAML mapping with keys like `id:` and `holidays:`"
            }
            Document::Scenario => {
                "fix the YAML syntax; a scenario is a YAML mapping with keys like `ticket:` and `events:`"
            }
        }
    }
}

/// A YAML value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Where the value is in the source (byte range, 1-based line and column).
    pub span: Span,
    /// The value.
    pub kind: NodeKind,
}

/// The value of a [`Node`]. YAML 1.2 core scalars: only `true` and `false` are booleans.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// Text.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, entries in file order (duplicates kept so checks can report them).
    Map(Vec<(Node, Node)>),
}

impl NodeKind {
    /// What the value is, for "expected a map, found a list" messages.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            NodeKind::Null => "nothing",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "a whole number",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a map",
        }
    }
}

/// Raw tree element as deserialised; spans are converted after parsing.
struct RawNode {
    loc: serde_saphyr::Location,
    kind: RawKind,
}

enum RawKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(RawNode, RawNode)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<RawKind>::deserialize(d)?;
        Ok(RawNode { loc: s.referenced, kind: s.value })
    }
}

impl<'de> Deserialize<'de> for RawKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = RawKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawKind, E> {
        Ok(RawKind::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawKind, E> {
        Ok(RawKind::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawKind, E> {
        Ok(i64::try_from(v).map_or(RawKind::Float(v as f64), RawKind::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawKind, E> {
        Ok(i64::try_from(v).map_or(RawKind::Float(v as f64), RawKind::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawKind, E> {
        Ok(i64::try_from(v).map_or(RawKind::Float(v as f64), RawKind::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawKind, E> {
        Ok(RawKind::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawKind, E> {
        Ok(RawKind::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawKind, E> {
        Ok(RawKind::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawKind, E> {
        Ok(RawKind::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        RawKind::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        RawKind::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<RawNode>()? {
            items.push(item);
        }
        Ok(RawKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<RawNode>()? {
            let value = map.next_value::<RawNode>()?;
            entries.push((key, value));
        }
        Ok(RawKind::Map(entries))
    }
}

fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_reader_input_bytes = Some(MAX_YAML_BYTES);
    budget.max_events = 200_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 100_000;
    budget.max_depth = 48;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = 4 * MAX_YAML_BYTES;
    budget.max_recorded_anchor_events = 50_000;
    budget.max_recorded_anchor_bytes = 4 * MAX_YAML_BYTES;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    // YAML 1.2 core booleans only: `on:` is a key here, not `true`.
    options.strict_booleans = true;
    options
}

/// Parses `text` into a spanned tree. A syntax error, an exceeded budget or a file that is not
/// text comes back as one located diagnostic (code `E0101` for a policy, `E0500` for a
/// calendar file, `E0601` for a scenario).
pub(crate) fn parse_tree(text: &str, doc: Document) -> Result<Node, Box<Diagnostic>> {
    if text.len() > MAX_YAML_BYTES {
        return Err(Box::new(
            Diagnostic::error(
                doc.code(),
                format!("{} file is larger than {MAX_YAML_BYTES} bytes", doc.noun()),
            )
            .with_span(Span::at_offset(text, 0, 0)),
        ));
    }
    if let Some(i) = text.find('\0') {
        return Err(Box::new(
            Diagnostic::error(doc.code(), "file is not text (it contains a NUL byte)")
                .with_span(Span::at_offset(text, i, 1))
                .with_hint(format!("a {} is a YAML text file", doc.noun())),
        ));
    }
    let raw: RawNode = match serde_saphyr::from_str_with_options(text, options()) {
        Ok(raw) => raw,
        Err(e) => return Err(Box::new(yaml_error(text, &e, doc))),
    };
    Ok(convert_raw(&LineIndex::new(text), raw))
}

fn yaml_error(text: &str, e: &serde_saphyr::Error, doc: Document) -> Diagnostic {
    let mut message = e.without_snippet().to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    let message = message.lines().next().unwrap_or("invalid YAML").trim().to_string();
    let mut lower = lowercase_first(&message);
    if lower.contains("budget breached") {
        lower = format!(
            "the document exceeds the limits for a {} (too many nodes, aliases or anchors)",
            doc.noun()
        );
    }
    let span = e.location().map_or_else(
        || Span::at_offset(text, 0, 0),
        |loc| match loc.span().byte_offset() {
            Some(b) => Span::at_offset(text, usize::try_from(b).unwrap_or(0), 0),
            None => LineIndex::new(text).line_col_span(loc.line(), loc.column()),
        },
    );
    let hint = if lower.contains("budget") || lower.contains("alias") || lower.contains("limit") {
        format!(
            "the file is too large or too deeply nested for a {} (aliases and anchors are limited)",
            doc.noun()
        )
    } else {
        doc.syntax_hint().to_string()
    };
    Diagnostic::error(doc.code(), format!("invalid YAML: {lower}")).with_span(span).with_hint(hint)
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn convert_raw(index: &LineIndex<'_>, raw: RawNode) -> Node {
    let sp = raw.loc.span();
    let span = match (sp.byte_offset(), sp.byte_len()) {
        (Some(o), Some(l)) => {
            index.span(usize::try_from(o).unwrap_or(0), usize::try_from(l).unwrap_or(0))
        }
        _ => index.line_col_span(raw.loc.line(), raw.loc.column()),
    };
    let kind = match raw.kind {
        RawKind::Null => NodeKind::Null,
        RawKind::Bool(b) => NodeKind::Bool(b),
        RawKind::Int(i) => NodeKind::Int(i),
        RawKind::Float(f) => NodeKind::Float(f),
        RawKind::Str(s) => NodeKind::Str(s),
        RawKind::Seq(items) => {
            NodeKind::Seq(items.into_iter().map(|n| convert_raw(index, n)).collect())
        }
        RawKind::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert_raw(index, k), convert_raw(index, v)))
                .collect(),
        ),
    };
    Node { span, kind }
}

/// Lines and columns of byte offsets in one text, found without rescanning it: the start of
/// every line is recorded once, a line is found by binary search, and the column is counted
/// from the line's start (or, for offsets met in increasing order on one line, from the last
/// offset asked). Turning every node of a document into a span is therefore linear in the size
/// of the file, where [`Span::at_offset`] would scan the text up to each node.
///
/// Spans are the same as [`Span::at_offset`]'s: 1-based line, column in characters.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
    /// The last offset a column was counted for: (offset, its line's start, its column).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'t> LineIndex<'t> {
    /// Records where each line of `text` starts (one pass over the text).
    pub(crate) fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { text, starts, last: std::cell::Cell::new((0, 0, 1)) }
    }

    /// The span of `len` bytes at byte `offset` (clamped to the text), as
    /// [`Span::at_offset`] computes it.
    pub(crate) fn span(&self, offset: usize, len: usize) -> Span {
        let offset = offset.min(self.text.len());
        if !self.text.is_char_boundary(offset) {
            // As `Span::at_offset`: no text before a split character.
            return Span::new(1, 1, offset, len);
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let (last, last_start, last_column) = self.last.get();
        let column = if last_start == start && last <= offset {
            last_column + self.text.get(last..offset).map_or(0, |s| s.chars().count())
        } else {
            1 + self.text.get(start..offset).map_or(0, |s| s.chars().count())
        };
        self.last.set((offset, start, column));
        Span::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
            offset,
            len,
        )
    }

    /// The point at 1-based `line` and `column` (in characters); the start of the text for
    /// line 0, the end of the text past the last line.
    pub(crate) fn line_col_span(&self, line: u64, column: u64) -> Span {
        if line == 0 {
            return self.span(0, 0);
        }
        let Some(&start) = usize::try_from(line - 1).ok().and_then(|l| self.starts.get(l)) else {
            return self.span(self.text.len(), 0);
        };
        let rest = self.text.get(start..).unwrap_or("");
        let line_text = rest.split_inclusive('\n').next().unwrap_or("");
        let within: usize = line_text
            .chars()
            .take(usize::try_from(column.saturating_sub(1)).unwrap_or(0))
            .map(char::len_utf8)
            .sum();
        self.span(start + within, 0)
    }
}

/// The span of bytes `index..index + len` of a scalar's decoded `value`, for a scalar node at
/// `span` in `text` (so a diagnostic can point inside a quoted or folded value).
pub(crate) fn value_span(text: &str, span: Span, value: &str, index: usize, len: usize) -> Span {
    let raw = text.get(span.offset..).unwrap_or("");
    let start = scalar_offset(raw, value, index);
    let end = scalar_offset(raw, value, index + len);
    Span::at_offset(text, span.offset + start, end.saturating_sub(start).max(1))
}

/// Byte offset in the source of the byte `index` of a scalar's decoded value, accounting for
/// quotes, escapes, block indicators and folded line breaks. `raw` is the source text the
/// scalar's span covers (or the rest of the file from the scalar's start).
pub(crate) fn scalar_offset(raw: &str, value: &str, index: usize) -> usize {
    let rb = raw.as_bytes();
    let mut r = 0;
    let double = raw.starts_with('"');
    if raw.starts_with('"') || raw.starts_with('\'') {
        r = 1;
    } else if raw.starts_with('|') || raw.starts_with('>') {
        r = raw.find('\n').map_or(raw.len(), |i| i + 1);
    }
    for (i, c) in value.char_indices() {
        // Skip what the YAML reader dropped: indentation, folded line breaks.
        loop {
            let Some(rc) = raw.get(r..).and_then(|s| s.chars().next()) else {
                return raw.len().min(r);
            };
            if rc == c && !(double && rc == '\\') {
                break;
            }
            if double && rc == '\\' {
                break;
            }
            if rc == '\'' && c == '\'' {
                break;
            }
            if rc.is_whitespace() {
                r += rc.len_utf8();
                continue;
            }
            break;
        }
        if i >= index {
            return r;
        }
        if double && rb.get(r) == Some(&b'\\') {
            let adv = match rb.get(r + 1) {
                Some(b'x') => 4,
                Some(b'u') => 6,
                Some(b'U') => 10,
                _ => 2,
            };
            r += adv;
        } else if !double && c == '\'' && raw.get(r..).is_some_and(|s| s.starts_with("''")) {
            r += 2;
        } else {
            r += raw.get(r..).and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(n: &'a Node, key: &str) -> &'a Node {
        match &n.kind {
            NodeKind::Map(e) => {
                &e.iter().find(|(k, _)| k.kind == NodeKind::Str(key.into())).unwrap().1
            }
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn spans_of_keys_and_values() {
        let text = "a: 1\nb:\n  c: \"x \\\"y\\\"\"\n  d: 'it''s'\n  e: |\n    foo\n    bar\nf: [x, {g: h}]\n";
        let tree = parse_tree(text, Document::Policy).unwrap();
        let NodeKind::Map(entries) = &tree.kind else { panic!() };
        let (k, v) = &entries[0];
        assert_eq!((k.span.line, k.span.column), (1, 1));
        assert_eq!((v.span.line, v.span.column), (1, 4));
        let c = find(find(&tree, "b"), "c");
        // A quoted scalar's span starts at its opening quote.
        assert_eq!((c.span.line, c.span.column, c.span.len), (3, 6, 9));
        assert_eq!(c.kind, NodeKind::Str("x \"y\"".into()));
        let d = find(find(&tree, "b"), "d");
        assert_eq!((d.span.line, d.span.column, d.span.len), (4, 6, 7));
        // A block scalar's span starts at its content.
        let e = find(find(&tree, "b"), "e");
        assert_eq!((e.span.line, e.span.column), (6, 5));
        let NodeKind::Seq(items) = &find(&tree, "f").kind else { panic!() };
        assert_eq!((items[0].span.line, items[0].span.column), (8, 5));
        let NodeKind::Map(inner) = &items[1].kind else { panic!() };
        assert_eq!((inner[0].0.span.line, inner[0].0.span.column), (8, 9));
    }

    #[test]
    fn yaml_1_2_booleans_only() {
        let tree = parse_tree("on: yes\n", Document::Policy).unwrap();
        let NodeKind::Map(entries) = &tree.kind else { panic!() };
        assert_eq!(entries[0].0.kind, NodeKind::Str("on".into()));
        assert_eq!(entries[0].1.kind, NodeKind::Str("yes".into()));
    }

    #[test]
    fn scalar_offsets() {
        assert_eq!(scalar_offset("\"a \\\"b\\\" c\"", "a \"b\" c", 6), 9);
        assert_eq!(scalar_offset("'it''s x'", "it's x", 5), 7);
        assert_eq!(scalar_offset("plain x", "plain x", 6), 6);
        assert_eq!(scalar_offset("|\n    foo\n    bar\n", "foo\nbar\n", 4), 14);
        assert_eq!(scalar_offset("a\n   b", "a b", 2), 5);
    }

    #[test]
    fn errors_are_located() {
        let e = parse_tree("a: 1\nb: [1, 2\n", Document::Policy).unwrap_err();
        assert_eq!(e.code, DiagnosticCode::E0101);
        assert_eq!((e.span.line, e.span.column), (2, 4));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            bomb.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 9].join(", ")
            ));
        }
        let e = parse_tree(&bomb, Document::Policy).unwrap_err();
        assert!(e.message.contains("limits"), "{}", e.message);
        let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(parse_tree(&deep, Document::Policy).unwrap_err().code, DiagnosticCode::E0101);
        assert_eq!(parse_tree("a\0b", Document::Policy).unwrap_err().code, DiagnosticCode::E0101);
    }

    #[test]
    fn the_line_index_agrees_with_span_at_offset() {
        let text = "a: 1\nbé: [x, 服务, y]\n\n  - 'it''s'\r\nlast line without break";
        let index = LineIndex::new(text);
        // In order, backwards and at every byte (split characters included).
        let forward: Vec<usize> = (0..=text.len() + 2).collect();
        for offset in forward.iter().chain(forward.iter().rev()) {
            assert_eq!(index.span(*offset, 3), Span::at_offset(text, *offset, 3), "{offset}");
        }
        for (line, column) in [(0, 0), (1, 1), (2, 3), (2, 5), (4, 9), (5, 4), (6, 1), (99, 1)] {
            let expected = match text.split_inclusive('\n').nth(line.max(1) - 1) {
                _ if line == 0 => Span::at_offset(text, 0, 0),
                None => Span::at_offset(text, text.len(), 0),
                Some(l) => {
                    let start = l.as_ptr() as usize - text.as_ptr() as usize;
                    let within: usize = l.chars().take(column - 1).map(char::len_utf8).sum();
                    Span::at_offset(text, start + within, 0)
                }
            };
            assert_eq!(
                index.line_col_span(line as u64, column as u64),
                expected,
                "{line}:{column}"
            );
        }
    }

    #[test]
    fn spans_of_a_long_list_are_exact() {
        // 5,000 items on separate lines and on one line: every item where it is written.
        let lines: String = (0..5_000).map(|i| format!("- item{i}\n")).collect();
        let one_line =
            format!("[{}]", (0..5_000).map(|i| format!("item{i}")).collect::<Vec<_>>().join(", "));
        for text in [lines, one_line] {
            let tree = parse_tree(&text, Document::Policy).unwrap();
            let NodeKind::Seq(items) = &tree.kind else { panic!("a list") };
            assert_eq!(items.len(), 5_000);
            for item in items {
                assert_eq!(item.span, Span::at_offset(&text, item.span.offset, item.span.len));
                let NodeKind::Str(value) = &item.kind else { panic!("a string") };
                assert_eq!(&text[item.span.offset..item.span.offset + item.span.len], value);
            }
        }
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_checker() {
        let dup = parse_tree("a: 1\na: 2\n", Document::Policy).unwrap();
        let NodeKind::Map(entries) = &dup.kind else { panic!() };
        assert_eq!(entries.len(), 2);
    }
}
