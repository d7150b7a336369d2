//! The audit chain's hashing: one canonical, compact encoding of a ticket's state fed straight
//! into SHA-256.
//!
//! Every value is written with a one-byte tag and a self-delimiting body, so two different states
//! never encode to the same bytes: unsigned integers and lengths as LEB128 varints, signed ones
//! zigzag-encoded first, strings as their length then their UTF-8 bytes, JSON numbers as their
//! canonical text ended by a zero byte. Structs are destructured exhaustively: adding a field to
//! [`Ticket`] (or to anything it holds) does not compile until the field is hashed here, so nothing
//! in the state can escape the chain. Instants are hashed as seconds and nanoseconds since the
//! epoch; maps are hashed in key order. SHA-256 costs per byte, so the encoding is
//! kept small: a typical ticket's state is a few hundred bytes.

use super::{
    AuditEntry, BreachRecord, CalendarRecord, Clock, ExtensionRecord, GroupState, Mark,
    ObligationState, OpenRecord, Pause, PinnedPolicy, RecordedEvent, Ticket, TicketStats,
};
use crate::policy::Duration;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::io::Write as _;

/// A SHA-256 digest in the audit chain, written (in JSON and by `Display`) as 64 lowercase hex
/// digits. An unsealed record (see
/// [`Engine::without_audit_hashes`](crate::runtime::Engine::without_audit_hashes)) holds the empty
/// digest, written `""`.
///
/// The 32 bytes are kept as they are, so sealing a record allocates nothing and hex is written
/// only when the record is. Text that is not a lowercase hex digest (a tampered file) is kept as
/// it was read: it writes back unchanged, and it equals no computed digest, so verification
/// reports it.
///
/// ```
/// use ombud_engine::runtime::Digest;
/// let d: Digest = "ab".repeat(32).as_str().into();
/// assert_eq!(d.as_bytes(), Some(&[0xab; 32]));
/// assert_eq!(d.to_string(), "ab".repeat(32));
/// assert!(Digest::default().is_empty());
/// let tampered = Digest::from("not a digest");
/// assert_eq!(tampered.as_bytes(), None);
/// assert_eq!(tampered.to_string(), "not a digest");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Digest(Repr);

#[derive(Clone, Default, PartialEq, Eq, Hash)]
enum Repr {
    /// Not sealed.
    #[default]
    Empty,
    /// A digest.
    Sha256([u8; 32]),
    /// Text that is not a lowercase hex digest, kept as read.
    Other(Box<str>),
}

impl Digest {
    /// The digest of these 32 bytes.
    ///
    /// ```
    /// use ombud_engine::runtime::Digest;
    /// assert_eq!(Digest::from_bytes([0; 32]).to_string(), "0".repeat(64));
    /// ```
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Digest(Repr::Sha256(bytes))
    }

    /// The 32 bytes, unless this is empty or not a digest.
    ///
    /// ```
    /// use ombud_engine::runtime::Digest;
    /// assert_eq!(Digest::from_bytes([7; 32]).as_bytes(), Some(&[7; 32]));
    /// assert_eq!(Digest::from("0f").as_bytes(), None);
    /// ```
    pub fn as_bytes(&self) -> Option<&[u8; 32]> {
        match &self.0 {
            Repr::Sha256(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is the empty digest of an unsealed record.
    ///
    /// ```
    /// use ombud_engine::runtime::Digest;
    /// assert!(Digest::from("").is_empty());
    /// assert!(!Digest::from_bytes([0; 32]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0 == Repr::Empty
    }

    /// Feeds the text form (what a hex `String` would hold) to `f`, without allocating.
    #[expect(clippy::expect_used, reason = "the invariant below")]
    fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Repr::Empty => f(""),
            Repr::Sha256(b) => {
                let hex = hex_digits(b);
                // INVARIANT: `hex_digits` writes only ASCII hex digits.
                f(std::str::from_utf8(&hex).expect("hex digits are ASCII"))
            }
            Repr::Other(s) => f(s),
        }
    }
}

