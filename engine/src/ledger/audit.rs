//! Audit-chain verification: of a stored ticket (its records against each other), and of a
//! ledger (the chain each ticket's lines produce, against the stored tickets).

use super::calendars::{CalendarUpdates, not_given};
use super::format::LedgerLine;
use super::reader::{LineError, RawLines, parse_line};
use crate::runtime::{AuditRecord, Digest, Engine, Event, Ticket, record_hash_with, state_digest};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;

/// What is wrong with a chain: the first problem found, naming the record.
///
/// ```
/// use ombud_engine::ledger::{ChainBreak, verify_ticket};
/// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
/// // The stored ticket, with its audit head changed.
/// let mut json = serde_json::to_value(&ticket).unwrap();
/// json["audit_head"] = "a".repeat(64).into();
/// let ticket: ombud_engine::Ticket = serde_json::from_value(json).unwrap();
/// let problem = verify_ticket(&ticket).problem.unwrap();
/// assert_eq!(problem, ChainBreak::Head { last_seq: 0 });
/// assert_eq!(problem.to_string(), "the audit head does not match the last record (seq 0)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The ticket has no records.
    Empty,
    /// A record's sequence number is not its position: records before it were removed (`seq` >
    /// `position`) or records were reordered or duplicated (`seq` < `position`).
    Sequence {
        /// 0-based position in the history.
        position: usize,
        /// The seq the record carries.
        seq: u64,
    },
    /// A record's hash does not match its previous hash, entry and state: the record (or the
    /// link to the one before it) was altered.
    Hash {
        /// The record's seq.
        seq: u64,
    },
    /// The ticket's `audit_head` is not the last record's hash.
    Head {
        /// The last record's seq.
        last_seq: u64,
    },
    /// The ticket's current state is not the state the last record sealed.
    State {
        /// The last record's seq.
        last_seq: u64,
    },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Empty => write!(f, "the ticket has no audit records"),
            ChainBreak::Sequence { position, seq } if (*seq as usize) > *position => write!(
                f,
                "record seq {position} is missing: position {position} holds seq {seq} \
                 (records removed)"
            ),
            ChainBreak::Sequence { position, seq } => write!(
                f,
                "record seq {seq} is out of place at position {position} (records reordered or \
                 duplicated)"
            ),
            ChainBreak::Hash { seq } => {
                write!(f, "record seq {seq} was altered: its hash does not match its contents")
            }
            ChainBreak::Head { last_seq } => {
                write!(f, "the audit head does not match the last record (seq {last_seq})")
            }
            ChainBreak::State { last_seq } => write!(
                f,
                "the ticket's state was altered after the last record (seq {last_seq}) sealed it"
            ),
        }
    }
}

/// The verdict on one ticket's chain.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::{ledger::verify_ticket, runtime::{Engine, OpenTicket}};
/// let engine = Engine::new(std::sync::Arc::new(policy));
/// let at = "2026-07-01T01:00:00Z".parse().unwrap();
/// let (mut ticket, _) =
///     engine.open(&OpenTicket { id: "T-1".into(), at, fields: Default::default() }).unwrap();
/// engine.advance(&mut ticket, "2026-07-02T01:00:00Z".parse().unwrap()).unwrap();
/// let verdict = verify_ticket(&ticket);
/// assert_eq!((verdict.ticket.as_str(), verdict.records), ("T-1", 1));
/// assert!(verdict.advanced_after_last_record && verdict.problem.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketVerdict {
    /// Ticket id.
    pub ticket: String,
    /// Records in the history.
    pub records: usize,
    /// The first problem, if any.
    pub problem: Option<ChainBreak>,
    /// Set when the state was brought forward in time (`advance`) after the last record: the
    /// state then legitimately differs from the last sealed state and is not compared.
    pub advanced_after_last_record: bool,
}

