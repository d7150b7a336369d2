//! The audit chain's hashing: one canonical, compact encoding of a ticket's state fed straight
//! into SHA-256.
//!
//! Every value is written with a one-byte tag and a self-delimiting body, so two different states
//! never encode to the same bytes: unsigned integers and lengths as LEB128 varints, signed ones
//! zigzag-encoded first, strings as their length then their UTF-8 bytes, JSON numbers as their
//! canonical text ended by a zero byte. Structs are destructured exhaustively: adding a field to
//! [`Ticket`] (or to anything it holds) does not compile until the field is hashed here, so nothing
//! in the state can escape the chain. Instants are hashed as seconds and nanoseconds since the
//! epoch; maps are `BTreeMap`s and hashed in key order. SHA-256 costs per byte, so the encoding is
//! kept small: a typical ticket's state is a few hundred bytes.

use super::event::Event;
use super::ticket::{
    AuditEntry, GroupState, Mark, ObligationState, OpenRecord, Pause, PinnedPolicy, StageClock,
    Ticket, TicketStats,
};
use crate::policy::Duration;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write as _;

/// Digest of the ticket state: SHA-256 (hex) of the canonical encoding of everything but
/// `history` and `audit_head`. This is what an audit record's `state` holds.
///
/// ```
/// # use ombud_engine::runtime::{state_digest, Ticket};
/// # fn f(ticket: &Ticket) {
/// let digest = state_digest(ticket);
/// assert_eq!(digest.len(), 64);
/// # }
/// ```
pub fn state_digest(ticket: &Ticket) -> String {
    Hasher::with(|h| h.ticket(ticket))
}

/// The hash of an audit record: SHA-256 (hex) over the previous record's hash (empty for the
/// opening), the entry and the state digest after it.
pub fn record_hash(prev: &str, entry: &AuditEntry, state: &str) -> String {
    Hasher::with(|h| {
        h.str(prev);
        h.entry(entry);
        h.str(state);
    })
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Bytes written in place, then checked as UTF-8 once (a few instructions for 64 ASCII
    // bytes): pushing `char`s encodes and checks room for every one.
    let mut out = vec![0u8; bytes.len() * 2];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Collects the encoding, then hashes it in one call (SHA-256's per-call overhead dominates
/// when fed a few bytes at a time).
struct Hasher(Vec<u8>);

thread_local! {
    /// The encoding buffer, reused by every digest on the thread.
    static BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(1024));
    /// The encoding buffer of a ticket's fields (hashed while the state's buffer is in use).
    static FIELDS_BUFFER: std::cell::RefCell<Vec<u8>> =
        std::cell::RefCell::new(Vec::with_capacity(512));
}

type Buffer = std::thread::LocalKey<std::cell::RefCell<Vec<u8>>>;

impl Hasher {
    /// Encodes with `write` and returns the SHA-256 hex of the bytes.
    fn with(write: impl FnOnce(&mut Hasher)) -> String {
        hex(&Hasher::sha256(&BUFFER, write))
    }

    /// Encodes with `write` into the thread's `buffer` and returns the SHA-256 of the bytes.
    fn sha256(buffer: &'static Buffer, write: impl FnOnce(&mut Hasher)) -> [u8; 32] {
        let mut h = Hasher(buffer.with(|b| b.take()));
        h.0.clear();
        write(&mut h);
        let digest = Sha256::digest(&h.0).into();
        buffer.with(|b| b.replace(h.0));
        digest
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
                let _ = write!(self.0, "{n}");
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
            stage_hint: _,
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
            // Its own buffer: the state's is in use.
            Hasher::sha256(&FIELDS_BUFFER, |h| {
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
        for (name, ob) in obligations {
            let ObligationState { started, deadline, provisional, done, breached } = ob;
            self.str(name);
            self.time(started);
            self.time(deadline);
            self.bool(*provisional);
            self.opt_time(done.as_ref());
            self.bool(*breached);
        }
        self.bool(*flagged);
        let TicketStats { breaches, escalations, flags, stages_entered } = stats;
        for n in [breaches, escalations, flags, stages_entered] {
            self.u64(u64::from(*n));
        }
        self.u64(marks.len() as u64);
        for Mark { at, mark, stage, tier } in marks {
            self.time(at);
            self.str(mark);
            self.str(stage);
            self.str(tier);
        }
        self.opt_time(closed_at.as_ref());
    }

    fn clock(&mut self, c: &StageClock) {
        // `steps` is a cache of instants derived from the other fields, not state.
        let StageClock {
            budget,
            started,
            deadline,
            total,
            provisional,
            paused,
            fired,
            breached,
            steps: _,
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
                let Event { at, event, artifact, data, member, to, by } = &**event;
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
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]), "000fa5ff10");
        assert_eq!(super::hex(&[]), "");
    }
}
