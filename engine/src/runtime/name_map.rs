//! Small sorted maps by name: a ticket's fields, artifacts, obligations and group members.

use super::Text;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A few values by name, sorted by name: a ticket's fields, artifacts, obligations and group
/// members. Read it like a `BTreeMap` (`get`, `contains_key`, `iter`, `keys`); it serialises as
/// the same JSON object. It is one sorted vector: a ticket holds a handful of entries, where a
/// `BTreeMap`'s first node alone takes room for eleven.
///
/// ```
/// use ombud_engine::runtime::NameMap;
/// let mut artifacts: NameMap<&str> = NameMap::new();
/// artifacts.insert("result_notice", "Mon 2 Mar");
/// artifacts.insert("investigation_report", "Fri 27 Feb");
/// let names: Vec<&str> = artifacts.keys().map(|k| k.as_str()).collect();
/// assert_eq!(names, ["investigation_report", "result_notice"]);
/// assert_eq!(serde_json::to_string(&artifacts).unwrap(),
///     r#"{"investigation_report":"Fri 27 Feb","result_notice":"Mon 2 Mar"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameMap<V>(Vec<(Text, V)>);

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap(Vec::new())
    }
}

impl<V> NameMap<V> {
    /// An empty map.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// assert!(NameMap::<u32>::new().is_empty());
    /// ```
    pub fn new() -> Self {
        NameMap(Vec::new())
    }

    /// How many entries.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// assert_eq!(m.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// m.remove("a");
    /// m.remove("b");
    /// assert!(m.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Where `name` is (a plain scan: the maps hold a few names), or where it would go.
    fn find(&self, name: &str) -> Result<usize, usize> {
        match self.0.iter().position(|(k, _)| k.as_str() == name) {
            Some(i) => Ok(i),
            None => Err(self.0.partition_point(|(k, _)| k.as_str() < name)),
        }
    }

    /// The value for `name`.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// assert_eq!((m.get("a"), m.get("c")), (Some(&1), None));
    /// ```
    pub fn get(&self, name: &str) -> Option<&V> {
        self.find(name).ok().and_then(|i| self.0.get(i)).map(|(_, v)| v)
    }

    /// The value for `name`, to change it.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// *m.get_mut("a").unwrap() += 10;
    /// assert_eq!(m.get("a"), Some(&11));
    /// ```
    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.find(name).ok().and_then(|i| self.0.get_mut(i)).map(|(_, v)| v)
    }

    /// Removes `name`, returning its value.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// assert_eq!((m.remove("a"), m.remove("a"), m.len()), (Some(1), None, 1));
    /// ```
    pub fn remove(&mut self, name: &str) -> Option<V> {
        self.find(name).ok().map(|i| self.0.remove(i).1)
    }

    /// Whether `name` has a value.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// assert!(m.contains_key("b") && !m.contains_key("B"));
    /// ```
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets the value for `name`, returning the one it replaces.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// assert_eq!(m.insert("a", 5), Some(1));
    /// assert_eq!(m.insert("0", 0), None);
    /// assert_eq!(m.keys().next().map(|k| k.as_str()), Some("0"));
    /// ```
    pub fn insert(&mut self, name: impl Into<Text>, value: V) -> Option<V> {
        let name = name.into();
        match self.find(&name) {
            Ok(i) => self.0.get_mut(i).map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    /// The entries in name order.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// let pairs: Vec<(&str, u32)> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    /// assert_eq!(pairs, [("a", 1), ("b", 2)]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Text, &V)> {
        self.into_iter()
    }

    /// The names in order.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// assert_eq!(m.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Text> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in name order.
    ///
    /// ```
    /// use ombud_engine::runtime::NameMap;
    /// let mut m: NameMap<u32> = NameMap::new();
    /// m.insert("b", 2);
    /// m.insert("a", 1);
    /// assert_eq!(m.values().sum::<u32>(), 3);
    /// ```
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl<V> FromIterator<(Text, V)> for NameMap<V> {
    fn from_iter<I: IntoIterator<Item = (Text, V)>>(iter: I) -> Self {
        let mut map = NameMap::from_vec(iter.into_iter().collect());
        map.0.shrink_to_fit();
        map
    }
}

impl<V> NameMap<V> {
    /// The map of `entries`, keeping the vector (and its spare room): sorted by name unless they
    /// already are, and of equal names the last value kept.
    pub(crate) fn from_vec(mut entries: Vec<(Text, V)>) -> Self {
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: equal names keep their order, and the last value of each run is moved
            // into the run's first slot, which `dedup_by` keeps.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
        }
        NameMap(entries)
    }
}

