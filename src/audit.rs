//! `ombud audit verify`: check the tamper-evident audit chain of stored tickets, or of the
//! tickets a ledger produces against the stored ones.

use crate::ledger::load_policy;
use crate::replay::open_ledger;
use ombud_engine::{Engine, Ticket, compare_with_ledger, ledger_chains, verify_ticket};
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
    /// Verify stored tickets (a ticket JSON file, or JSON Lines of tickets), or — with
    /// `--policy` — the chains a ledger produces (printed as `ticket,records,head`, or compared
    /// with `--tickets`). Exit 1 when a chain is broken or differs.
    Verify(VerifyArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// A ticket JSON file or JSON Lines of tickets; with `--policy`, a ledger.
    file: PathBuf,
    /// Treat FILE as a ledger and replay it under this policy.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Stored tickets (JSON file, JSON Lines or a directory of `.json`) to compare the ledger's
    /// chains with.
    #[arg(long, requires = "policy")]
    tickets: Option<PathBuf>,
}

/// Runs `ombud audit`.
pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Verify(v) => match &v.policy {
            None => verify_tickets(&v.file),
            Some(policy) => verify_ledger(&v.file, policy, v.tickets.as_deref()),
        },
    }
}

fn verify_tickets(path: &Path) -> ExitCode {
    let tickets = match read_tickets(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut broken = 0;
    for t in &tickets {
        let v = verify_ticket(t);
        match &v.problem {
            None => {
                let note = if v.advanced_after_last_record {
                    " (advanced in time after the last record; state not compared)"
                } else {
                    ""
                };
                println!(
                    "ok      {}: {} records, head {}{note}",
                    v.ticket,
                    v.records,
                    t.audit_head()
                );
            }
            Some(p) => {
                broken += 1;
                println!("BROKEN  {}: {p}", v.ticket);
            }
        }
    }
    if broken > 0 {
        eprintln!("{broken} of {} tickets have a broken audit chain", tickets.len());
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn verify_ledger(path: &Path, policy: &Path, stored: Option<&Path>) -> ExitCode {
    let Some(policy) = load_policy(policy) else { return ExitCode::from(2) };
    let engine = Engine::new(policy);
    let chains = open_ledger(path).and_then(|input| ledger_chains(&engine, input));
    let (chains, errors) = match chains {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    for e in &errors {
        eprintln!("warning: {}: skipped {e}", path.display());
    }
    let Some(stored) = stored else {
        println!("ticket,records,head");
        for c in &chains {
            println!("{},{},{}", c.ticket, c.hashes.len(), c.head);
        }
        return if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    };
    let tickets = match read_tickets(stored) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mismatches = compare_with_ledger(&chains, &tickets);
    for m in &mismatches {
        println!("MISMATCH  {m}");
    }
    println!(
        "{} ledger tickets, {} stored tickets, {} mismatches, {} malformed lines",
        chains.len(),
        tickets.len(),
        mismatches.len(),
        errors.len()
    );
    if mismatches.is_empty() && errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Tickets from a JSON file, JSON Lines, or a directory of `.json` files (sorted by name).
fn read_tickets(path: &Path) -> Result<Vec<Ticket>, String> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            out.extend(read_tickets(&f)?);
        }
        return Ok(out);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if let Ok(t) = serde_json::from_str::<Ticket>(&text) {
        return Ok(vec![t]);
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let t = serde_json::from_str::<Ticket>(line)
            .map_err(|e| format!("`{}` line {}: not a ticket: {e}", path.display(), i + 1))?;
        out.push(t);
    }
    Ok(out)
}
