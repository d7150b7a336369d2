//! The signed manifest that ends a ticket store: what makes a store's audit chains *authentic*,
//! where the chains alone only make each ticket *consistent*.
//!
//! The plain audit chain is SHA-256 that anyone can recompute: edit a ledger line, replay it,
//! and the new store verifies. A manifest lists every ticket of the store — its id, its number
//! of audit records and its head — and a Merkle root over that list (RFC 6962's tree hash,
//! built from [`sha2::Sha256`]); the centre signs the count and the root with its Ed25519 key
//! (`ed25519-dalek`). Whoever holds the public key can then tell a store the centre signed from
//! one that was regenerated, cut short, or had tickets removed, duplicated or added. The format
//! and what each check proves are described in `docs/ledger.md`.

use crate::runtime::{Digest, Ticket};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The manifest format this build writes and reads.
pub(crate) const MANIFEST_FORMAT: &str = "ombud-store-manifest/1";

/// One ticket as the manifest records it.
///
/// ```
/// use ombud_engine::ledger::ManifestEntry;
/// let entry = ManifestEntry { ticket: "T-1".into(), records: 3, head: "ab".repeat(32).into() };
/// assert_eq!(serde_json::to_string(&entry).unwrap(),
///     format!(r#"{{"ticket":"T-1","records":3,"head":"{}"}}"#, "ab".repeat(32)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Ticket id.
    pub ticket: String,
    /// Number of audit records in its history.
    pub records: u64,
    /// Its audit head (the last record's hash).
    pub head: Digest,
}

impl ManifestEntry {
    /// The entry of a stored ticket.
    ///
    /// ```
    /// use ombud_engine::ledger::{ManifestEntry, ledger_tickets};
    /// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: open, stages: {open: \
    /// #     {owner: agent, due: 1h, on: {done: closed}}, closed: {terminal: true}}}";
    /// # let engine = ombud_engine::runtime::Engine::new(
    /// #     ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0.into());
    /// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-07-06T09:00:00Z"}}"#;
    /// let (tickets, _) = ledger_tickets(&engine, &Default::default(), ledger.as_bytes()).unwrap();
    /// let entry = ManifestEntry::of(&tickets[0].0);
    /// assert_eq!((entry.ticket.as_str(), entry.records), ("T-1", 1));
    /// assert_eq!(&entry.head, tickets[0].0.audit_head());
    /// ```
    pub fn of(ticket: &Ticket) -> Self {
        ManifestEntry {
            ticket: ticket.id.to_string(),
            records: ticket.history.len() as u64,
            head: ticket.audit_head.clone(),
        }
    }

    /// The Merkle leaf hash of this entry: SHA-256 of the byte `0x00`, then the id's length (8
    /// bytes, big-endian) and its UTF-8 bytes, the record count (8 bytes, big-endian), and the
    /// head's length and text (its 64 hex digits).
    ///
    /// ```
    /// use ombud_engine::ledger::ManifestEntry;
    /// let a = ManifestEntry { ticket: "T-1".into(), records: 3, head: "ab".repeat(32).into() };
    /// let b = ManifestEntry { records: 4, ..a.clone() };
    /// assert_ne!(a.leaf_hash(), b.leaf_hash());
    /// ```
    pub fn leaf_hash(&self) -> [u8; 32] {
        let head = self.head.to_string();
        let mut h = Sha256::new();
        h.update([0x00]);
        h.update((self.ticket.len() as u64).to_be_bytes());
        h.update(self.ticket.as_bytes());
        h.update(self.records.to_be_bytes());
        h.update((head.len() as u64).to_be_bytes());
        h.update(head.as_bytes());
        h.finalize().into()
    }
}

/// The Merkle tree hash of RFC 6962 (section 2.1) over the entries' [leaf
/// hashes](ManifestEntry::leaf_hash), in store order: an inner node is SHA-256 of `0x01`, the
/// left and the right hash; a list of `n > 1` entries splits after the largest power of two
/// below `n`; the empty list hashes to SHA-256 of nothing.
pub(crate) fn merkle_root(entries: &[ManifestEntry]) -> Digest {
    Digest::from_bytes(root_bytes(entries))
}

/// The bytes of [`merkle_root`].
fn root_bytes(entries: &[ManifestEntry]) -> [u8; 32] {
    let leaves: Vec<[u8; 32]> = entries.iter().map(ManifestEntry::leaf_hash).collect();
    tree_hash(&leaves)
}

fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => Sha256::digest(b"").into(),
        [leaf] => *leaf,
        _ => {
            // The largest power of two strictly below the length (at least 2 here).
            let split = 1usize << (leaves.len() - 1).ilog2();
            let (left, right) = leaves.split_at(split);
            let mut h = Sha256::new();
            h.update([0x01]);
            h.update(tree_hash(left));
            h.update(tree_hash(right));
            h.finalize().into()
        }
    }
}

