//! The ticket state a host stores between calls. Serialisable, stable JSON (sorted maps).

use super::{Digest, Event, Text};
use crate::compile::CompiledPolicy;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// A few values by name, sorted by name: a ticket's fields, artifacts, obligations and group
/// members. Read it like a `BTreeMap` (`get`, `contains_key`, `iter`, `keys`); it serialises as
/// the same JSON object. It is one sorted vector searched by binary search: a ticket holds a
/// handful of entries, where a `BTreeMap`'s first node alone takes room for eleven.
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

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
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

/// A ticket's field values by name, sorted (see [`Fields`]): a [`NameMap`].
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
///
/// ```
/// use ombud_engine::runtime::FieldMap;
/// let fields: FieldMap = [("channel".into(), serde_json::json!("app"))].into_iter().collect();
/// assert_eq!(fields["channel"], "app");
/// assert!(fields["missing"].is_null());
/// ```
impl std::ops::Index<&str> for NameMap<Value> {
    type Output = Value;
    fn index(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(name).unwrap_or(&NULL)
    }
}

/// Version of the ticket JSON format. Bumped on any incompatible change.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// assert_eq!(ticket.format, TICKET_FORMAT);
/// ```
pub const TICKET_FORMAT: u32 = 1;

/// The policy a ticket runs under: id, version and a digest of the policy's content, read
/// through [`PinnedPolicy`] (`ticket.policy.id`). One shared allocation: opening a ticket copies a
/// pointer, not the strings, and a ticket holds 8 bytes for it. Serialises as the three strings.
///
/// ```
/// use ombud_engine::runtime::PolicyPin;
/// let pin = PolicyPin::new("service-complaints", "2.1.0", "ab12");
/// assert_eq!(pin.version, "2.1.0");
/// assert_eq!(serde_json::to_string(&pin).unwrap(),
///            r#"{"id":"service-complaints","version":"2.1.0","digest":"ab12"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyPin(Arc<PinnedPolicy>);

/// What a [`PolicyPin`] holds.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let pinned: &PinnedPolicy = &ticket.policy;
/// assert_eq!((pinned.id.as_str(), pinned.digest.len()), ("desk", 64));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedPolicy {
    /// `policy:` id.
    pub id: String,
    /// `version:`.
    pub version: String,
    /// SHA-256 hex of the policy source.
    pub digest: String,
}

impl PolicyPin {
    /// The pin of `policy`.
    ///
    /// ```
    /// # let text = "policy: desk\nversion: '3'\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// let (policy, _) = ombud_engine::load_policy("desk.yaml", text, None).unwrap();
    /// let pin = ombud_engine::runtime::PolicyPin::of(&policy);
    /// assert_eq!((pin.id.as_str(), pin.version.as_str()), ("desk", "3"));
    /// assert_eq!(pin.digest, policy.digest);
    /// ```
    pub fn of(policy: &CompiledPolicy) -> Self {
        PolicyPin::new(&policy.id, &policy.version, &policy.digest)
    }

    /// A pin from its three strings.
    ///
    /// ```
    /// use ombud_engine::runtime::PolicyPin;
    /// assert_eq!(PolicyPin::new("desk", "3", "ab12"), PolicyPin::new("desk", "3", "ab12"));
    /// assert_ne!(PolicyPin::new("desk", "3", "ab12"), PolicyPin::new("desk", "4", "ab12"));
    /// ```
    pub fn new(id: &str, version: &str, digest: &str) -> Self {
        PolicyPin(Arc::new(PinnedPolicy {
            id: id.to_string(),
            version: version.to_string(),
            digest: digest.to_string(),
        }))
    }