/// Recomputes a stored ticket's chain: sequence numbers contiguous from 0, every hash from the
/// previous record's hash, the entry and the stored state digest; the head equal to the last
/// hash; and the current state equal to the last sealed state (unless the ticket was advanced in
/// time after its last event, which legitimately changes the state).
///
/// ```
/// use ombud_engine::ledger::verify_ticket;
/// use ombud_engine::runtime::{Engine, Event, OpenTicket};
/// # let engine = ombud_engine::doc_support::reference();
/// let at = "2026-07-01T01:00:00Z".parse().unwrap();
/// let input = OpenTicket { id: "T-2".into(), at, fields: serde_json::Map::new() };
/// let (mut ticket, _) = engine.open(&input)?;
/// engine.apply(&mut ticket, &Event::named("registered", at))?;
/// assert!(verify_ticket(&ticket).problem.is_none());
/// // The stored ticket, with the state its second record sealed changed.
/// let mut json = serde_json::to_value(&ticket)?;
/// json["history"][1]["state"] = "0".repeat(64).into();
/// let ticket: ombud_engine::Ticket = serde_json::from_value(json)?;
/// assert_eq!(verify_ticket(&ticket).problem.unwrap().to_string(),
///            "record seq 1 was altered: its hash does not match its contents");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_ticket(ticket: &Ticket) -> TicketVerdict {
    let advanced = ticket.clock_at != ticket.last_event_at;
    let verdict = |problem| TicketVerdict {
        ticket: ticket.id.to_string(),
        records: ticket.history.len(),
        problem,
        advanced_after_last_record: advanced,
    };
    let Some(last) = ticket.history.last() else { return verdict(Some(ChainBreak::Empty)) };
    let empty = Digest::default();
    let mut prev = &empty;
    for (position, rec) in ticket.history.iter().enumerate() {
        if rec.seq != position as u64 {
            return verdict(Some(ChainBreak::Sequence { position, seq: rec.seq }));
        }
        if record_hash_with(prev, &rec.entry, rec.extension.as_ref(), &rec.state) != rec.hash {
            return verdict(Some(ChainBreak::Hash { seq: rec.seq }));
        }
        prev = &rec.hash;
    }
    if ticket.audit_head != last.hash {
        return verdict(Some(ChainBreak::Head { last_seq: last.seq }));
    }
    if !advanced && state_digest(ticket) != last.state {
        return verdict(Some(ChainBreak::State { last_seq: last.seq }));
    }
    verdict(None)
}

/// The chain one ticket's ledger lines produce under a policy.
///
/// ```
/// use ombud_engine::ledger::{CalendarUpdates, ledger_chains};
/// # let engine = ombud_engine::doc_support::reference();
/// let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let none = CalendarUpdates::default();
/// let (chains, _) = ledger_chains(&engine, &none, std::fs::read(small).unwrap().as_slice()).unwrap();
/// let t03 = chains.iter().find(|c| c.ticket == "T-03").unwrap();
/// assert_eq!((t03.lines[0], t03.hashes.len()), (17, 16));
/// assert_eq!(Some(&t03.head), t03.hashes.last());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerChain {
    /// Ticket id.
    pub ticket: String,
    /// Ledger line of each audit record (record `seq` = index), i.e. of each accepted line.
    pub lines: Vec<u64>,
    /// Hash of each record.
    pub hashes: Vec<Digest>,
    /// The resulting head.
    pub head: Digest,
}

