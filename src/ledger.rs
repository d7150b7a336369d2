//! `ombud ledger`: work with ledgers of complaint events (`generate` a synthetic one).

use crate::render::safe;
use chrono::{DateTime, NaiveDate, Utc};
use ombud_engine::ledger::{GenerateError, GenerateOptions, Manifest, ManifestEntry};
use ombud_engine::{CompiledPolicy, Engine, generate};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// The reference policy, bundled so `ombud ledger generate` works anywhere.
const REFERENCE_POLICY: &str = include_str!("../policies/service-complaints.yaml");

/// Arguments of `ombud ledger`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Write a realistic synthetic ledger to stdout (same seed, same bytes).
    Generate(GenerateArgs),
    /// Replay a ledger and write each ticket as a host would store it after its last event
    /// (JSON Lines, one ticket per line): the store `ombud audit verify --tickets` checks.
    Tickets(TicketsArgs),
}

#[derive(clap::Args)]
struct TicketsArgs {
    /// The policy to replay under.
    #[arg(long)]
    policy: PathBuf,
    /// The ledger (`-` for stdin).
    #[arg(long)]
    ledger: PathBuf,
    /// Sign the store with this private key (`ombud audit keygen` writes one): the store then
    /// ends in a manifest of every ticket, signed, that `ombud audit verify --public-key` checks.
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
    #[command(flatten)]
    calendars: crate::on_calendars::CalendarArgs,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Number of tickets.
    #[arg(long)]
    tickets: u64,
    /// Seed of the pseudo-random generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Policy the events must be valid for (default: the bundled reference policy).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// First day tickets are opened (in the policy calendar's zone).
    #[arg(long, default_value = "2026-07-01")]
    from: NaiveDate,
    /// Last day tickets are opened; later events are not written.
    #[arg(long, default_value = "2026-09-30")]
    to: NaiveDate,
}

/// Runs `ombud ledger`.
pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Generate(g) => run_generate(g),
        Command::Tickets(t) => run_tickets(t),
    }
}

fn run_tickets(args: TicketsArgs) -> ExitCode {
    let key = match args.signing_key.as_deref().map(crate::audit::read_signing_key).transpose() {
        Ok(k) => k,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(policy) = load_policy(&args.policy) else { return ExitCode::from(2) };
    let engine = Engine::new(policy);
    let calendars =
        match crate::on_calendars::load(&args.calendars.calendars, &[&args.policy], |e| e) {
            Ok(c) => c,
            // Exit 2 for anything that stops `ledger tickets` before it reads the ledger.
            Err(_) => return ExitCode::from(2),
        };
    // Each ticket is written as it finishes (the open ones at the end): only those are held.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut entries = Vec::new();
    let mut written: std::io::Result<()> = Ok(());
    let read = crate::replay::open_ledger(&args.ledger).and_then(|input| {
        ombud_engine::ledger::ledger_tickets_each(&engine, &calendars, input, |ticket, _, _| {
            if written.is_ok() {
                written = serde_json::to_writer(&mut out, &ticket)
                    .map_err(std::io::Error::from)
                    .and_then(|()| writeln!(out));
            }
            if key.is_some() {
                entries.push(ManifestEntry::of(&ticket));
            }
        })
    });
    if !crate::replay::report_skipped(&args.ledger, read) {
        return ExitCode::from(2);
    }
    let finish = || -> std::io::Result<()> {
        written?;
        if let Some(key) = &key {
            writeln!(out, "{}", Manifest::sign(entries, key).to_line())?;
        }
        out.flush()
    };
    if let Err(e) = finish() {
        crate::out::failed(&e);
    }
    ExitCode::SUCCESS
}

fn run_generate(args: GenerateArgs) -> ExitCode {
    let policy = match &args.policy {
        Some(p) => load_policy(p),
        None => load_reference(),
    };
    let Some(policy) = policy else { return ExitCode::from(2) };
    if args.to < args.from {
        errln!("error: `--to` {} is before `--from` {}", args.to, args.from);
        return ExitCode::from(2);
    }
    let tz = policy.calendar().tz();
    let (Some(from), Some(to)) =
        (day_start(tz, args.from), day_start(tz, args.to.succ_opt().unwrap_or(args.to)))
    else {
        errln!("error: `--from`/`--to` out of range");
        return ExitCode::from(2);
    };
    let engine = Engine::new(policy).without_history().without_row_text();
    let options = GenerateOptions {
        tickets: args.tickets,
        seed: args.seed,
        from,
        to: to - chrono::Duration::seconds(1),
    };
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let written = generate(&engine, &options, &mut out)
        .and_then(|s| out.flush().map(|()| s).map_err(GenerateError::from));
    match written {
        Ok(stats) => {
            errln!(
                "generated {} tickets ({} closed), {} lines",
                args.tickets,
                stats.closed,
                stats.lines
            );
            ExitCode::SUCCESS
        }
        Err(GenerateError::Io(e)) => crate::out::failed(&e),
        Err(e @ GenerateError::Opening { .. }) => {
            errln!("error: {}", safe(&e.to_string()));
            ExitCode::from(1)
        }
    }
}

/// The instant `date` starts in zone `tz`.
pub(crate) fn day_start(tz: chrono_tz::Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    date.and_hms_opt(0, 0, 0)?.and_local_timezone(tz).earliest().map(|t| t.with_timezone(&Utc))
}

/// Loads and compiles a policy file, printing its diagnostics; `None` on errors.
pub(crate) fn load_policy(path: &Path) -> Option<Arc<CompiledPolicy>> {
    match ombud_engine::load_policy_file(path) {
        Ok((policy, _warnings)) => Some(Arc::new(policy)),
        Err(err) => {
            print_diagnostics(err.diagnostics());
            None
        }
    }
}

fn load_reference() -> Option<Arc<CompiledPolicy>> {
    match ombud_engine::load_policy("service-complaints.yaml", REFERENCE_POLICY, None) {
        Ok((policy, _)) => Some(Arc::new(policy)),
        Err(err) => {
            print_diagnostics(err.diagnostics());
            None
        }
    }
}

fn print_diagnostics(diags: &[ombud_engine::Diagnostic]) {
    for d in diags {
        let file = safe(d.file().unwrap_or("<policy>"));
        errln!("{file}:{}:{}: {}", d.span.line, d.span.column, safe(&d.to_string()));
        if let Some(h) = &d.hint {
            errln!("  hint: {}", safe(h));
        }
    }
}