    /// Whether both pins share one allocation (then they are equal without comparing strings).
    pub(crate) fn same_allocation(&self, other: &PolicyPin) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for PolicyPin {
    type Target = PinnedPolicy;
    fn deref(&self) -> &PinnedPolicy {
        &self.0
    }
}

/// A complaint ticket: everything the engine needs to continue it later.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// // What a host stores: stable JSON, small while the ticket has little history.
/// let json = serde_json::to_string(&ticket).unwrap();
/// assert!(json.len() < 2048);
/// let stored: Ticket = serde_json::from_str(&json).unwrap();
/// assert_eq!(stored, ticket);
/// assert_eq!((stored.stage.as_str(), stored.tier.as_deref()), ("open", Some("agent")));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Format version ([`TICKET_FORMAT`]).
    pub format: u32,
    /// The host's id.
    pub id: Text,
    /// The policy the ticket is pinned to.
    pub policy: PolicyPin,
    /// When the complaint was received.
    pub opened_at: DateTime<Utc>,
    /// The latest instant the ticket has been brought to (by an event or `advance`).
    pub clock_at: DateTime<Utc>,
    /// When the last event was applied.
    pub last_event_at: DateTime<Utc>,
    /// Ticket data: given, defaulted and derived values. Shared copy-on-write: most events
    /// leave it unchanged, and copies of a ticket (a host's undo buffer, a simulation's branches)
    /// share one map.
    pub fields: Arc<Fields>,
    /// Current stage.
    pub stage: Text,
    /// How many times a stage has been entered (1 for the start stage).
    pub visit: u32,
    /// Responsible tier now (the owner, or whoever it was escalated or reassigned to).
    pub tier: Option<Text>,
    /// The tier the stage's owner rule chose on entry.
    pub owner: Option<Text>,
    /// The person handling the ticket for the responsible tier, as the host named them
    /// (`reassign` with an `assignee`); cleared when responsibility passes to another tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Text>,
    /// The running clock of the current stage, if it has a time limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<StageClock>,
    /// Artifacts attached so far, with when.
    #[serde(default, skip_serializing_if = "NameMap::is_empty")]
    pub artifacts: NameMap<DateTime<Utc>>,
    /// The joint handling group of the current stage, if one formed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupState>,
    /// Obligations that have started.
    #[serde(default, skip_serializing_if = "NameMap::is_empty")]
    pub obligations: NameMap<ObligationState>,
    /// Whether a ladder step flagged the ticket red during the current stage visit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flagged: bool,
    /// Counters over the ticket's life.
    pub stats: TicketStats,
    /// Performance marks recorded by ladder steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
    /// When the ticket reached a terminal stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Every applied event with its audit hash; the first record is the opening.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<AuditRecord>,
    /// Hash of the last audit record.
    pub audit_head: Digest,
}

impl Ticket {
    /// Whether the ticket reached a terminal stage.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
    /// let (mut ticket, _) = engine.open(&input).unwrap();
    /// assert!(!ticket.is_closed());
    /// let done = Event::named("done", "2026-03-02T10:00:00Z".parse().unwrap());
    /// engine.apply(&mut ticket, &done).unwrap();
    /// assert!(ticket.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

/// A ticket's field values: a sorted map (read it like a `BTreeMap`) that remembers the digest
/// the audit chain takes of it. Every way to change the map drops the remembered digest, so it
/// can never be stale; fields change far less often than the rest of the state, so most events
/// hash 32 bytes for them instead of every value.
///
/// Field names are [`Text`]: inline strings, as every name a policy declares is short, so the map
/// holds no separate allocation per name and reading a field never leaves the map's nodes.
///
/// ```
/// use ombud_engine::runtime::Fields;
/// let mut fields: Fields = serde_json::from_str(r#"{"channel": "app"}"#).unwrap();
/// fields.insert("severity", serde_json::json!("major"));
/// assert_eq!(fields["severity"], "major"); // reads through to the map
/// assert_eq!(serde_json::to_string(&fields).unwrap(), r#"{"channel":"app","severity":"major"}"#);
/// ```
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fields {
    map: FieldMap,
    #[serde(skip)]
    digest: OnceLock<[u8; 32]>,
}

impl Fields {
    /// The values as a map.
    ///
    /// ```
    /// use ombud_engine::runtime::Fields;
    /// let fields: Fields = serde_json::from_str(r#"{"channel": "app"}"#).unwrap();
    /// assert_eq!(fields.map().len(), 1);
    /// ```
    pub fn map(&self) -> &FieldMap {
        &self.map
    }

    /// The map, to change it (forgets the remembered digest).
    ///
    /// ```
    /// use ombud_engine::runtime::Fields;
    /// let mut fields: Fields = serde_json::from_str(r#"{"channel": "app"}"#).unwrap();
    /// fields.map_mut().remove("channel");
    /// assert!(fields.is_empty());
    /// ```
    pub fn map_mut(&mut self) -> &mut FieldMap {
        self.digest = OnceLock::new();
        &mut self.map
    }

