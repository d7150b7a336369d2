//! The anchored audit chain end to end: `ombud audit keygen`, `ombud ledger tickets
//! --signing-key`, `ombud audit verify --public-key`, and each way of tampering with a store a
//! centre signed — every one named, exit 1.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test on bad fixtures")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const POLICY: &str = "policies/service-complaints.yaml";
const SMALL: &str = "tests/fixtures/ledger/small.jsonl";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ombud(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ombud")).current_dir(root()).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ombud-signed-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A key pair in `dir/keys`, and the small ledger's store signed with it: (store lines, key
/// directory).
fn signed_store(dir: &Path) -> (Vec<String>, PathBuf) {
    let keys = dir.join("keys");
    let o = ombud(&["audit", "keygen", s(&keys)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let key = keys.join("signing.key");
    let o = ombud(&[
        "ledger",
        "tickets",
        "--policy",
        POLICY,
        "--ledger",
        SMALL,
        "--signing-key",
        s(&key),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (stdout(&o).lines().map(str::to_string).collect(), keys)
}

/// Writes `lines` as a store and verifies it with the key pair's public key.
fn verify(dir: &Path, keys: &Path, lines: &[String]) -> Output {
    let store = dir.join("store.jsonl");
    std::fs::write(&store, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    ombud(&["audit", "verify", s(&store), "--public-key", s(&keys.join("signing.pub"))])
}

/// The store line of ticket `id`.
fn line_of(lines: &[String], id: &str) -> usize {
    lines.iter().position(|l| l.starts_with(&format!("{{\"format\":1,\"id\":\"{id}\""))).unwrap()
}

/// The store written, without a key, for `ledger`'s text.
fn unsigned_store(dir: &Path, ledger: &str) -> Vec<String> {
    let path = dir.join("edited.jsonl");
    std::fs::write(&path, ledger).unwrap();
    let o = ombud(&["ledger", "tickets", "--policy", POLICY, "--ledger", s(&path)]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites() {
    let d = dir("keygen");
    let keys = d.join("keys");
    let o = ombud(&["audit", "keygen", s(&keys)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = std::fs::read_to_string(keys.join("signing.pub")).unwrap();
    assert_eq!(public.trim().len(), 64);
    assert!(stdout(&o).contains(public.trim()), "{}", stdout(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(keys.join("signing.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = ombud(&["audit", "keygen", s(&keys)]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(keys.join("signing.pub")).unwrap(), public);
}

#[test]
fn a_signed_store_verifies_and_names_its_root() {
    let d = dir("clean");
    let (lines, keys) = signed_store(&d);
    assert_eq!(lines.len(), 12, "11 tickets and the manifest");
    assert!(
        lines[11].starts_with(r#"{"manifest":{"format":"ombud-store-manifest/1","tickets":11,"#)
    );
    let o = verify(&d, &keys, &lines);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("\nok      ").count() + usize::from(out.starts_with("ok")), 11, "{out}");
    assert!(out.contains(": 11 tickets, Merkle root "), "{out}");
    assert!(out.contains("(signed with the key given)"), "{out}");
    // Plain verification still works on the same store, and says what it cannot detect.
    let plain = ombud(&["audit", "verify", s(&d.join("store.jsonl"))]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    assert!(stderr(&plain).contains("without `--public-key` nothing shows who wrote this store"));
}

#[test]
fn a_store_rebuilt_from_an_edited_ledger_is_named_forged() {
    let d = dir("forged");
    let (lines, keys) = signed_store(&d);
    // T-03's confirmation moved five minutes in the ledger, and the store regenerated from it:
    // every chain is whole again, since anyone can recompute SHA-256.
    let ledger = std::fs::read_to_string(root().join(SMALL)).unwrap();
    let edited = ledger.replace(
        r#"{"ticket":"T-03","event":{"at":"2026-07-07T12:20:00+08:00","event":"confirmed"}}"#,
        r#"{"ticket":"T-03","event":{"at":"2026-07-07T12:25:00+08:00","event":"confirmed"}}"#,
    );
    assert_ne!(edited, ledger);
    let mut rebuilt = unsigned_store(&d, &edited);
    let plain = verify(&d, &keys, &rebuilt);
    // Without a manifest the key has nothing to check: the store is unsigned.
    assert_eq!(plain.status.code(), Some(1));
    assert!(stdout(&plain).contains("UNSIGNED the store does not end in a signed manifest"));
    // With the centre's manifest kept at the end, the recomputed chain is named.
    rebuilt.push(lines[11].clone());
    let o = verify(&d, &keys, &rebuilt);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("ok      T-03: 16 records"), "the chain itself is whole: {out}");
    assert!(
        out.contains("FORGED  ")
            && out.contains("ticket `T-03`'s chain is not the one the manifest signed"),
        "{out}"
    );
    assert_eq!(out.matches("FORGED").count(), 1, "{out}");
}

#[test]
fn deleted_duplicated_and_added_tickets_are_named() {
    let d = dir("set");
    let (lines, keys) = signed_store(&d);
    let mut tampered = lines.clone();
    let t05 = line_of(&tampered, "T-05");
    tampered.remove(t05);
    let t02 = line_of(&tampered, "T-02");
    tampered.insert(t02, tampered[t02].clone());
    // A ticket the centre never stored, with a whole chain of its own.
    let extra = unsigned_store(
        &d,
        r#"{"ticket":"T-99","open":{"at":"2026-07-02T09:00:00+08:00","fields":{"text":"x","channel":"web","departments":["network"]}}}"#,
    );
    tampered.insert(tampered.len() - 1, extra[0].clone());
    let o = verify(&d, &keys, &tampered);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "DELETED ticket `T-05` is in the signed manifest but not in the store (deleted)"
        ),
        "{out}"
    );
    assert!(out.contains("DUPLICATE ticket `T-02` is stored 2 times ("), "{out}");
    assert!(
        out.contains("ADDED   ")
            && out.contains("ticket `T-99` is not in the signed manifest (added)"),
        "{out}"
    );
    // Plain verification cannot see a deletion, but it does see the duplicate.
    let plain = ombud(&["audit", "verify", s(&d.join("store.jsonl"))]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(stdout(&plain).contains("DUPLICATE ticket `T-02`"));
}

#[test]
fn a_ticket_cut_short_with_its_head_recomputed_is_named_truncated() {
    let d = dir("truncated");
    let (lines, keys) = signed_store(&d);
    // T-03 as a store holds it after its first 10 ledger lines only: a whole, shorter chain.
    let ledger = std::fs::read_to_string(root().join(SMALL)).unwrap();
    let mut t03 = 0;
    let cut: String = ledger
        .lines()
        .filter(|l| {
            if l.contains(r#""ticket":"T-03""#) {
                t03 += 1;
                t03 <= 10
            } else {
                true
            }
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let short = unsigned_store(&d, &cut);
    let mut tampered = lines.clone();
    let at = line_of(&tampered, "T-03");
    tampered[at] = short[line_of(&short, "T-03")].clone();
    let o = verify(&d, &keys, &tampered);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("ok      T-03: 10 records"), "{out}");
    assert!(
        out.contains("TRUNCATED ")
            && out
                .contains("ticket `T-03` has 10 records, the manifest signed 16 (records removed)"),
        "{out}"
    );
}

#[test]
fn an_unreadable_ticket_does_not_stop_the_check_of_the_others() {
    let d = dir("unreadable");
    let (lines, keys) = signed_store(&d);
    let mut tampered = lines.clone();
    let t04 = line_of(&tampered, "T-04");
    // Still JSON, and still naming its id, but no longer a ticket.
    tampered[t04] = tampered[t04].replacen(r#""stage":"#, r#""stage":1,"x":"#, 1);
    let t07 = line_of(&tampered, "T-07");
    // T-07's last record's state digest edited: its own chain breaks.
    let state = tampered[t07].rfind(r#""state":""#).unwrap() + 9;
    let flipped = if &tampered[t07][state..state + 1] == "0" { "1" } else { "0" };
    tampered[t07].replace_range(state..state + 1, flipped);
    let o = verify(&d, &keys, &tampered);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let unreadable = format!("store.jsonl:{}: ticket `T-04` cannot be read: ", t04 + 1);
    assert!(out.contains("UNREADABLE") && out.contains(&unreadable), "{out}");
    assert!(out.contains("BROKEN  T-07: record seq 7 was altered"), "{out}");
    assert!(!out.contains("DELETED"), "T-04 is there, unreadable: {out}");
    assert!(out.contains("ok      T-10"), "the tickets after both are checked: {out}");
}

#[test]
fn an_empty_or_manifest_less_store_is_refused() {
    let d = dir("empty");
    let (lines, keys) = signed_store(&d);
    for key in [true, false] {
        let store = d.join("empty.jsonl");
        std::fs::write(&store, "").unwrap();
        let mut args = vec!["audit", "verify", s(&store)];
        let public = keys.join("signing.pub");
        if key {
            args.extend(["--public-key", s(&public)]);
        }
        let o = ombud(&args);
        assert_eq!(o.status.code(), Some(1), "key {key}: {}", stderr(&o));
        assert!(
            stdout(&o).contains("EMPTY   the store holds no ticket and no manifest"),
            "{}",
            stdout(&o)
        );
    }
    let without = &lines[..11];
    let o = verify(&d, &keys, without);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("UNSIGNED the store does not end in a signed manifest"));
}

#[test]
fn a_manifest_signed_by_another_key_or_altered_is_refused() {
    let d = dir("manifest");
    let (lines, keys) = signed_store(&d);
    let other = d.join("other");
    assert!(ombud(&["audit", "keygen", s(&other)]).status.success());
    let store = d.join("store.jsonl");
    std::fs::write(&store, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let o = ombud(&["audit", "verify", s(&store), "--public-key", s(&other.join("signing.pub"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("MANIFEST the manifest was signed by another key"),
        "{}",
        stdout(&o)
    );
    // The count claims one ticket more: the signature no longer covers it.
    let mut altered = lines.clone();
    altered[11] = altered[11].replacen(r#""tickets":11"#, r#""tickets":12"#, 1);
    let o = verify(&d, &keys, &altered);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("MANIFEST the manifest's signature does not verify"), "{out}");
    assert!(
        out.contains("MANIFEST the manifest was altered: it counts 12 tickets but lists 11"),
        "{out}"
    );
    // A line after the manifest is not covered by it.
    let mut after = lines.clone();
    after.push(lines[0].clone());
    let o = verify(&d, &keys, &after);
    assert!(stdout(&o).contains("a manifest that is not the store's last line"), "{}", stdout(&o));
}

#[test]
fn a_signing_key_others_can_read_is_refused() {
    let d = dir("mode");
    let keys = d.join("keys");
    assert!(ombud(&["audit", "keygen", s(&keys)]).status.success());
    let key = keys.join("signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = ombud(&[
            "ledger",
            "tickets",
            "--policy",
            POLICY,
            "--ledger",
            SMALL,
            "--signing-key",
            s(&key),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("can be read by others (mode 644)"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    let o = ombud(&[
        "ledger",
        "tickets",
        "--policy",
        POLICY,
        "--ledger",
        SMALL,
        "--signing-key",
        s(&keys.join("signing.pub")),
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "the public key is world-readable, and not a signing key either"
    );
}