/// The bytes a manifest's signature covers: the text `ombud-store-manifest/1` and a line break,
/// the number of tickets (8 bytes, big-endian) and the 32 bytes of the Merkle root.
pub(crate) fn signed_message(tickets: u64, root: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(MANIFEST_FORMAT.len() + 1 + 8 + 32);
    m.extend_from_slice(MANIFEST_FORMAT.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(&tickets.to_be_bytes());
    m.extend_from_slice(root);
    m
}

/// A signed manifest: the last line of a signed store, written `{"manifest":{…}}`.
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use ombud_engine::ledger::{Manifest, ManifestEntry, SignatureCheck};
/// let key = SigningKey::from_bytes(&[42; 32]);
/// let entries = vec![ManifestEntry { ticket: "T-1".into(), records: 2, head: "cd".repeat(32).into() }];
/// let manifest = Manifest::sign(entries, &key);
/// assert_eq!(manifest.tickets, 1);
/// assert_eq!(manifest.check_signature(&key.verifying_key()), SignatureCheck::Valid);
/// let line = manifest.to_line();
/// assert!(line.starts_with(r#"{"manifest":{"format":"ombud-store-manifest/1","tickets":1,"#));
/// assert_eq!(Manifest::from_line(&line).unwrap(), manifest);
/// let other = SigningKey::from_bytes(&[7; 32]).verifying_key();
/// assert_eq!(manifest.check_signature(&other), SignatureCheck::OtherKey);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The manifest format: `ombud-store-manifest/1`.
    pub format: String,
    /// Number of tickets in the store.
    pub tickets: u64,
    /// The Merkle root of the entries (RFC 6962's tree hash over their
    /// [leaf hashes](ManifestEntry::leaf_hash), in store order).
    pub root: Digest,
    /// The signer's Ed25519 public key, 64 hex digits (for information: a verifier uses the
    /// key it was given, never this one).
    pub public_key: Digest,
    /// Ed25519 signature, 128 hex digits, of the text `ombud-store-manifest/1` and a line
    /// break, the number of tickets (8 bytes, big-endian) and the 32 bytes of the root.
    pub signature: String,
    /// Every ticket of the store, in store order.
    pub entries: Vec<ManifestEntry>,
}

/// The line a manifest is written as.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestLine<M> {
    manifest: M,
}

/// What checking a manifest's signature with a public key found.
///
/// ```
/// use ombud_engine::ledger::SignatureCheck;
/// assert_ne!(SignatureCheck::Valid, SignatureCheck::Invalid);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureCheck {
    /// The key signed exactly this count and root.
    Valid,
    /// The manifest names another public key: another key signed it (or the field was edited).
    OtherKey,
    /// The manifest names the key, but the signature does not verify: the count, the root or
    /// the signature was altered.
    Invalid,
}