impl From<&str> for Digest {
    fn from(text: &str) -> Self {
        if text.is_empty() {
            return Digest(Repr::Empty);
        }
        let bytes = text.as_bytes();
        let mut out = [0u8; 32];
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let parsed = bytes.len() == 64
            && out.iter_mut().zip(bytes.chunks_exact(2)).all(|(o, pair)| {
                match (nibble(pair[0]), nibble(pair[1])) {
                    (Some(hi), Some(lo)) => {
                        *o = hi << 4 | lo;
                        true
                    }
                    _ => false,
                }
            });
        if parsed { Digest(Repr::Sha256(out)) } else { Digest(Repr::Other(text.into())) }
    }
}

impl From<String> for Digest {
    fn from(text: String) -> Self {
        Digest::from(text.as_str())
    }
}

impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        self.with_text(|t| t == other)
    }
}

impl PartialEq<&str> for Digest {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|t| f.write_str(t))
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|t| std::fmt::Debug::fmt(t, f))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_text(|t| s.serialize_str(t))
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Digest;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a SHA-256 digest as 64 hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                Ok(Digest::from(v))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// Digest of the ticket state: SHA-256 of the canonical encoding of everything but `history`
/// and `audit_head`. This is what an audit record's `state` holds.
///
/// ```
/// use ombud_engine::{Ticket, runtime::state_digest};
/// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
/// assert_eq!(state_digest(&ticket), ticket.history()[0].state);
/// // The digest follows every change to the state (here, to the stored JSON).
/// let mut json = serde_json::to_value(&ticket).unwrap();
/// json["flagged"] = true.into();
/// let changed: Ticket = serde_json::from_value(json).unwrap();
/// assert_ne!(state_digest(&changed), ticket.history()[0].state);
/// assert_eq!(state_digest(&ticket).to_string().len(), 64);
/// ```
pub fn state_digest(ticket: &Ticket) -> Digest {
    Digest::from_bytes(Hasher::sha256(|h| h.ticket(ticket)))
}

/// The hash of an audit record: SHA-256 over the previous record's hash (its 64 hex digits;
/// nothing for the opening), the entry and the state digest after it (its 64 hex digits).
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let opening = &ticket.history()[0];
/// let recomputed = record_hash(&Digest::default(), &opening.entry, &opening.state);
/// assert_eq!((recomputed.clone(), recomputed), (opening.hash.clone(), ticket.audit_head().clone()));
/// ```
pub fn record_hash(prev: &Digest, entry: &AuditEntry, state: &Digest) -> Digest {
    record_hash_with(prev, entry, None, state)
}

/// The hash of an audit record that may carry the extension its event made
/// ([`AuditRecord::extension`](super::AuditRecord::extension)): [`record_hash`], with the
/// extension appended after the state digest when there is one (so every record without one
/// keeps its hash).
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let r = &ticket.history()[0];
/// let plain = record_hash_with(&Digest::default(), &r.entry, None, &r.state);
/// assert_eq!(plain, record_hash(&Digest::default(), &r.entry, &r.state));
/// let extension = ExtensionRecord { stage: Some("open".into()), obligation: None, entry: 0,
///     by: Some("2h".parse().unwrap()), to: None };
/// assert_ne!(plain, record_hash_with(&Digest::default(), &r.entry, Some(&extension), &r.state));
/// ```
pub fn record_hash_with(
    prev: &Digest,
    entry: &AuditEntry,
    extension: Option<&ExtensionRecord>,
    state: &Digest,
) -> Digest {
    Digest::from_bytes(Hasher::sha256(|h| {
        h.digest(prev);
        h.entry(entry);
        h.digest(state);
        // The state digest is length-prefixed, so what follows it cannot be read as part of it.
        if let Some(x) = extension {
            let ExtensionRecord { stage, obligation, entry, by, to } = x;
            h.tag(EXTENSION);
            h.opt_str(stage.as_deref());
            h.opt_str(obligation.as_deref());
            h.u64(u64::from(*entry));
            for d in [by, to] {
                match d {
                    None => h.tag(0),
                    Some(d) => {
                        h.tag(1);
                        h.duration(d);
                    }
                }
            }
        }
    }))
}

/// The 64 lowercase hex digits of a digest.
fn hex_digits(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
    out
}