    /// Sets one value (forgets the remembered digest).
    ///
    /// ```
    /// use ombud_engine::runtime::Fields;
    /// let mut fields = Fields::default();
    /// assert_eq!(fields.insert("repeat", true.into()), None);
    /// assert_eq!(fields.insert("repeat", false.into()), Some(true.into()));
    /// ```
    pub fn insert(&mut self, name: impl Into<Text>, value: Value) -> Option<Value> {
        self.map_mut().insert(name.into(), value)
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

/// Counters a report reads without replaying the timeline.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse().unwrap()).unwrap();
/// let TicketStats { breaches, escalations, flags, stages_entered } = ticket.stats;
/// assert_eq!((breaches, escalations, flags, stages_entered), (1, 1, 0, 1));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStats {
    /// Deadlines missed (stage visits and obligations).
    pub breaches: u32,
    /// Escalation steps fired.
    pub escalations: u32,
    /// Flag steps fired.
    pub flags: u32,
    /// Stage visits.
    pub stages_entered: u32,
}

/// The clock of the current stage visit.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: handle\nstages:\n  handle: { owner: agent, due: 3 working days, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into());
/// // Received on the Friday evening before Spring Festival 2026: Sat 14 Feb is a make-up working
/// // day, 15–23 Feb the holiday, so the third working day is Wed 25 Feb.
/// let input: OpenTicket =
///     serde_json::from_str(r#"{"id":"S-1","at":"2026-02-13T17:30:00+08:00"}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let clock = ticket.clock.as_ref().unwrap();
/// assert_eq!(clock.budget.to_string(), "3 working days");
/// // The end of Wed 25 Feb in Beijing.
/// assert_eq!(clock.deadline.to_rfc3339(), "2026-02-25T16:00:00+00:00");
/// // The budget on the working clock: the rest of Friday (6 h 30) and three working days.
/// assert_eq!((clock.total, clock.paused.is_none()), (6 * 3600 + 1800 + 3 * 86_400, true));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageClock {
    /// The limit as written (`3 working days`).
    pub budget: crate::policy::Duration,
    /// When the clock started: the stage's entry, or the resume that restarted it.
    pub started: DateTime<Utc>,
    /// When it runs out (moved by pauses).
    pub deadline: DateTime<Utc>,
    /// Size of the budget in seconds: working seconds for working-time budgets, else wall.
    pub total: i64,
    /// Whether the deadline rests on days beyond the calendar's data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
    /// Set while paused: since when, and the budget left at that moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Pause>,
    /// Ladder steps already fired (bit i = step i).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fired: u64,
    /// Whether the breach of this visit has been recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub breached: bool,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// A paused clock.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: p\ncalendar: weekdays\nfields:\n  departments: { type: list }\n  press: { type: bool }\ntiers: [agent, head]\ngroups:\n  joint:\n    when: 'departments.len() > 1'\n    lead: head\n    members: { tier: agent, per: departments }\n    stages: [work]\n    complete: all\nobligations:\n  statement: { when: 'press', due: 24h, owner: head, done_on: published }\npause:\n  - { on: wait, resume_on: back, resume: remaining }\nstart: work\nstages:\n  work: { owner: agent, due: 8h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"P-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let wait = Event::named("wait", "2026-03-02T11:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &wait).unwrap();
/// let pause = ticket.clock.as_ref().and_then(|c| c.paused.as_ref()).unwrap();
/// assert_eq!((pause.remaining, pause.resume_on.as_str()), (6 * 3600, "back"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the clock stopped.
    pub since: DateTime<Utc>,
    /// Budget left then, in the clock's unit (working or wall seconds).
    pub remaining: i64,
    /// The pause rule's resume event.
    pub resume_on: String,
}

/// A joint handling group's state in the current stage.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: p\ncalendar: weekdays\nfields:\n  departments: { type: list }\n  press: { type: bool }\ntiers: [agent, head]\ngroups:\n  joint:\n    when: 'departments.len() > 1'\n    lead: head\n    members: { tier: agent, per: departments }\n    stages: [work]\n    complete: all\nobligations:\n  statement: { when: 'press', due: 24h, owner: head, done_on: published }\npause:\n  - { on: wait, resume_on: back, resume: remaining }\nstart: work\nstages:\n  work: { owner: agent, due: 8h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into());
/// let input: OpenTicket = serde_json::from_str(r#"{"id":"G-1","at":"2026-03-02T09:00:00Z",
///     "fields":{"departments":["billing","network"]}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let billing = Event::member_done("billing", "2026-03-02T10:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &billing).unwrap();
/// let group = ticket.group.as_ref().unwrap();
/// let pending: Vec<&str> =
///     group.members.iter().filter(|(_, d)| d.is_none()).map(|(m, _)| m.as_str()).collect();
/// assert_eq!((group.name.as_str(), pending), ("joint", vec!["network"]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupState {
    /// Group name.
    pub name: Text,
    /// Member → when it reported done (None: pending).
    pub members: NameMap<Option<DateTime<Utc>>>,
    /// When the lead reported done (for `complete: lead`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_done: Option<DateTime<Utc>>,
}

