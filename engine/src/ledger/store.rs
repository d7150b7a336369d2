//! Verifying a whole ticket store: every ticket's own chain, and the store against the signed
//! manifest it ends in (see [`Manifest`]). Read one line at a time; a line that cannot be read
//! is reported and the reading goes on, so every tampered ticket is named.

use super::audit::{TicketVerdict, verify_ticket};
use super::manifest::{Manifest, ManifestEntry, SignatureCheck};
use crate::runtime::Ticket;
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use std::collections::HashMap;

/// What is wrong with a store beyond the chains of its tickets.
///
/// ```
/// use ombud_engine::ledger::StoreFinding;
/// let deleted = StoreFinding::Deleted { ticket: "T-4".into() };
/// assert_eq!(deleted.label(), "DELETED");
/// assert_eq!(deleted.to_string(),
///     "ticket `T-4` is in the signed manifest but not in the store (deleted)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreFinding {
    /// The store holds no ticket and no manifest.
    Empty,
    /// A line that is neither a ticket nor a manifest.
    Unreadable {
        /// Where it is (`store.jsonl:7`).
        at: String,
        /// The ticket's id, when the line still names one.
        ticket: Option<String>,
        /// Why it cannot be read.
        message: String,
    },
    /// A public key was given and the store does not end in a manifest.
    NoManifest,
    /// A manifest that is not the store's last line: what follows it is not covered.
    ManifestNotLast {
        /// Where it is.
        at: String,
    },
    /// The manifest names another public key than the one given.
    OtherKey {
        /// The key the manifest names.
        key: String,
    },
    /// The manifest's signature does not verify with the key given.
    BadSignature,
    /// The manifest contradicts itself.
    ManifestAltered {
        /// How.
        reason: String,
    },
    /// A ticket stored more than once.
    Duplicated {
        /// Ticket id.
        ticket: String,
        /// Where each copy is.
        at: Vec<String>,
    },
    /// A ticket the manifest does not list.
    Added {
        /// Ticket id.
        ticket: String,
        /// Where it is.
        at: String,
    },
    /// A ticket the manifest lists and the store does not hold.
    Deleted {
        /// Ticket id.
        ticket: String,
    },
    /// A ticket with fewer records than the manifest signed.
    Truncated {
        /// Ticket id.
        ticket: String,
        /// Where it is.
        at: String,
        /// Records stored.
        records: u64,
        /// Records signed.
        signed: u64,
    },
    /// A ticket whose first records are the signed ones, with more after them: events recorded
    /// after the store was signed.
    Extended {
        /// Ticket id.
        ticket: String,
        /// Where it is.
        at: String,
        /// Records stored.
        records: u64,
        /// Records signed.
        signed: u64,
    },
    /// A ticket whose chain is whole but is not the chain that was signed: it was recomputed.
    Forged {
        /// Ticket id.
        ticket: String,
        /// Where it is.
        at: String,
    },
}

impl StoreFinding {
    /// The word `ombud audit verify` prints before the finding.
    ///
    /// ```
    /// use ombud_engine::ledger::StoreFinding;
    /// assert_eq!(StoreFinding::NoManifest.label(), "UNSIGNED");
    /// ```
    pub fn label(&self) -> &'static str {
        match self {
            StoreFinding::Empty => "EMPTY",
            StoreFinding::Unreadable { .. } => "UNREADABLE",
            StoreFinding::NoManifest => "UNSIGNED",
            StoreFinding::ManifestNotLast { .. }
            | StoreFinding::OtherKey { .. }
            | StoreFinding::BadSignature
            | StoreFinding::ManifestAltered { .. } => "MANIFEST",
            StoreFinding::Duplicated { .. } => "DUPLICATE",
            StoreFinding::Added { .. } => "ADDED",
            StoreFinding::Deleted { .. } => "DELETED",
            StoreFinding::Truncated { .. } => "TRUNCATED",
            StoreFinding::Extended { .. } => "EXTENDED",
            StoreFinding::Forged { .. } => "FORGED",
        }
    }
}

