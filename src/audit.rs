//! `ombud audit`: check the audit chains of stored tickets (and, with the centre's public key,
//! that the store is the one the centre signed), compare a ledger's chains with a store, and
//! make the key pair that signs stores.

use crate::ledger::load_policy;
use crate::render::safe;
use crate::replay::open_ledger;
use ed25519_dalek::{SigningKey, VerifyingKey};
use ombud_engine::ledger::{
    RawLines, SignatureCheck, StoreReport, StoreVerifier, compare_with_ledger, ledger_chains,
};
use ombud_engine::runtime::{Digest, Engine, Ticket};
use std::io::{BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `ombud audit`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Verify stored tickets (a ticket JSON file, JSON Lines of tickets, a directory of `.json`)
    /// and, with `--public-key`, that the store is the one its signed manifest lists; or, with
    /// `--policy`, the chains a ledger produces (printed as `ticket,records,head`, or compared
    /// with `--tickets`). Exit 1 when anything is broken, missing or differs.
    Verify(VerifyArgs),
    /// Write an Ed25519 key pair that signs ticket stores: DIR/signing.key (the private key,
    /// readable by its owner only) and DIR/signing.pub (the public key auditors verify with).
    Keygen(KeygenArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// A ticket JSON file or JSON Lines of tickets (a store); with `--policy`, a ledger.
    file: PathBuf,
    /// The public key of the centre that signed the store (`signing.pub`): the store must end
    /// in a manifest it signed, and hold exactly the tickets and chains the manifest lists.
    #[arg(long, value_name = "FILE", conflicts_with = "policy")]
    public_key: Option<PathBuf>,
    /// Treat FILE as a ledger and replay it under this policy.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Stored tickets (JSON file, JSON Lines or a directory of `.json`) to compare the ledger's
    /// chains with.
    #[arg(long, requires = "policy")]
    tickets: Option<PathBuf>,
    /// A calendar update the ledger's `calendar` lines may name (with `--policy`): a calendar
    /// file that `extends` the calendar the policy names, standing in for it from the line on.
    /// Repeat for each update the ledger names.
    #[arg(long = "calendar", value_name = "FILE", requires = "policy")]
    calendars: Vec<String>,
}

#[derive(clap::Args)]
struct KeygenArgs {
    /// The directory to write `signing.key` and `signing.pub` to (created if missing).
    dir: PathBuf,
}

/// The longest line of a ticket store, in bytes (64 MiB): a ticket with its whole history, or
/// the manifest, which lists every ticket in about 100 bytes each (some 600,000 tickets).
const STORE_LINE_BYTES: usize = 64 << 20;

/// The largest key file read.
const KEY_FILE_BYTES: u64 = 4096;

/// Runs `ombud audit`.
pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Verify(v) => match &v.policy {
            None => verify_store(&v.file, v.public_key.as_deref()),
            Some(policy) => verify_ledger(&v.file, policy, v.tickets.as_deref(), &v.calendars),
        },
        Command::Keygen(k) => keygen(&k.dir),
    }
}

/// `path` as shown to a person.
fn shown(path: &Path) -> String {
    safe(&path.display().to_string()).into_owned()
}

fn keygen(dir: &Path) -> ExitCode {
    let (key_path, pub_path) = (dir.join("signing.key"), dir.join("signing.pub"));
    for p in [&key_path, &pub_path] {
        if p.exists() {
            errln!("error: `{}` already exists; a key is never overwritten", shown(p));
            return ExitCode::from(2);
        }
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        errln!("error: cannot create `{}`: {e}", shown(dir));
        return ExitCode::from(2);
    }
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut seed) {
        errln!("error: the system has no random numbers to make a key from: {e}");
        return ExitCode::from(2);
    }
    let key = SigningKey::from_bytes(&seed);
    let public = hex32(key.verifying_key().to_bytes());
    let written = write_new(&key_path, &format!("{}\n", hex32(key.to_bytes())), true)
        .and_then(|()| write_new(&pub_path, &format!("{public}\n"), false));
    if let Err(e) = written {
        errln!("error: cannot write the key pair to `{}`: {e}", shown(dir));
        return ExitCode::from(2);
    }
    outln!("private key {} (readable by its owner only: keep it secret)", shown(&key_path));
    outln!("public key  {} {public}", shown(&pub_path));
    ExitCode::SUCCESS
}

/// 32 bytes as 64 lowercase hex digits (the audit digests' own hex form).
fn hex32(bytes: [u8; 32]) -> String {
    Digest::from_bytes(bytes).to_string()
}