/// Replays a ledger (sequentially) and returns each ticket's chain, in ledger order, with the
/// malformed lines. Refused events make no record, exactly as in a host; `calendar` lines bring
/// a ticket onto the update they name, as in [`ledger_tickets_each`].
///
/// ```
/// # use ombud_engine::runtime::Engine;
/// # let engine = ombud_engine::doc_support::desk();
/// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-07-06T09:00:00Z"}}
/// {"ticket":"T-1","event":{"at":"2026-07-06T09:10:00Z","event":"reopened"}}
/// {"ticket":"T-2","event":{"at":"2026-07-06T09:20:00Z","event":"done"}}
/// {"ticket":"T-1","event":{"at":"2026-07-06T09:30:00Z","event":"done"}}"#;
/// let none = Default::default();
/// let (chains, errors) = ombud_engine::ledger::ledger_chains(&engine, &none, ledger.as_bytes())?;
/// assert_eq!(chains[0].lines, [1, 4]); // line 2 was refused: it made no record
/// assert_eq!(errors[0].to_string(), "line 3: event for ticket `T-2` before its `open` line");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn ledger_chains<R: BufRead>(
    engine: &Engine,
    calendars: &CalendarUpdates,
    input: R,
) -> std::io::Result<(Vec<LedgerChain>, Vec<LineError>)> {
    let (tickets, errors) = ledger_tickets(engine, calendars, input)?;
    let chains = tickets
        .into_iter()
        .map(|(t, lines)| LedgerChain {
            hashes: t.history.iter().map(|r| r.hash.clone()).collect(),
            head: t.audit_head,
            ticket: t.id.to_string(),
            lines,
        })
        .collect();
    Ok((chains, errors))
}

/// A ticket replayed from a ledger, with the ledger line of each of its audit records.
///
/// ```
/// use ombud_engine::ledger::{TicketLines, ledger_tickets};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: new, stages: {new: \
/// #     {owner: agent, due: 1 working day, on: {answered: done}}, done: {terminal: true}}}";
/// # let policy = ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0;
/// # let engine = ombud_engine::runtime::Engine::new(std::sync::Arc::new(policy));
/// let ledger = concat!(
///     r#"{"ticket":"A-7","open":{"at":"2026-07-06T09:00:00Z"}}"#, "\n",
///     r#"{"ticket":"A-7","event":{"at":"2026-07-07T16:00:00Z","event":"answered"}}"#, "\n",
/// );
/// let (tickets, _) = ledger_tickets(&engine, &Default::default(), ledger.as_bytes()).unwrap();
/// let (ticket, lines): &TicketLines = &tickets[0];
/// assert_eq!((ticket.stage(), ticket.history().len()), ("done", 2));
/// assert_eq!(lines, &[1, 2]);
/// ```
pub type TicketLines = (Ticket, Vec<u64>);

/// Replays a ledger (sequentially, no `advance` at the end) and returns every ticket as a host
/// would have stored it after its last event, with the ledger line of each audit record; in
/// ledger order, with the malformed lines. It holds every ticket until the end: a host that
/// writes the tickets out uses [`ledger_tickets_each`].
///
/// ```
/// use ombud_engine::ledger::{CalendarUpdates, ledger_tickets, verify_ticket};
/// # let engine = ombud_engine::doc_support::reference();
/// # let ledger = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let file = std::io::BufReader::new(std::fs::File::open(ledger).unwrap());
/// let (store, errors) = ledger_tickets(&engine, &CalendarUpdates::default(), file).unwrap();
/// assert_eq!((store.len(), errors.len()), (11, 0));
/// let (t05, _) = &store[5];
/// assert_eq!((t05.id(), t05.stage()), ("T-05", "verify"));
/// assert!(store.iter().all(|(t, _)| verify_ticket(t).problem.is_none()));
/// ```
pub fn ledger_tickets<R: BufRead>(
    engine: &Engine,
    calendars: &CalendarUpdates,
    input: R,
) -> std::io::Result<(Vec<TicketLines>, Vec<LineError>)> {
    let mut out = Vec::new();
    let (errors, _) = ledger_tickets_each(engine, calendars, input, |ticket, lines, _| {
        out.push((ticket, lines));
    })?;
    // Every ticket's first record is its opening: its line is the ticket's place in the ledger.
    out.sort_by_key(|(_, lines)| lines.first().copied());
    Ok((out, errors))
}

/// A ticket [`ledger_tickets_each`] holds: its lines, and the calendar update it runs on.
struct Held<'e> {
    ticket: Ticket,
    lines: Vec<u64>,
    /// The policy on the calendar update the ticket was last brought onto (`None`: `engine`).
    on: Option<&'e Engine>,
}