impl Manifest {
    /// Builds the manifest of `entries` (in store order) and signs it with `key`.
    ///
    /// ```
    /// use ed25519_dalek::SigningKey;
    /// use ombud_engine::ledger::Manifest;
    /// let manifest = Manifest::sign(Vec::new(), &SigningKey::from_bytes(&[1; 32]));
    /// assert_eq!(manifest.tickets, 0);
    /// assert_eq!(manifest.signature.len(), 128);
    /// ```
    pub fn sign(entries: Vec<ManifestEntry>, key: &SigningKey) -> Self {
        let root = root_bytes(&entries);
        let tickets = entries.len() as u64;
        let signature: Signature = key.sign(&signed_message(tickets, &root));
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            tickets,
            root: Digest::from_bytes(root),
            public_key: Digest::from_bytes(key.verifying_key().to_bytes()),
            signature: format!("{signature:x}"),
            entries,
        }
    }

    /// Whether `key` signed this manifest's count and root (strict Ed25519 verification).
    ///
    /// ```
    /// use ed25519_dalek::SigningKey;
    /// use ombud_engine::ledger::{Manifest, SignatureCheck};
    /// let key = SigningKey::from_bytes(&[3; 32]);
    /// let mut manifest = Manifest::sign(Vec::new(), &key);
    /// manifest.tickets = 5; // claims five tickets
    /// assert_eq!(manifest.check_signature(&key.verifying_key()), SignatureCheck::Invalid);
    /// ```
    pub fn check_signature(&self, key: &VerifyingKey) -> SignatureCheck {
        if self.public_key.as_bytes() != Some(key.as_bytes()) {
            return SignatureCheck::OtherKey;
        }
        let (Some(root), Ok(signature)) =
            (self.root.as_bytes(), self.signature.parse::<Signature>())
        else {
            return SignatureCheck::Invalid;
        };
        match key.verify_strict(&signed_message(self.tickets, root), &signature) {
            Ok(()) => SignatureCheck::Valid,
            Err(_) => SignatureCheck::Invalid,
        }
    }

    /// What is inconsistent inside the manifest, if anything: a format this build does not
    /// read, a count that is not the number of entries, entries that do not hash to the root,
    /// or a ticket listed twice.
    ///
    /// ```
    /// use ed25519_dalek::SigningKey;
    /// use ombud_engine::ledger::{Manifest, ManifestEntry};
    /// let entry = ManifestEntry { ticket: "T-1".into(), records: 2, head: "cd".repeat(32).into() };
    /// let mut manifest = Manifest::sign(vec![entry], &SigningKey::from_bytes(&[9; 32]));
    /// assert_eq!(manifest.inconsistency(), None);
    /// manifest.entries[0].records = 1;
    /// assert_eq!(manifest.inconsistency().as_deref(),
    ///     Some("its entries do not hash to its Merkle root (an entry was altered, added or removed)"));
    /// ```
    pub fn inconsistency(&self) -> Option<String> {
        if self.format != MANIFEST_FORMAT {
            return Some(format!(
                "its format is `{}`, this build reads `{MANIFEST_FORMAT}`",
                self.format
            ));
        }
        if self.tickets != self.entries.len() as u64 {
            return Some(format!(
                "it counts {} tickets but lists {}",
                self.tickets,
                self.entries.len()
            ));
        }
        if merkle_root(&self.entries) != self.root {
            return Some(
                "its entries do not hash to its Merkle root (an entry was altered, added or \
                 removed)"
                    .to_string(),
            );
        }
        let mut ids: Vec<&str> = self.entries.iter().map(|e| e.ticket.as_str()).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Some(format!("it lists ticket `{}` twice", pair[0]));
        }
        None
    }

    /// The store line: `{"manifest":{…}}`, no line break.
    ///
    /// ```
    /// use ombud_engine::ledger::Manifest;
    /// let line = Manifest::sign(Vec::new(), &ed25519_dalek::SigningKey::from_bytes(&[5; 32])).to_line();
    /// assert!(line.starts_with(r#"{"manifest":"#) && line.ends_with(r#""entries":[]}}"#));
    /// ```
    #[expect(clippy::expect_used, reason = "the invariant below")]
    pub fn to_line(&self) -> String {
        // INVARIANT: a manifest is strings, numbers and digests (written as hex strings) in
        // structs: serde_json cannot fail on it.
        serde_json::to_string(&ManifestLine { manifest: self }).expect("a manifest serialises")
    }

    /// Reads a store line written by [`to_line`](Self::to_line).
    ///
    /// ```
    /// use ombud_engine::ledger::Manifest;
    /// let err = Manifest::from_line(r#"{"manifest":{"format":"x"}}"#).unwrap_err();
    /// assert!(err.to_string().starts_with("missing field `tickets`"), "{err}");
    /// ```
    pub fn from_line(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<ManifestLine<Manifest>>(text).map(|l| l.manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> ManifestEntry {
        ManifestEntry { ticket: format!("T-{i}"), records: i as u64, head: "ab".repeat(32).into() }
    }

    /// RFC 6962's recursive definition, written out for a check of the split rule.
    fn mth(d: &[[u8; 32]]) -> [u8; 32] {
        if d.len() <= 1 {
            return tree_hash(d);
        }
        let mut k = 1;
        while k * 2 < d.len() {
            k *= 2;
        }
        let mut h = Sha256::new();
        h.update([1]);
        h.update(mth(&d[..k]));
        h.update(mth(&d[k..]));
        h.finalize().into()
    }

    #[test]
    fn the_tree_splits_at_the_largest_power_of_two_below_the_length() {
        for n in 0..40 {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| entry(i).leaf_hash()).collect();
            assert_eq!(tree_hash(&leaves), mth(&leaves), "{n}");
        }
    }

    #[test]
    fn three_leaves_split_after_two_and_no_leaf_is_the_hash_of_nothing() {
        let (a, b, c) = (entry(1), entry(2), entry(3));
        let node = |l: &[u8], r: &[u8]| -> [u8; 32] {
            Sha256::new().chain_update([1]).chain_update(l).chain_update(r).finalize().into()
        };
        let ab = node(&a.leaf_hash(), &b.leaf_hash());
        let root = merkle_root(&[a, b, c.clone()]);
        assert_eq!(root.as_bytes(), Some(&node(&ab, &c.leaf_hash())));
        let empty: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(merkle_root(&[]).as_bytes(), Some(&empty));
    }

    #[test]
    fn the_signed_message_is_format_count_and_root() {
        let message = signed_message(2, &[7; 32]);
        assert_eq!(message.len(), 23 + 8 + 32);
        assert!(message.starts_with(b"ombud-store-manifest/1\n"));
        assert_eq!(message[23..31], 2u64.to_be_bytes());
        assert_eq!(message[31..], [7; 32]);
    }

    #[test]
    fn every_entry_and_its_order_count() {
        let entries: Vec<ManifestEntry> = (0..7).map(entry).collect();
        let root = merkle_root(&entries);
        let mut swapped = entries.clone();
        swapped.swap(2, 3);
        assert_ne!(merkle_root(&swapped), root);
        let mut edited = entries.clone();
        edited[6].head = "ac".repeat(32).into();
        assert_ne!(merkle_root(&edited), root);
        assert_ne!(merkle_root(&entries[..6]), root);
    }
}