/// Creates `path` (never replacing a file) with `text`; `private` makes it readable and
/// writable by its owner only.
fn write_new(path: &Path, text: &str, private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Reads a key file: 64 hex digits (and a line break).
fn read_key(path: &Path, what: &str) -> Result<[u8; 32], String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(KEY_FILE_BYTES).read_to_string(&mut text))
        .map_err(|e| format!("cannot read {what} `{}`: {e}", shown(path)))?;
    Digest::from(text.trim()).as_bytes().copied().ok_or_else(|| {
        format!(
            "`{}` is not an Ombud {what}: it should hold 64 hex digits (`ombud audit keygen` \
             writes one)",
            shown(path)
        )
    })
}

/// The private key that signs stores (`signing.key`). On Unix, a key file others can read is
/// refused.
pub(crate) fn read_signing_key(path: &Path) -> Result<SigningKey, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("cannot read signing key `{}`: {e}", shown(path)))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "signing key `{}` can be read by others (mode {:o}): `chmod 600` it",
                shown(path),
                mode & 0o777
            ));
        }
    }
    read_key(path, "signing key").map(|bytes| SigningKey::from_bytes(&bytes))
}

fn read_public_key(path: &Path) -> Result<VerifyingKey, String> {
    let bytes = read_key(path, "public key")?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| format!("`{}` is not an Ed25519 public key", shown(path)))
}

/// What a verification without a public key cannot see.
const UNSIGNED_NOTE: &str = "note: without `--public-key` nothing shows who wrote this store: \
anyone can recompute a chain, and write a manifest to match, so a store rebuilt from an edited \
ledger, a deleted ticket, or a ticket cut short with its head recomputed all pass. Verify with \
the centre's public key (`--public-key signing.pub`) to detect them; `ombud ledger tickets \
--signing-key` writes signed stores.";

fn verify_store(path: &Path, public_key: Option<&Path>) -> ExitCode {
    let key = match public_key.map(read_public_key).transpose() {
        Ok(k) => k,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut verifier = StoreVerifier::new();
    let read = read_store(path, &mut |item| match item {
        Item::Line { at, text } => verifier.line(&at, &text),
        Item::Ticket { at, ticket } => verifier.ticket(&at, &ticket),
        Item::Unreadable { at, message } => verifier.unreadable(&at, &message),
    });
    if let Err(e) = read {
        errln!("error: {e}");
        return ExitCode::from(2);
    }
    let report = verifier.finish(key.as_ref());
    print_store_report(&report);
    if key.is_none() {
        errln!("{UNSIGNED_NOTE}");
    }
    if report.is_clean() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn print_store_report(report: &StoreReport) {
    for t in &report.tickets {
        let v = &t.verdict;
        match &v.problem {
            None => {
                let note = if v.advanced_after_last_record {
                    " (advanced in time after the last record; state not compared)"
                } else {
                    ""
                };
                outln!(
                    "ok      {}: {} records, head {}{note}",
                    safe(&v.ticket),
                    v.records,
                    safe(&t.head)
                );
            }
            Some(p) => outln!("BROKEN  {}: {p}", safe(&v.ticket)),
        }
    }
    for f in &report.findings {
        outln!("{:<7} {}", f.label(), safe(&f.to_string()));
    }
    if let Some(m) = &report.manifest {
        let signed = match report.signature {
            Some(SignatureCheck::Valid) => "signed with the key given",
            Some(_) => "NOT signed with the key given",
            None => "signature not checked",
        };
        outln!(
            "manifest {}: {} tickets, Merkle root {} ({signed})",
            safe(&m.at),
            m.tickets,
            m.root
        );
    }
    let tickets = report.tickets.len();
    let broken = report.broken();
    let signed = match report.signature {
        Some(SignatureCheck::Valid) => "; the store is the one the manifest signed",
        _ => "",
    };
    if report.is_clean() {
        errln!("{tickets} tickets, every chain whole{signed}");
    } else {
        errln!(
            "{tickets} tickets: {broken} with a broken audit chain, {} other finding{}{signed}",
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" }
        );
    }
}

/// One item of a store as read.
enum Item {
    /// A line of JSON Lines.
    Line { at: String, text: String },
    /// A ticket read from a file of its own.
    Ticket { at: String, ticket: Box<Ticket> },
    /// A line or file that is not text, or a file holding something other than a ticket.
    Unreadable { at: String, message: String },
}

/// Reads a store item by item: a directory of `.json` files (sorted by name, each one ticket or
/// JSON Lines of tickets), a file holding one ticket written over many lines, or JSON Lines
/// (the tickets, then the manifest). A line longer than [`STORE_LINE_BYTES`] ends the reading.
fn read_store(path: &Path, visit: &mut dyn FnMut(Item)) -> Result<(), String> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read `{}`: {e}", shown(path)))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            read_store(&f, visit)?;
        }
        return Ok(());
    }
    let name = shown(path);
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read `{name}`: {e}"))?;
    let mut lines =
        RawLines::new(BufReader::with_capacity(1 << 16, file)).with_max_line(STORE_LINE_BYTES);
    // One ticket written over many lines (`serde_json::to_string_pretty`) starts with a line
    // that is only `{`.
    let mut pretty: Option<String> = None;
    let mut first = true;
    for item in lines.by_ref() {
        let item = item.map_err(|e| format!("`{name}`: {e}"))?;
        let line = match item {
            Ok(line) => line,
            Err(e) => {
                let at = format!("{name}:{}", e.line);
                visit(Item::Unreadable { at, message: e.message });
                continue;
            }
        };
        if first && line.text.trim() == "{" {
            pretty = Some(String::new());
        }
        first = false;
        match &mut pretty {
            Some(text) => {
                text.push_str(&line.text);
                text.push('\n');
                if text.len() > STORE_LINE_BYTES {
                    return Err(format!(
                        "`{name}`: a ticket of more than {STORE_LINE_BYTES} bytes"
                    ));
                }
            }
            None => visit(Item::Line { at: format!("{name}:{}", line.number), text: line.text }),
        }
    }
    if let Some(text) = pretty {
        match serde_json::from_str::<Ticket>(&text) {
            Ok(ticket) => visit(Item::Ticket { at: name, ticket: Box::new(ticket) }),
            Err(e) => visit(Item::Unreadable { at: name, message: format!("not a ticket: {e}") }),
        }
    }
    Ok(())
}