/// As [`ledger_tickets`], handing each ticket to `each` as soon as it is finished (closed by an
/// event; a later event for it is refused as `closed` and makes no record), and each ticket still
/// open at the end of the ledger then, in ledger order, with the engine its clocks count on
/// (`engine`, or the policy on the calendar update it was last brought onto). Only the open
/// tickets are held, so a host writing a store needs memory for those, not for the ledger.
/// Returns the malformed lines and the most tickets held at once.
///
/// A `calendar` line brings the ticket onto the update it names
/// ([`Engine::recalendar`] with the policy on it, from the calendar the ticket ran on); every
/// later line of the ticket runs on it, and the update's audit record (when it confirmed or
/// moved a clock) is the line's. A line naming an update `calendars` does not hold is malformed.
///
/// ```
/// use ombud_engine::ledger::ledger_tickets_each;
/// # let engine = ombud_engine::doc_support::desk(); // `open` → `done` → closed
/// let ledger = r#"{"ticket":"A","open":{"at":"2026-07-06T09:00:00Z"}}
/// {"ticket":"B","open":{"at":"2026-07-06T09:05:00Z"}}
/// {"ticket":"B","event":{"at":"2026-07-06T09:10:00Z","event":"done"}}
/// {"ticket":"C","open":{"at":"2026-07-06T09:15:00Z"}}
/// {"ticket":"A","event":{"at":"2026-07-06T09:20:00Z","event":"done"}}
/// {"ticket":"B","event":{"at":"2026-07-06T09:25:00Z","event":"done"}}
/// {"ticket":"C","calendar":{"at":"2026-07-06T09:30:00Z","id":"weekdays-2027"}}"#;
/// let mut order = Vec::new();
/// let none = Default::default();
/// let (errors, held) = ledger_tickets_each(&engine, &none, ledger.as_bytes(), |ticket, lines, _| {
///     order.push((ticket.id().to_string(), lines));
/// })?;
/// // B as it closes on line 3, A on line 5; C, still open, at the end. B's second `done` is
/// // refused: no record.
/// let ids: Vec<_> = order.iter().map(|(id, lines)| (id.as_str(), lines.clone())).collect();
/// assert_eq!(ids, [("B", vec![2, 3]), ("A", vec![1, 5]), ("C", vec![4])]);
/// assert_eq!(held, 2);
/// let message = "line 7: calendar `weekdays-2027` is not given; pass --calendar FILE";
/// assert_eq!(errors.iter().map(ToString::to_string).collect::<Vec<_>>(), [message]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn ledger_tickets_each<'e, R: BufRead>(
    engine: &'e Engine,
    calendars: &'e CalendarUpdates,
    input: R,
    mut each: impl FnMut(Ticket, Vec<u64>, &Engine),
) -> std::io::Result<(Vec<LineError>, usize)> {
    let mut open: HashMap<Box<str>, Held<'e>> = HashMap::new();
    // Tickets handed out, and openings refused: their ids only.
    let mut done: HashSet<Box<str>> = HashSet::new();
    let mut held = 0;
    let mut errors = Vec::new();
    let on = |id: &str, number: u64| {
        calendars.engine(id, 0).ok_or_else(|| LineError { line: number, message: not_given(id) })
    };
    for item in RawLines::new(input) {
        let raw = match item? {
            Ok(raw) => raw,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let line = match parse_line(raw.number, &raw.text) {
            Ok(l) => l,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let LedgerLine { ticket: id, open: opening, event, calendar } = line;
        let id: Box<str> = id.as_ref().into();
        if let Some(opening) = opening {
            if open.contains_key(&id) || done.contains(&id) {
                let message = format!("ticket `{id}` is opened a second time");
                errors.push(LineError { line: raw.number, message });
                continue;
            }
            let target = match opening.calendar.as_deref().map(|c| on(c, raw.number)) {
                None => None,
                Some(Ok(e)) => Some(e),
                Some(Err(e)) => {
                    errors.push(e);
                    continue;
                }
            };
            match target.unwrap_or(engine).open(&opening.to_open_ticket(&id)) {
                Ok((t, _)) if t.is_closed() => {
                    each(t, vec![raw.number], target.unwrap_or(engine));
                    done.insert(id);
                }
                Ok((ticket, _)) => {
                    open.insert(id, Held { ticket, lines: vec![raw.number], on: target });
                    held = held.max(open.len());
                }
                Err(_) => {
                    done.insert(id);
                }
            }
        } else if let Some(rec) = event {
            match open.get_mut(&id) {
                Some(h) => {
                    let at = rec.at;
                    if h.on
                        .unwrap_or(engine)
                        .apply_read(&mut h.ticket, at, &Event::try_from(rec))
                        .is_ok()
                    {
                        h.lines.push(raw.number);
                    }
                    if h.ticket.is_closed()
                        && let Some(h) = open.remove(&id)
                    {
                        each(h.ticket, h.lines, h.on.unwrap_or(engine));
                        done.insert(id);
                    }
                }
                None if done.contains(&id) => {}
                None => errors.push(LineError {
                    line: raw.number,
                    message: format!("event for ticket `{id}` before its `open` line"),
                }),
            }
        } else if let Some(update) = calendar {
            let target = match on(&update.id, raw.number) {
                Ok(e) => e,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            match open.get_mut(&id) {
                Some(h) => {
                    let previous = h.on.unwrap_or(engine).policy().calendar();
                    let records = h.ticket.history.len();
                    // A refused update leaves the ticket as it was, on the calendar it ran on.
                    if target.recalendar(&mut h.ticket, previous, update.at).is_ok() {
                        h.on = Some(target);
                        if h.ticket.history.len() > records {
                            h.lines.push(raw.number);
                        }
                    }
                }
                None if done.contains(&id) => {}
                None => errors.push(LineError {
                    line: raw.number,
                    message: format!("calendar update for ticket `{id}` before its `open` line"),
                }),
            }
        }
    }
    let mut rest: Vec<Held<'e>> = open.into_values().collect();
    rest.sort_by_key(|h| h.lines.first().copied());
    for h in rest {
        each(h.ticket, h.lines, h.on.unwrap_or(engine));
    }
    Ok((errors, held))
}

/// How a stored ticket compares with the chain its ledger lines produce.
///
/// ```
/// use ombud_engine::ledger::{LedgerMismatch, compare_with_ledger, ledger_chains};
/// # let engine = ombud_engine::doc_support::desk();
/// let line = r#"{"ticket":"T-9","open":{"at":"2026-07-06T09:00:00Z"}}"#;
/// let (chains, _) = ledger_chains(&engine, &Default::default(), line.as_bytes()).unwrap();
/// let found = compare_with_ledger(&chains, &[]); // nothing stored
/// assert_eq!(found, [LedgerMismatch::MissingFromStore { ticket: "T-9".into() }]);
/// let message = "ticket `T-9` is in the ledger but not among the stored tickets";
/// assert_eq!(found[0].to_string(), message);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LedgerMismatch {
    /// The stored ticket's own chain is broken.
    Broken {
        /// Ticket id.
        ticket: String,
        /// What is wrong.
        problem: ChainBreak,
    },
    /// The first record where the stored ticket and the ledger disagree.
    Record {
        /// Ticket id.
        ticket: String,
        /// The record's seq.
        seq: u64,
        /// The ledger line that produced that record under the policy (`None`: the ledger has
        /// fewer records).
        line: Option<u64>,
    },
    /// The stored ticket has records the ledger does not (the ledger lost lines at the end).
    Shorter {
        /// Ticket id.
        ticket: String,
        /// Records in the ledger's chain.
        ledger: usize,
        /// Records in the stored ticket.
        stored: usize,
    },
    /// A stored ticket with no lines in the ledger.
    MissingFromLedger {
        /// Ticket id.
        ticket: String,
    },
    /// A ledger ticket with no stored ticket.
    MissingFromStore {
        /// Ticket id.
        ticket: String,
    },
}

impl std::fmt::Display for LedgerMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerMismatch::Broken { ticket, problem } => write!(f, "ticket `{ticket}`: {problem}"),
            LedgerMismatch::Record { ticket, seq, line: Some(line) } => write!(
                f,
                "ticket `{ticket}`: record seq {seq} differs from what ledger line {line} produces"
            ),
            LedgerMismatch::Record { ticket, seq, line: None } => {
                write!(f, "ticket `{ticket}`: record seq {seq} has no line in the ledger")
            }
            LedgerMismatch::Shorter { ticket, ledger, stored } => write!(
                f,
                "ticket `{ticket}`: the ledger yields {ledger} records, the stored ticket has \
                 {stored}"
            ),
            LedgerMismatch::MissingFromLedger { ticket } => {
                write!(f, "ticket `{ticket}` is stored but has no lines in the ledger")
            }
            LedgerMismatch::MissingFromStore { ticket } => {
                write!(f, "ticket `{ticket}` is in the ledger but not among the stored tickets")
            }
        }
    }
}