/// An obligation that has started.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: p\ncalendar: weekdays\nfields:\n  departments: { type: list }\n  press: { type: bool }\ntiers: [agent, head]\ngroups:\n  joint:\n    when: 'departments.len() > 1'\n    lead: head\n    members: { tier: agent, per: departments }\n    stages: [work]\n    complete: all\nobligations:\n  statement: { when: 'press', due: 24h, owner: head, done_on: published }\npause:\n  - { on: wait, resume_on: back, resume: remaining }\nstart: work\nstages:\n  work: { owner: agent, due: 8h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into());
/// let input: OpenTicket = serde_json::from_str(
///     r#"{"id":"O-1","at":"2026-03-02T09:00:00Z","fields":{"press":true}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let statement = ticket.obligations.get("statement").unwrap();
/// assert_eq!(statement.deadline.to_rfc3339(), "2026-03-03T09:00:00+00:00");
/// assert_eq!((statement.done, statement.breached), (None, false));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationState {
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it must be done by.
    pub deadline: DateTime<Utc>,
    /// Whether the deadline rests on days beyond the calendar's data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
    /// When it was discharged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<DateTime<Utc>>,
    /// Whether its breach was recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub breached: bool,
}

/// A performance mark recorded against a tier, and the person who held the ticket for it, by a
/// ladder step.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let assign = Event::assign("zhang.min", "2026-03-02T09:05:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &assign).unwrap();
/// engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse().unwrap()).unwrap();
/// let mark = &ticket.marks[0];
/// assert_eq!((mark.mark.as_str(), mark.tier.as_str(), mark.assignee.as_deref()),
///            ("performance", "agent", Some("zhang.min")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// When.
    pub at: DateTime<Utc>,
    /// The mark (e.g. `performance`).
    pub mark: Text,
    /// Stage it concerns.
    pub stage: Text,
    /// The tier it is recorded against (the responsible tier when the step fired).
    pub tier: Text,
    /// The person it is recorded against: the ticket's assignee when the step fired, if the
    /// host had named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Text>,
}

/// One link of the tamper-evident audit chain: an applied event (or the opening) and the hash
/// over the previous record's hash, the event and the resulting state's digest.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let done = Event::named("done", "2026-03-02T10:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &done).unwrap();
/// let [opening, done] = &ticket.history[..] else { panic!("two records") };
/// assert_eq!((opening.seq, done.seq), (0, 1));
/// assert_eq!(done.hash, record_hash(&opening.hash, &done.entry, &done.state));
/// assert_eq!(ticket.audit_head, done.hash);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 0 for the opening, then 1, 2, …
    pub seq: u64,
    /// What was applied.
    pub entry: AuditEntry,
    /// SHA-256 of the ticket state after it (history and head excluded).
    pub state: Digest,
    /// SHA-256 over `prev hash | entry | state`.
    pub hash: Digest,
}

/// What an audit record covers.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 100%, do: escalate, to: next, mark: performance }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let done = Event::named("done", "2026-03-02T10:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &done).unwrap();
/// let events: Vec<&str> = ticket.history.iter().map(|r| match &r.entry {
///     AuditEntry::Open(_) => "(opened)",
///     AuditEntry::Event(e) => e.event.as_str(),
/// }).collect();
/// assert_eq!(events, ["(opened)", "done"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AuditEntry {
    /// The opening data.
    Open(Box<OpenRecord>),
    /// An applied event.
    Event(Box<Event>),
}

/// The opening data as recorded in the audit chain.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: p\ncalendar: weekdays\nfields:\n  channel: { type: string, default: web }\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into());
/// let input: OpenTicket =
///     serde_json::from_str(r#"{"id":"R-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let AuditEntry::Open(record) = &ticket.history[0].entry else { panic!("the opening") };
/// // The record keeps the fields as given; the ticket holds them with defaults applied.
/// assert!(record.fields.is_empty());
/// assert_eq!((record.opened, &ticket.fields["channel"]), (input.at, &serde_json::json!("web")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRecord {
    /// When.
    pub opened: DateTime<Utc>,
    /// The fields as given.
    pub fields: serde_json::Map<String, Value>,
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