impl std::fmt::Display for StoreFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreFinding::Empty => write!(f, "the store holds no ticket and no manifest"),
            StoreFinding::Unreadable { at, ticket: Some(t), message } => {
                write!(f, "{at}: ticket `{t}` cannot be read: {message}")
            }
            StoreFinding::Unreadable { at, ticket: None, message } => write!(f, "{at}: {message}"),
            StoreFinding::NoManifest => write!(
                f,
                "the store does not end in a signed manifest: nothing shows which tickets the \
                 centre stored"
            ),
            StoreFinding::ManifestNotLast { at } => write!(
                f,
                "{at}: a manifest that is not the store's last line (what follows it is not \
                 covered by it)"
            ),
            StoreFinding::OtherKey { key } => write!(
                f,
                "the manifest was signed by another key (`{key}`), not the public key given"
            ),
            StoreFinding::BadSignature => write!(
                f,
                "the manifest's signature does not verify: its ticket count, root or signature \
                 was altered"
            ),
            StoreFinding::ManifestAltered { reason } => {
                write!(f, "the manifest was altered: {reason}")
            }
            StoreFinding::Duplicated { ticket, at } => {
                write!(f, "ticket `{ticket}` is stored {} times ({})", at.len(), at.join(", "))
            }
            StoreFinding::Added { ticket, at } => {
                write!(f, "{at}: ticket `{ticket}` is not in the signed manifest (added)")
            }
            StoreFinding::Deleted { ticket } => write!(
                f,
                "ticket `{ticket}` is in the signed manifest but not in the store (deleted)"
            ),
            StoreFinding::Truncated { ticket, at, records, signed } => write!(
                f,
                "{at}: ticket `{ticket}` has {records} records, the manifest signed {signed} \
                 (records removed)"
            ),
            StoreFinding::Extended { ticket, at, records, signed } => write!(
                f,
                "{at}: ticket `{ticket}` has {records} records, the manifest signed {signed}: \
                 the records after them were not signed"
            ),
            StoreFinding::Forged { ticket, at } => write!(
                f,
                "{at}: ticket `{ticket}`'s chain is not the one the manifest signed (it was \
                 recomputed)"
            ),
        }
    }
}

/// One ticket of the store and the verdict on its own chain.
///
/// ```
/// use ombud_engine::ledger::StoredVerdict;
/// fn show(v: &StoredVerdict) -> String { format!("{}: {}", v.at, v.verdict.ticket) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredVerdict {
    /// Where the ticket is.
    pub at: String,
    /// The verdict on its chain.
    pub verdict: TicketVerdict,
    /// Its audit head as stored.
    pub head: String,
}

/// What verifying a store found.
///
/// ```
/// use ombud_engine::ledger::{StoreFinding, StoreVerifier};
/// let report = StoreVerifier::new().finish(None);
/// assert_eq!(report.findings, [StoreFinding::Empty]);
/// assert!(!report.is_clean());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoreReport {
    /// Every ticket read, in store order.
    pub tickets: Vec<StoredVerdict>,
    /// Everything else found, in this order: unreadable lines and manifest problems as met,
    /// then tickets by store order (duplicated, added, truncated, extended, forged), then
    /// deleted tickets in manifest order.
    pub findings: Vec<StoreFinding>,
    /// The manifest the store ends in, if any: where it is, its ticket count and its root (the
    /// figures a centre publishes).
    pub manifest: Option<ManifestSummary>,
    /// The manifest's signature, when a public key was given and there is a manifest.
    pub signature: Option<SignatureCheck>,
}

impl StoreReport {
    /// Whether nothing was found: every chain whole and no finding.
    ///
    /// ```
    /// # use ombud_engine::ledger::StoreVerifier;
    /// assert!(!StoreVerifier::new().finish(None).is_clean()); // an empty store
    /// ```
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.tickets.iter().all(|t| t.verdict.problem.is_none())
    }

    /// Tickets whose own chain is broken.
    ///
    /// ```
    /// # use ombud_engine::ledger::StoreVerifier;
    /// assert_eq!(StoreVerifier::new().finish(None).broken(), 0);
    /// ```
    pub fn broken(&self) -> usize {
        self.tickets.iter().filter(|t| t.verdict.problem.is_some()).count()
    }
}

