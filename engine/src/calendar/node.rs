//! A minimal located YAML tree.
//!
//! Calendar files are read in two steps: serde-saphyr parses the text into this tree, where every
//! node keeps its location, and `data.rs` walks the tree by hand. Walking by hand (instead of
//! deriving `Deserialize` for the file model) is what lets the loader report *every* mistake —
//! unknown keys, bad dates, wrong shapes — with a line and column, instead of stopping at the
//! first serde error.

use crate::check::{Source, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};
use std::fmt;

/// A YAML value with its children located.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// Any scalar, kept as text (numbers and booleans are rendered back to text).
    Scalar(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<(Node, Node)>),
}

/// A located YAML value.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) loc: Location,
}

impl Node {
    /// The diagnostic span of this node in `source`.
    pub(crate) fn span(&self, source: &Source) -> Span {
        location_span(&self.loc, source, self.scalar().map_or(0, str::len))
    }

    /// The text of a scalar node.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A short name of the node's shape, for messages.
    pub(crate) fn shape(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing",
            Value::Scalar(_) => "a single value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Converts a serde-saphyr location into a diagnostic span over `len` bytes.
pub(crate) fn location_span(loc: &Location, source: &Source, len: usize) -> Span {
    let line = u32::try_from(loc.line()).unwrap_or(u32::MAX);
    let column = u32::try_from(loc.column()).unwrap_or(u32::MAX);
    if line == 0 {
        return Span::default();
    }
    let offset = match loc.span().byte_offset() {
        Some(off) => usize::try_from(off).unwrap_or(0),
        None => offset_of(&source.text, line, column),
    };
    let len = len.min(source.text.len().saturating_sub(offset));
    Span { line, column, offset, len }
}

fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let col = (column as usize).saturating_sub(1);
            return off + l.char_indices().nth(col).map_or(l.len(), |(b, _)| b);
        }
        off += l.len();
    }
    text.len()
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node { value: spanned.value, loc: spanned.referenced })
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Scalar(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            out.push(n);
        }
        Ok(Value::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<Node>()? {
            let v = map.next_value::<Node>()?;
            out.push((k, v));
        }
        Ok(Value::Map(out))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// Parses `text` into a located tree, or the syntax error's message and location.
pub(crate) fn parse(text: &str) -> Result<Node, (String, Option<Location>)> {
    // Repeated keys reach the tree, so the loader reports them located (E0505).
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| {
        let loc = e.location();
        (e.to_string(), loc)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_locations_of_nested_values() {
        let text =
            "id: x\nholidays:\n  - name: a\n    date: 2026-01-01\nhours: \"09:00-12:00\"\nn: 5\n";
        let root = parse(text).unwrap();
        let Value::Map(entries) = &root.value else { panic!("not a map") };
        assert_eq!(entries[0].0.scalar(), Some("id"));
        assert_eq!(entries[0].1.loc.line(), 1);
        let Value::Seq(items) = &entries[1].1.value else { panic!("not a seq") };
        let Value::Map(item) = &items[0].value else { panic!("not a map") };
        assert_eq!(item[1].1.scalar(), Some("2026-01-01"));
        assert_eq!((item[1].1.loc.line(), item[1].1.loc.column()), (4, 11));
        assert_eq!(entries[2].1.scalar(), Some("09:00-12:00"));
        assert_eq!(entries[3].1.scalar(), Some("5"));
        let src = Source::new("f.yaml", text);
        let span = item[1].1.span(&src);
        assert_eq!(&text[span.offset..span.offset + span.len], "2026-01-01");
    }
}