/// Compares stored tickets with the chains a ledger produces: each stored ticket's own chain
/// first, then record by record against the ledger. Results in ledger order, then stored-only
/// tickets by id.
///
/// ```
/// use ombud_engine::ledger::{LedgerMismatch, compare_with_ledger, ledger_chains, ledger_tickets};
/// # let engine = ombud_engine::doc_support::desk();
/// let opened = "{\"ticket\":\"T-1\",\"open\":{\"at\":\"2026-07-06T09:00:00Z\"}}\n";
/// let done = r#"{"ticket":"T-1","event":{"at":"2026-07-06T11:00:00Z","event":"done"}}"#;
/// let ledger = format!("{opened}{done}");
/// // The store was written before the `done` line: it is one record behind the ledger.
/// let none = Default::default();
/// let (stored, _) = ledger_tickets(&engine, &none, opened.as_bytes()).unwrap();
/// let stored: Vec<_> = stored.into_iter().map(|(ticket, _)| ticket).collect();
/// let (chains, _) = ledger_chains(&engine, &none, ledger.as_bytes()).unwrap();
/// let expected = LedgerMismatch::Record { ticket: "T-1".into(), seq: 1, line: Some(2) };
/// assert_eq!(compare_with_ledger(&chains, &stored), [expected]);
/// ```
pub fn compare_with_ledger(chains: &[LedgerChain], stored: &[Ticket]) -> Vec<LedgerMismatch> {
    let mut by_id: BTreeMap<&str, &Ticket> = stored.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut out = Vec::new();
    for chain in chains {
        let Some(t) = by_id.remove(chain.ticket.as_str()) else {
            out.push(LedgerMismatch::MissingFromStore { ticket: chain.ticket.clone() });
            continue;
        };
        if let Some(problem) = verify_ticket(t).problem {
            out.push(LedgerMismatch::Broken { ticket: t.id.to_string(), problem });
            continue;
        }
        let first = t
            .history
            .iter()
            .zip(&chain.hashes)
            .position(|(rec, h): (&AuditRecord, &Digest)| &rec.hash != h);
        if let Some(seq) = first {
            out.push(LedgerMismatch::Record {
                ticket: t.id.to_string(),
                seq: seq as u64,
                line: chain.lines.get(seq).copied(),
            });
        } else if chain.hashes.len() > t.history.len() {
            // The ledger has more: the store is behind (not tampering); name the first extra.
            let seq = t.history.len();
            out.push(LedgerMismatch::Record {
                ticket: t.id.to_string(),
                seq: seq as u64,
                line: chain.lines.get(seq).copied(),
            });
        } else if chain.hashes.len() < t.history.len() {
            out.push(LedgerMismatch::Shorter {
                ticket: t.id.to_string(),
                ledger: chain.hashes.len(),
                stored: t.history.len(),
            });
        }
    }
    for (id, _) in by_id {
        out.push(LedgerMismatch::MissingFromLedger { ticket: id.to_string() });
    }
    out
}