/// Where a store's manifest is and what it commits to.
///
/// ```
/// use ombud_engine::ledger::{Manifest, StoreVerifier};
/// let manifest = Manifest::sign(Vec::new(), &ed25519_dalek::SigningKey::from_bytes(&[4; 32]));
/// let mut verifier = StoreVerifier::new();
/// verifier.line("store.jsonl:1", &manifest.to_line());
/// let summary = verifier.finish(None).manifest.unwrap();
/// assert_eq!((summary.at.as_str(), summary.tickets), ("store.jsonl:1", 0));
/// assert_eq!(summary.root, manifest.root);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ManifestSummary {
    /// Where the manifest is.
    pub at: String,
    /// The number of tickets it signs.
    pub tickets: u64,
    /// Its Merkle root.
    pub root: crate::runtime::Digest,
}

/// What the verifier keeps of a ticket once its chain is checked.
struct Seen {
    at: String,
    id: String,
    records: u64,
    head: crate::runtime::Digest,
    /// The hash of each record, to tell a store that grew after signing from a forged one.
    hashes: Vec<crate::runtime::Digest>,
}

/// Reads a store line by line (or ticket by ticket) and verifies it. Each ticket's chain is
/// checked as it comes ([`verify_ticket`]); what the store is compared with the manifest needs
/// is kept (id, record count, the record hashes), not the ticket.
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use ombud_engine::ledger::{Manifest, ManifestEntry, StoreFinding, StoreVerifier, ledger_tickets};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: open, stages: {open: \
/// #     {owner: agent, due: 1h, on: {done: closed}}, closed: {terminal: true}}}";
/// # let engine = ombud_engine::runtime::Engine::new(
/// #     ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0.into());
/// let ledger = concat!(
///     r#"{"ticket":"T-1","open":{"at":"2026-07-06T09:00:00Z"}}"#, "\n",
///     r#"{"ticket":"T-2","open":{"at":"2026-07-06T10:00:00Z"}}"#, "\n");
/// let (tickets, _) = ledger_tickets(&engine, &Default::default(), ledger.as_bytes()).unwrap();
/// let key = SigningKey::from_bytes(&[11; 32]);
/// let manifest = Manifest::sign(tickets.iter().map(|(t, _)| ManifestEntry::of(t)).collect(), &key);
/// // The store without T-2's line.
/// let mut verifier = StoreVerifier::new();
/// verifier.line("store:1", &serde_json::to_string(&tickets[0].0).unwrap());
/// verifier.line("store:2", &manifest.to_line());
/// let report = verifier.finish(Some(&key.verifying_key()));
/// assert_eq!(report.findings, [StoreFinding::Deleted { ticket: "T-2".into() }]);
/// ```
#[derive(Default)]
pub struct StoreVerifier {
    tickets: Vec<StoredVerdict>,
    seen: Vec<Seen>,
    findings: Vec<StoreFinding>,
    /// The last manifest read, where it is, and whether anything came after it.
    manifest: Option<(String, Manifest)>,
    after_manifest: bool,
    /// Lines and tickets read (blank lines aside).
    items: u64,
}

impl StoreVerifier {
    /// A verifier that has read nothing.
    ///
    /// ```
    /// let verifier = ombud_engine::ledger::StoreVerifier::new();
    /// assert!(verifier.finish(None).tickets.is_empty());
    /// ```
    pub fn new() -> Self {
        StoreVerifier::default()
    }

    /// Reads one line of the store (a ticket, or the manifest); `at` names it in findings.
    /// Blank lines are skipped.
    ///
    /// ```
    /// use ombud_engine::ledger::{StoreFinding, StoreVerifier};
    /// let mut verifier = StoreVerifier::new();
    /// verifier.line("store.jsonl:1", r#"{"id":"T-9","format":1,"history":"#);
    /// let report = verifier.finish(None);
    /// let StoreFinding::Unreadable { ticket, .. } = &report.findings[0] else { panic!() };
    /// assert_eq!(ticket, &None); // not even JSON: no id to name
    /// ```
    pub fn line(&mut self, at: &str, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        let trimmed = text.trim_start();
        if trimmed.starts_with("{\"manifest\"") || trimmed.starts_with("{ \"manifest\"") {
            match Manifest::from_line(text) {
                Ok(m) => {
                    self.items += 1;
                    self.manifest_line(at, m);
                }
                Err(e) => self.unreadable(at, &format!("a manifest that cannot be read: {e}")),
            }
            return;
        }
        match serde_json::from_str::<Ticket>(text) {
            Ok(t) => self.ticket(at, &t),
            Err(e) => {
                #[derive(serde::Deserialize)]
                struct Id {
                    id: String,
                }
                self.items += 1;
                self.note_after_manifest();
                let ticket = serde_json::from_str::<Id>(text).ok().map(|i| i.id);
                let message =
                    if ticket.is_some() { e.to_string() } else { format!("not a ticket: {e}") };
                self.findings.push(StoreFinding::Unreadable {
                    at: at.to_string(),
                    ticket,
                    message,
                });
            }
        }
    }

    /// Notes a line or file that is not text (or not a ticket) at `at`, saying why.
    ///
    /// ```
    /// use ombud_engine::ledger::{StoreFinding, StoreVerifier};
    /// let mut verifier = StoreVerifier::new();
    /// verifier.unreadable("store.jsonl:3", "line is not valid UTF-8");
    /// let message = verifier.finish(None).findings[0].to_string();
    /// assert_eq!(message, "store.jsonl:3: line is not valid UTF-8");
    /// ```
    pub fn unreadable(&mut self, at: &str, message: &str) {
        self.items += 1;
        self.note_after_manifest();
        self.findings.push(StoreFinding::Unreadable {
            at: at.to_string(),
            ticket: None,
            message: message.to_string(),
        });
    }

    fn manifest_line(&mut self, at: &str, manifest: Manifest) {
        if let Some((earlier, _)) = self.manifest.take() {
            self.findings.push(StoreFinding::ManifestNotLast { at: earlier });
        }
        self.after_manifest = false;
        self.manifest = Some((at.to_string(), manifest));
    }

    fn note_after_manifest(&mut self) {
        if self.manifest.is_some() {
            self.after_manifest = true;
        }
    }

    /// Reads one ticket (from a file of its own, say); `at` names it in findings.
    ///
    /// ```
    /// use ombud_engine::ledger::{StoreVerifier, ledger_tickets};
    /// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: open, stages: {open: \
    /// #     {owner: agent, due: 1h, on: {done: closed}}, closed: {terminal: true}}}";
    /// # let engine = ombud_engine::runtime::Engine::new(
    /// #     ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0.into());
    /// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-07-06T09:00:00Z"}}"#;
    /// let (tickets, _) = ledger_tickets(&engine, &Default::default(), ledger.as_bytes()).unwrap();
    /// let mut verifier = StoreVerifier::new();
    /// verifier.ticket("tickets/T-1.json", &tickets[0].0);
    /// let report = verifier.finish(None);
    /// assert!(report.is_clean() && report.manifest.is_none());
    /// ```
    pub fn ticket(&mut self, at: &str, ticket: &Ticket) {
        self.items += 1;
        self.note_after_manifest();
        let verdict = verify_ticket(ticket);
        self.tickets.push(StoredVerdict {
            at: at.to_string(),
            verdict,
            head: ticket.audit_head.to_string(),
        });
        self.seen.push(Seen {
            at: at.to_string(),
            id: ticket.id.to_string(),
            records: ticket.history.len() as u64,
            head: ticket.audit_head.clone(),
            hashes: ticket.history.iter().map(|r| r.hash.clone()).collect(),
        });
    }

    /// Compares the store with its manifest and checks the manifest's signature with `key`.
    /// Without a key the manifest, if there is one, is still compared with the tickets, but
    /// nothing shows who wrote it.
    ///
    /// ```
    /// use ombud_engine::ledger::{StoreFinding, StoreVerifier};
    /// let key = ed25519_dalek::SigningKey::from_bytes(&[2; 32]).verifying_key();
    /// let report = StoreVerifier::new().finish(Some(&key));
    /// assert_eq!(report.findings, [StoreFinding::Empty]);
    /// ```
    pub fn finish(mut self, key: Option<&VerifyingKey>) -> StoreReport {
        if self.items == 0 {
            self.findings.push(StoreFinding::Empty);
        }
        let mut findings = std::mem::take(&mut self.findings);
        // Duplicates: every copy after the first.
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, s) in self.seen.iter().enumerate() {
            by_id.entry(s.id.as_str()).or_default().push(i);
        }
        let mut ticket_findings: Vec<(usize, StoreFinding)> = Vec::new();
        for (i, s) in self.seen.iter().enumerate() {
            if let Some(copies) = by_id.get(s.id.as_str())
                && copies.len() > 1
                && copies.first() == Some(&i)
            {
                let at = copies.iter().filter_map(|c| self.seen.get(*c)).map(|c| c.at.clone());
                ticket_findings
                    .push((i, StoreFinding::Duplicated { ticket: s.id.clone(), at: at.collect() }));
            }
        }
        let mut signature = None;
        let summary = self.manifest.as_ref().map(|(at, m)| ManifestSummary {
            at: at.clone(),
            tickets: m.tickets,
            root: m.root.clone(),
        });
        match &self.manifest {
            None if key.is_some() && self.items > 0 => findings.push(StoreFinding::NoManifest),
            None => {}
            Some((at, manifest)) => {
                if self.after_manifest {
                    findings.push(StoreFinding::ManifestNotLast { at: at.clone() });
                }
                if let Some(key) = key {
                    let check = manifest.check_signature(key);
                    signature = Some(check);
                    match check {
                        SignatureCheck::Valid => {}
                        SignatureCheck::OtherKey => findings
                            .push(StoreFinding::OtherKey { key: manifest.public_key.to_string() }),
                        SignatureCheck::Invalid => findings.push(StoreFinding::BadSignature),
                    }
                }
                if let Some(reason) = manifest.inconsistency() {
                    findings.push(StoreFinding::ManifestAltered { reason });
                }
                self.compare(manifest, &by_id, &mut ticket_findings, &mut findings);
            }
        }
        ticket_findings.sort_by_key(|(i, _)| *i);
        let deleted: Vec<StoreFinding> = findings
            .iter()
            .filter(|f| matches!(f, StoreFinding::Deleted { .. }))
            .cloned()
            .collect();
        findings.retain(|f| !matches!(f, StoreFinding::Deleted { .. }));
        findings.extend(ticket_findings.into_iter().map(|(_, f)| f));
        findings.extend(deleted);
        StoreReport { tickets: self.tickets, findings, manifest: summary, signature }
    }

    /// Each stored ticket against its entry; each entry against the store.
    fn compare(
        &self,
        manifest: &Manifest,
        by_id: &HashMap<&str, Vec<usize>>,
        ticket_findings: &mut Vec<(usize, StoreFinding)>,
        findings: &mut Vec<StoreFinding>,
    ) {
        let entries: HashMap<&str, &ManifestEntry> =
            manifest.entries.iter().map(|e| (e.ticket.as_str(), e)).collect();
        let unreadable: std::collections::HashSet<String> = findings
            .iter()
            .filter_map(|f| match f {
                StoreFinding::Unreadable { ticket: Some(t), .. } => Some(t.clone()),
                _ => None,
            })
            .collect();
        for (i, s) in self.seen.iter().enumerate() {
            // Only the first copy of a duplicated ticket is compared.
            if by_id.get(s.id.as_str()).and_then(|c| c.first()) != Some(&i) {
                continue;
            }
            let (ticket, at) = (s.id.clone(), s.at.clone());
            let Some(entry) = entries.get(s.id.as_str()) else {
                ticket_findings.push((i, StoreFinding::Added { ticket, at }));
                continue;
            };
            let (records, signed) = (s.records, entry.records);
            let finding = if records < signed {
                Some(StoreFinding::Truncated { ticket, at, records, signed })
            } else if records > signed {
                let prefix = usize::try_from(signed)
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|n| s.hashes.get(n));
                if prefix == Some(&entry.head) {
                    Some(StoreFinding::Extended { ticket, at, records, signed })
                } else {
                    Some(StoreFinding::Forged { ticket, at })
                }
            } else if s.head != entry.head {
                Some(StoreFinding::Forged { ticket, at })
            } else {
                None
            };
            if let Some(f) = finding {
                ticket_findings.push((i, f));
            }
        }
        for e in &manifest.entries {
            if !by_id.contains_key(e.ticket.as_str()) && !unreadable.contains(e.ticket.as_str()) {
                findings.push(StoreFinding::Deleted { ticket: e.ticket.clone() });
            }
        }
    }
}