fn verify_ledger(
    path: &Path,
    policy_path: &Path,
    stored: Option<&Path>,
    calendars: &[String],
) -> ExitCode {
    let Some(policy) = load_policy(policy_path) else { return ExitCode::from(2) };
    let engine = Engine::new(policy);
    let Ok(calendars) = crate::on_calendars::load(calendars, &[policy_path], |e| e) else {
        return ExitCode::from(2);
    };
    let chains = open_ledger(path).and_then(|input| ledger_chains(&engine, &calendars, input));
    let (chains, errors) = match chains {
        Ok(c) => c,
        Err(e) => {
            errln!("error: cannot read `{}`: {e}", shown(path));
            return ExitCode::from(2);
        }
    };
    for e in &errors {
        errln!("warning: {}: skipped {}", shown(path), safe(&e.to_string()));
    }
    let Some(stored) = stored else {
        outln!("ticket,records,head");
        for c in &chains {
            outln!("{},{},{}", safe(&c.ticket), c.hashes.len(), c.head);
        }
        return if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    };
    let mut tickets = Vec::new();
    let mut unreadable = 0usize;
    let read = read_store(stored, &mut |item| match item {
        Item::Ticket { ticket, .. } => tickets.push(*ticket),
        Item::Line { at, text } => match serde_json::from_str::<Ticket>(&text) {
            Ok(t) => tickets.push(t),
            // The signed manifest that ends a store is not a ticket.
            Err(_) if ombud_engine::ledger::Manifest::from_line(&text).is_ok() => {}
            Err(e) => {
                unreadable += 1;
                outln!("UNREADABLE  {}: not a ticket: {}", at, safe(&e.to_string()));
            }
        },
        Item::Unreadable { at, message } => {
            unreadable += 1;
            outln!("UNREADABLE  {at}: {}", safe(&message));
        }
    });
    if let Err(e) = read {
        errln!("error: {e}");
        return ExitCode::from(2);
    }
    let mismatches = compare_with_ledger(&chains, &tickets);
    for m in &mismatches {
        outln!("MISMATCH  {}", safe(&m.to_string()));
    }
    outln!(
        "{} ledger tickets, {} stored tickets, {} mismatches, {} malformed lines, {} unreadable \
         stored tickets",
        chains.len(),
        tickets.len(),
        mismatches.len(),
        errors.len(),
        unreadable
    );
    if mismatches.is_empty() && errors.is_empty() && unreadable == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
