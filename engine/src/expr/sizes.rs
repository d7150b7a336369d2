//! How much data a field value holds as the sandbox counts it when a condition reads it.

use super::limits;
use serde_json::Value;

/// How much data a value holds as the sandbox counts it when a condition reads it: list
/// entries, map entries and bytes of text, nested ones included (rhai's own measure). A list or
/// map over any of [`limits::MAX_ARRAY_SIZE`], [`limits::MAX_MAP_SIZE`] and
/// [`limits::MAX_STRING_SIZE`] makes every condition that reads it fail, so the runtime refuses
/// such a field value at the input.
pub(crate) fn sandbox_sizes(value: &Value) -> DataSizes {
    let mut sizes = DataSizes::default();
    // The value itself is the container; what it holds is counted (as rhai does).
    match value {
        Value::Array(items) => items.iter().for_each(|v| sizes.add_list_entry(v)),
        Value::Object(map) => map.values().for_each(|v| sizes.add_map_entry(v)),
        _ => {}
    }
    sizes
}

/// What [`sandbox_sizes`] counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DataSizes {
    /// List entries, nested lists' included.
    pub list_entries: usize,
    /// Map entries, nested maps' included.
    pub map_entries: usize,
    /// Bytes of every string inside.
    pub text_bytes: usize,
}

impl DataSizes {
    /// Whether any count is over the sandbox's limit.
    pub(crate) fn exceeds_limits(&self) -> bool {
        self.list_entries > limits::MAX_ARRAY_SIZE
            || self.map_entries > limits::MAX_MAP_SIZE
            || self.text_bytes > limits::MAX_STRING_SIZE
    }

    fn add_list_entry(&mut self, v: &Value) {
        self.list_entries += 1;
        self.add_inner(v);
    }

    fn add_map_entry(&mut self, v: &Value) {
        self.map_entries += 1;
        self.add_inner(v);
    }

    fn add_inner(&mut self, v: &Value) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| self.add_list_entry(i)),
            Value::Object(map) => map.values().for_each(|i| self.add_map_entry(i)),
            Value::String(s) => self.text_bytes += s.len(),
            _ => {}
        }
    }
}

impl std::fmt::Display for DataSizes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} list entries, {} map entries, {} bytes of text",
            self.list_entries, self.map_entries, self.text_bytes
        )
    }
}