/// The tag of the assignee trailer of a ticket's or an event's encoding.
const ASSIGNEES: u8 = 0xa5;

/// The tag of the clocks trailer of a ticket's encoding.
const CLOCKS: u8 = 0xc1;

/// The tag of the breach records trailer of a ticket's encoding.
const BREACHES: u8 = 0xb4;

/// The tag of the extension trailer of an audit record's hash.
const EXTENSION: u8 = 0xe7;

/// The tag of a clock's roll-off, written only when it is not 0.
const ROLL_OFF: u8 = 0xd0;

/// Collects the encoding, then hashes it in one call (SHA-256's per-call overhead dominates
/// when fed a few bytes at a time).
struct Hasher(Vec<u8>);

impl Hasher {
    /// Encodes with `write` and returns the SHA-256 of the bytes.
    fn sha256(write: impl FnOnce(&mut Hasher)) -> [u8; 32] {
        let mut h = Hasher(Vec::with_capacity(512));
        write(&mut h);
        Sha256::digest(&h.0).into()
    }

    fn tag(&mut self, t: u8) {
        self.0.push(t);
    }

    /// LEB128: seven bits per byte, high bit set on every byte but the last.
    fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    /// Zigzag (0, -1, 1, -2, … → 0, 1, 2, 3, …), then LEB128.
    fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }

    fn bool(&mut self, v: bool) {
        self.tag(u8::from(v));
    }

    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    /// A digest as its text form was hashed: the length, then the hex digits.
    fn digest(&mut self, d: &Digest) {
        match &d.0 {
            Repr::Empty => self.u64(0),
            Repr::Sha256(b) => {
                self.u64(64);
                self.0.extend_from_slice(&hex_digits(b));
            }
            Repr::Other(s) => self.str(s),
        }
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.tag(0),
            Some(s) => {
                self.tag(1);
                self.str(s);
            }
        }
    }

    fn time(&mut self, t: &DateTime<Utc>) {
        self.i64(t.timestamp());
        self.u64(u64::from(t.timestamp_subsec_nanos()));
    }

    fn opt_time(&mut self, t: Option<&DateTime<Utc>>) {
        match t {
            None => self.tag(0),
            Some(t) => {
                self.tag(1);
                self.time(t);
            }
        }
    }

    fn duration(&mut self, d: &Duration) {
        match *d {
            Duration::Wall { seconds } => {
                self.tag(0);
                self.i64(seconds);
            }
            Duration::WorkingDays(n) => {
                self.tag(1);
                self.u64(u64::from(n));
            }
            Duration::WorkingHours { minutes } => {
                self.tag(2);
                self.u64(u64::from(minutes));
            }
            Duration::CalendarDays(n) => {
                self.tag(3);
                self.u64(u64::from(n));
            }
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.tag(0),
            Value::Bool(b) => {
                self.tag(1);
                self.bool(*b);
            }
            Value::Number(n) => {
                // The number's canonical text: JSON numbers have no other identity. It never
                // contains a zero byte, which ends it.
                self.tag(2);
                self.number(n);
                self.tag(0);
            }
            Value::String(s) => {
                self.tag(3);
                self.str(s);
            }
            Value::Array(items) => {
                self.tag(4);
                self.u64(items.len() as u64);
                for item in items {
                    self.value(item);
                }
            }
            Value::Object(map) => {
                self.tag(5);
                self.u64(map.len() as u64);
                for (k, v) in map {
                    self.str(k);
                    self.value(v);
                }
            }
        }
    }

    /// A number's text as serde_json writes it.
    fn number(&mut self, n: &serde_json::Number) {
        // Writing to a Vec cannot fail.
        let _ = write!(self.0, "{n}");
    }

    fn ticket(&mut self, t: &Ticket) {
        let Ticket {
            format,
            id,
            policy,
            opened_at,
            clock_at,
            last_event_at,
            fields,
            stage,
            visit,
            tier,
            owner,
            assignee,
            clock,
            artifacts,
            group,
            obligations,
            flagged,
            stats,
            marks,
            closed_at,
            history: _,
            audit_head: _,
        } = t;
        self.u64(u64::from(*format));
        self.str(id);
        let PinnedPolicy { id: pid, version, digest } = &**policy;
        self.str(pid);
        self.str(version);
        self.str(digest);
        self.time(opened_at);
        self.time(clock_at);
        self.time(last_event_at);
        // The fields enter as their own digest, which the ticket remembers until they change.
        let fields_digest = fields.digest_with(|map| {
            Hasher::sha256(|h| {
                h.u64(map.len() as u64);
                for (k, v) in map {
                    h.str(k);
                    h.value(v);
                }
            })
        });
        self.0.extend_from_slice(&fields_digest);
        self.str(stage);
        self.u64(u64::from(*visit));
        self.opt_str(tier.as_deref());
        self.opt_str(owner.as_deref());
        match clock {
            None => self.tag(0),
            Some(c) => {
                self.tag(1);
                self.clock(c);
            }
        }
        self.u64(artifacts.len() as u64);
        for (k, at) in artifacts {
            self.str(k);
            self.time(at);
        }
        match group {
            None => self.tag(0),
            Some(GroupState { name, members, lead_done }) => {
                self.tag(1);
                self.str(name);
                self.u64(members.len() as u64);
                for (m, done) in members {
                    self.str(m);
                    self.opt_time(done.as_ref());
                }
                self.opt_time(lead_done.as_ref());
            }
        }
        self.u64(obligations.len() as u64);
        // An obligation's budget and total follow from the policy, its start and its
        // extensions; what a stage clock has beyond the first format's obligation (ladder steps,
        // pauses, extensions) goes in the clocks trailer.
        for (name, ob) in obligations {
            let ObligationState { clock, done } = ob;
            self.str(name);
            self.time(&clock.started);
            self.time(&clock.deadline);
            self.bool(clock.provisional);
            self.opt_time(done.as_ref());
            self.bool(clock.breached);
        }
        self.bool(*flagged);
        let TicketStats { breaches, escalations, flags, stages_entered } = stats;
        for n in [breaches, escalations, flags, stages_entered] {
            self.u64(u64::from(*n));
        }
        self.u64(marks.len() as u64);
        for Mark { at, mark, stage, tier, assignee: _ } in marks {
            self.time(at);
            self.str(mark);
            self.str(stage);
            self.str(tier);
        }
        self.opt_time(closed_at.as_ref());
        // Assignees came after the format's first tickets: they are appended, and only when
        // there is one, so every ticket without them keeps its digest. (What comes before is
        // self-delimiting, so the appended bytes cannot make two states encode alike.)
        if assignee.is_some() || marks.iter().any(|m| m.assignee.is_some()) {
            self.tag(ASSIGNEES);
            self.opt_str(assignee.as_deref());
            for m in marks {
                self.opt_str(m.assignee.as_deref());
            }
        }
        // Extensions, and obligation clocks' steps and pauses, likewise: appended only when a
        // clock has any, so every ticket without them keeps its digest.
        let plain = |c: &Clock| c.extended.is_empty() && c.fired == 0 && c.paused.is_none();
        let stage_extended = clock.as_ref().is_some_and(|c| !c.extended.is_empty());
        if stage_extended || obligations.values().any(|o| !plain(&o.clock)) {
            self.tag(CLOCKS);
            self.extended(clock.as_ref().map_or(&[][..], |c| &c.extended[..]));
            for ob in obligations.values() {
                self.clock(&ob.clock);
                self.extended(&ob.clock.extended);
            }
        }
        // Breach records (who held the ticket, the deadline that ran out) likewise: appended
        // only when a clock has one, so tickets stored before they were kept keep their digest.
        let stage_breach = clock.as_ref().and_then(|c| c.breach.as_deref());
        if stage_breach.is_some() || obligations.values().any(|o| o.clock.breach.is_some()) {
            self.tag(BREACHES);
            self.breach(stage_breach);
            for ob in obligations.values() {
                self.breach(ob.clock.breach.as_deref());
            }
        }
    }

    fn breach(&mut self, b: Option<&BreachRecord>) {
        match b {
            None => self.tag(0),
            Some(BreachRecord { deadline, tier, assignee }) => {
                self.tag(1);
                self.time(deadline);
                self.opt_str(tier.as_deref());
                self.opt_str(assignee.as_deref());
            }
        }
    }

    fn extended(&mut self, counts: &[u32]) {
        self.u64(counts.len() as u64);
        for n in counts {
            self.u64(u64::from(*n));
        }
    }

    fn clock(&mut self, c: &Clock) {
        // `extended` is hashed in the clocks trailer (see `ticket`).
        let Clock {
            budget,
            started,
            deadline,
            total,
            provisional,
            paused,
            fired,
            breached,
            extended: _,
            breach: _,
            roll_off,
        } = c;
        self.duration(budget);
        self.time(started);
        self.time(deadline);
        self.i64(*total);
        self.bool(*provisional);
        match paused {
            None => self.tag(0),
            Some(Pause { since, remaining, resume_on }) => {
                self.tag(1);
                self.time(since);
                self.i64(*remaining);
                self.str(resume_on);
            }
        }
        self.u64(*fired);
        self.bool(*breached);
        // Only a clock whose deadline rolled on over rest days has one: other tickets' chains
        // verify under every engine version.
        if *roll_off != 0 {
            self.tag(ROLL_OFF);
            self.i64(*roll_off);
        }
    }

    fn entry(&mut self, entry: &AuditEntry) {
        match entry {
            AuditEntry::Open(open) => {
                let OpenRecord { opened, fields } = &**open;
                self.tag(0);
                self.time(opened);
                self.u64(fields.len() as u64);
                for (k, v) in fields {
                    self.str(k);
                    self.value(v);
                }
            }
            AuditEntry::Event(event) => {
                let RecordedEvent { at, event, artifact, data, member, to, assignee, by } =
                    &**event;
                self.tag(1);
                self.time(at);
                self.str(event);
                self.opt_str(artifact.as_deref());
                match data {
                    None => self.tag(0),
                    Some(map) => {
                        self.tag(1);
                        self.u64(map.len() as u64);
                        for (k, v) in map {
                            self.str(k);
                            self.value(v);
                        }
                    }
                }
                self.opt_str(member.as_deref());
                self.opt_str(to.as_deref());
                self.opt_str(by.as_deref());
                // Appended only when set, as for the ticket's assignees.
                if let Some(a) = assignee {
                    self.tag(ASSIGNEES);
                    self.str(a);
                }
            }
            AuditEntry::Calendar(update) => {
                let CalendarRecord { at, calendar, covered_until, clocks } = &**update;
                self.tag(2);
                self.time(at);
                self.str(calendar);
                self.opt_str(covered_until.map(|d| d.to_string()).as_deref());
                self.u64(clocks.len() as u64);
                for c in clocks {
                    self.str(c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Digest;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        let mut bytes = [0u8; 32];
        bytes[..5].copy_from_slice(&[0x00, 0x0f, 0xa5, 0xff, 0x10]);
        let hex = super::hex_digits(&bytes);
        assert_eq!(&hex[..10], b"000fa5ff10");
        assert!(hex[10..].iter().all(|&c| c == b'0'));
    }

    #[test]
    fn a_digest_reads_back_as_it_was_written() {
        let hex = "0123456789abcdef".repeat(4);
        let d = Digest::from(hex.as_str());
        assert!(d.as_bytes().is_some());
        assert_eq!(d.to_string(), hex);
        assert_eq!(serde_json::to_string(&d).ok(), Some(format!("\"{hex}\"")));
        assert_eq!(serde_json::from_str::<Digest>(&format!("\"{hex}\"")).ok(), Some(d.clone()));
        assert!(d == *hex.as_str());
        // Anything else is kept as text: uppercase, short, long, not hex.
        let upper = hex.to_uppercase();
        for text in [upper.as_str(), &hex[1..], "0".repeat(65).as_str(), "zz"] {
            let other = Digest::from(text);
            assert_eq!(other.as_bytes(), None, "{text}");
            assert_eq!(other.to_string(), text);
            assert_ne!(other, d);
        }
        assert!(Digest::from("").is_empty());
        assert_eq!(serde_json::to_string(&Digest::default()).ok(), Some("\"\"".to_string()));
    }
}