impl<'a, V> IntoIterator for &'a NameMap<V> {
    type Item = (&'a Text, &'a V);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (Text, V)>, fn(&'a (Text, V)) -> (&'a Text, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<V: Serialize> Serialize for NameMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for NameMap<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<Text, V>::deserialize(deserializer)?;
        let mut entries: Vec<(Text, V)> = map.into_iter().collect();
        entries.shrink_to_fit();
        Ok(NameMap(entries))
    }
}

/// A ticket's field values by name, sorted: a [`NameMap`].
///
/// ```
/// use ombud_engine::runtime::FieldMap;
/// let fields: FieldMap =
///     serde_json::from_str(r#"{"severity": "major", "claim_amount": 12000}"#).unwrap();
/// assert_eq!(fields.get("severity"), Some(&serde_json::json!("major")));
/// assert_eq!(fields.keys().next().map(|k| k.as_str()), Some("claim_amount"));
/// ```
pub type FieldMap = NameMap<Value>;

impl crate::expr::Vars for NameMap<Value> {
    fn var(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }

    fn each_var(&self, f: &mut dyn FnMut(&str, &Value)) {
        self.iter().for_each(|(k, v)| f(k, v));
    }

    fn var_count(&self) -> usize {
        self.len()
    }
}

/// A missing name reads as `null`, as a missing key of a JSON object does through
/// `serde_json::Value`'s indexing (so indexing never panics).
impl std::ops::Index<&str> for NameMap<Value> {
    type Output = Value;
    fn index(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(name).unwrap_or(&NULL)
    }
}

/// A ticket's field values: a sorted map (read it like a `BTreeMap`) that remembers the digest
/// the audit chain takes of it. Every way to change the map drops the remembered digest, so it
/// can never be stale; fields change far less often than the rest of the state, so most events
/// hash 32 bytes for them instead of every value.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Fields {
    map: FieldMap,
    #[serde(skip)]
    digest: OnceLock<[u8; 32]>,
}

impl Fields {
    /// The map, to change it (forgets the remembered digest).
    pub(crate) fn map_mut(&mut self) -> &mut FieldMap {
        self.digest = OnceLock::new();
        &mut self.map
    }

    /// The map, taken out.
    pub(crate) fn into_map(self) -> FieldMap {
        self.map
    }

    /// The digest of the values, computed once by `compute`.
    pub(crate) fn digest_with(&self, compute: impl FnOnce(&FieldMap) -> [u8; 32]) -> [u8; 32] {
        *self.digest.get_or_init(|| compute(&self.map))
    }
}

impl From<FieldMap> for Fields {
    fn from(map: FieldMap) -> Self {
        Fields { map, digest: OnceLock::new() }
    }
}

impl From<BTreeMap<String, Value>> for Fields {
    fn from(map: BTreeMap<String, Value>) -> Self {
        map.into_iter().map(|(k, v)| (Text::from(k), v)).collect::<FieldMap>().into()
    }
}

impl std::ops::Deref for Fields {
    type Target = FieldMap;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

#[cfg(test)]
mod tests {
    use super::{NameMap, Text};
    use std::collections::BTreeMap;

    #[test]
    fn a_name_map_reads_and_serialises_as_a_btree_map() {
        let pairs = [("b", 2), ("a", 1), ("c", 3), ("a", 4)];
        let mut map = NameMap::new();
        let mut tree = BTreeMap::new();
        for (k, v) in pairs {
            assert_eq!(map.insert(k, v), tree.insert(Text::from(k), v), "insert {k}");
        }
        assert_eq!(map.len(), tree.len());
        for k in ["a", "b", "c", "d", ""] {
            assert_eq!(map.get(k), tree.get(k), "get {k}");
            assert_eq!(map.contains_key(k), tree.contains_key(k), "contains {k}");
        }
        assert!(map.iter().eq(tree.iter()));
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, serde_json::to_string(&tree).unwrap());
        assert_eq!(serde_json::from_str::<NameMap<i32>>(&json).unwrap(), map);
        // Collecting keeps the last value of a repeated name, as a BTreeMap does.
        let collected: NameMap<i32> = pairs.iter().map(|&(k, v)| (Text::from(k), v)).collect();
        assert_eq!(collected, map);
        if let Some(v) = map.get_mut("b") {
            *v = 20;
        }
        assert_eq!(map.values().copied().collect::<Vec<_>>(), [4, 20, 3]);
        assert_eq!(map.keys().map(Text::as_str).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(map.remove("b"), Some(20));
        assert_eq!(map.remove("b"), None);
        assert_eq!(map.keys().map(Text::as_str).collect::<Vec<_>>(), ["a", "c"]);
        // Already in order but with a repeated name: still the last value, once.
        let sorted: NameMap<i32> =
            [("a", 1), ("a", 2), ("b", 3)].iter().map(|&(k, v)| (Text::from(k), v)).collect();
        assert_eq!(
            sorted.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
            [("a", 2), ("b", 3)]
        );
    }
}
