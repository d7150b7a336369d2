//! `ombud replay`: run a ledger through a policy (and another, side by side) and report.

use crate::ledger::load_policy;
use crate::render::{self, safe};
use ombud_engine::ledger::{OnError, PolicyFigures, ReplayOptions, ReplayResult, replay};
use ombud_engine::runtime::{Engine, TimelineRow};
use ombud_engine::timefmt;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Output format of `replay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables.
    Text,
    /// One JSON document.
    Json,
}

/// What to do with a malformed line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnErrorArg {
    /// Report it, count it, go on.
    Skip,
    /// Stop with exit code 1 at the first one.
    Fail,
}

impl From<OnErrorArg> for OnError {
    fn from(a: OnErrorArg) -> Self {
        match a {
            OnErrorArg::Skip => OnError::Skip,
            OnErrorArg::Fail => OnError::Fail,
        }
    }
}

/// Arguments of `ombud replay`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy to replay under.
    #[arg(long)]
    policy: PathBuf,
    /// The ledger (JSON Lines; `-` for stdin).
    #[arg(long)]
    ledger: PathBuf,
    /// A second policy: replay under it too and list the tickets whose outcome changes.
    #[arg(long)]
    against: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// What a malformed line does.
    #[arg(long, value_enum, default_value_t = OnErrorArg::Skip)]
    on_error: OnErrorArg,
    /// Worker threads (default: the number of cores; at most 4 per core).
    #[arg(long, value_parser = parse_threads)]
    threads: Option<usize>,
    /// Keep every event and seal every audit record with its hashes, as a host does (slower;
    /// the figures are the same). Without it, replay skips the per-event state digest and keeps
    /// only the history later events read (`set` events, and of the opening the given values
    /// of computed fields).
    #[arg(long)]
    audit_hashes: bool,
    #[command(flatten)]
    calendars: crate::on_calendars::CalendarArgs,
}

/// Runs `ombud replay`.
pub fn run(args: Args) -> ExitCode {
    let Some(policy) = load_policy(&args.policy) else { return ExitCode::from(2) };
    // Row texts only show in the first difference between two policies; a single-policy replay
    // counts rows and never prints them.
    let comparing = args.against.is_some();
    // A calendar update reads a clock's pauses from the history: with `--calendar`, it is kept.
    let lean = !args.audit_hashes && args.calendars.calendars.is_empty();
    let prepare = |e: Engine| {
        let e = if lean { e.without_history() } else { e };
        if comparing { e } else { e.without_row_text() }
    };
    let mut engines = vec![prepare(Engine::new(policy))];
    let mut paths = vec![args.policy.as_path()];
    if let Some(p) = &args.against {
        let Some(other) = load_policy(p) else { return ExitCode::from(2) };
        engines.push(prepare(Engine::new(other)));
        paths.push(p);
    }
    let calendars = match crate::on_calendars::load(&args.calendars.calendars, &paths, prepare) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let threads = threads(args.threads);
    let options = ReplayOptions {
        threads,
        on_error: args.on_error.into(),
        keep_tickets: false,
        calendars: Some(&calendars),
    };
    let started = Instant::now();
    let result = match open_ledger(&args.ledger) {
        Ok(input) => replay(&engines, input, &options),
        Err(e) => {
            errln!("error: cannot open `{}`: {e}", args.ledger.display());
            return ExitCode::from(2);
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {}: {}", safe(&args.ledger.display().to_string()), safe(&e.to_string()));
            return ExitCode::from(1);
        }
    };
    let tz = engines.first().map_or(chrono_tz::UTC, |e| e.policy().calendar().tz());
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&result).unwrap_or_default() + "\n",
        Format::Text => render_text(&result, tz),
    };
    out!("{out}");
    for e in &result.errors {
        errln!(
            "warning: {}: skipped {}",
            safe(&args.ledger.display().to_string()),
            safe(&e.to_string())
        );
    }
    if result.skipped as usize > result.errors.len() {
        errln!("warning: … and {} more", result.skipped as usize - result.errors.len());
    }
    errln!(
        "replayed {} lines in {:.3} s: {:.0} lines/s on {} thread{} ({} skipped)",
        result.lines,
        elapsed,
        result.lines as f64 / elapsed.max(1e-9),
        threads,
        if threads == 1 { "" } else { "s" },
        result.skipped
    );
    ExitCode::SUCCESS
}

/// Cores available (at least 1).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Worker threads per core at most: more only adds threads waiting for the same cores (and
/// each worker keeps its own share of the open tickets and a queue of lines).
pub(crate) const THREADS_PER_CORE: usize = 4;

/// `--threads`: a whole number, at least 1.
pub(crate) fn parse_threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => {
            Err("at least one thread is needed (leave `--threads` out to use every core)".into())
        }
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of threads")),
    }
}

/// The worker threads to run: as asked, at most [`THREADS_PER_CORE`] per core (with a warning
/// when cut), or one per core.
pub(crate) fn threads(requested: Option<usize>) -> usize {
    let cores = cores();
    let most = cores.saturating_mul(THREADS_PER_CORE);
    match requested {
        None => cores,
        Some(n) if n > most => {
            errln!(
                "warning: `--threads {n}` is more than {THREADS_PER_CORE} per core; using {most} \
                 ({cores} core{})",
                if cores == 1 { "" } else { "s" }
            );
            most
        }
        Some(n) => n,
    }
}

/// Opens a ledger file (or stdin for `-`) for streaming.
pub(crate) fn open_ledger(path: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(BufReader::with_capacity(1 << 16, std::io::stdin())))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 16, std::fs::File::open(path)?)))
    }
}

/// Reports the end of reading ledger `path` ticket by ticket: each skipped line as a warning
/// on stderr. `false` (after the error) when the ledger could not be read at all (exit 2).
pub(crate) fn report_skipped<E: std::fmt::Display, T>(
    path: &Path,
    read: std::io::Result<(Vec<E>, T)>,
) -> bool {
    let path = path.display().to_string();
    let name = safe(&path);
    match read {
        Ok((errors, _)) => {
            for e in &errors {
                errln!("warning: {name}: skipped {}", safe(&e.to_string()));
            }
            true
        }
        Err(e) => {
            errln!("error: cannot read `{name}`: {e}");
            false
        }
    }
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 { "—".into() } else { format!("{:.1}%", 100.0 * n as f64 / d as f64) }
}

/// The text report: one column per policy.
fn render_text(r: &ReplayResult, tz: chrono_tz::Tz) -> String {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let figs = &r.figures;
    let col = |f: &dyn Fn(&PolicyFigures) -> String| figs.iter().map(f).collect::<Vec<_>>();
    rows.push(("policy".into(), col(&|f| f.policy.clone())));
    rows.push(("tickets".into(), col(&|f| f.tickets.to_string())));
    rows.push(("closed".into(), col(&|f| format!("{} ({})", f.closed, pct(f.closed, f.tickets)))));
    rows.push(("applied lines".into(), col(&|f| f.applied.to_string())));
    rows.push(("rejected".into(), col(&|f| f.rejected.to_string())));
    let codes: BTreeSet<&String> = figs.iter().flat_map(|f| f.rejected_by_code.keys()).collect();
    for c in codes {
        rows.push((
            format!("  {c}"),
            col(&|f| f.rejected_by_code.get(c).copied().unwrap_or(0).to_string()),
        ));
    }
    rows.push(("breaches".into(), col(&|f| f.breaches.to_string())));
    let keys: BTreeSet<(&String, &String)> = figs
        .iter()
        .flat_map(|f| f.breaches_by_stage.iter().flat_map(|(s, m)| m.keys().map(move |t| (s, t))))
        .collect();
    for (s, t) in keys {
        rows.push((
            format!("  {s} / {t}"),
            col(&|f| {
                f.breaches_by_stage.get(s).and_then(|m| m.get(t)).copied().unwrap_or(0).to_string()
            }),
        ));
    }
    rows.push(("escalations".into(), col(&|f| f.escalations.to_string())));
    let tiers: BTreeSet<&String> = figs.iter().flat_map(|f| f.escalations_to.keys()).collect();
    for t in tiers {
        rows.push((
            format!("  to {t}"),
            col(&|f| f.escalations_to.get(t).copied().unwrap_or(0).to_string()),
        ));
    }
    rows.push(("red flags".into(), col(&|f| f.flags.to_string())));
    rows.push((
        "performance marks".into(),
        col(&|f| f.marks.values().flat_map(|m| m.values()).sum::<u64>().to_string()),
    ));
    let marks: BTreeSet<(&String, &String)> = figs
        .iter()
        .flat_map(|f| f.marks.iter().flat_map(|(t, m)| m.keys().map(move |k| (t, k))))
        .collect();
    for (t, k) in marks {
        rows.push((
            format!("  {t} / {k}"),
            col(&|f| f.marks.get(t).and_then(|m| m.get(k)).copied().unwrap_or(0).to_string()),
        ));
    }
    rows.push(("on time, per stage".into(), col(&|_| String::new())));
    let stages: Vec<&String> = {
        let mut seen = Vec::new();
        for f in figs {
            for s in &f.stages {
                if !seen.contains(&&s.stage) {
                    seen.push(&s.stage);
                }
            }
        }
        seen
    };
    for s in stages {
        rows.push((
            format!("  {s}"),
            col(&|f| match f.stages.iter().find(|x| &x.stage == s) {
                Some(x) => format!(
                    "{} ({}/{}{})",
                    x.on_time_rate.map_or("—".into(), |v| format!("{:.1}%", v * 100.0)),
                    x.on_time,
                    x.on_time + x.late,
                    if x.running > 0 { format!(", {} running", x.running) } else { String::new() }
                ),
                None => "—".into(),
            }),
        ));
    }
    // Names come from the policy and ids from the ledger: shown through `safe`.
    let rows: Vec<(String, Vec<String>)> = rows
        .into_iter()
        .map(|(l, v)| (safe(&l).into_owned(), v.iter().map(|c| safe(c).into_owned()).collect()))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ledger: {} lines, {} skipped as malformed; ended {}",
        r.lines,
        r.skipped,
        r.end.map_or("—".into(), |t| timefmt::short(tz, t))
    );
    out.push('\n');
    let w0 = rows.iter().map(|(l, _)| render::width(l)).max().unwrap_or(0);
    let ncol = figs.len();
    let widths: Vec<usize> = (0..ncol)
        .map(|i| {
            rows.iter().filter_map(|(_, v)| v.get(i)).map(|v| render::width(v)).max().unwrap_or(0)
        })
        .collect();
    for (label, values) in &rows {
        let mut line = render::pad_to(label, w0);
        for (v, w) in values.iter().zip(&widths) {
            let _ = write!(line, "  {}{v}", " ".repeat(w.saturating_sub(render::width(v))));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if figs.len() > 1 {
        let _ = writeln!(out, "\ntickets whose outcome changes: {}", r.changes.len());
        for c in &r.changes {
            let (b, a) = (&c.before, &c.after);
            let mut what = Vec::new();
            if b.stage != a.stage {
                what.push(format!("stage {} → {}", safe(&b.stage), safe(&a.stage)));
            }
            if b.closed != a.closed {
                what.push(format!("closed {} → {}", yes(b.closed), yes(a.closed)));
            }
            for (name, x, y) in [
                ("breaches", b.breaches, a.breaches),
                ("escalations", b.escalations, a.escalations),
                ("marks", b.marks, a.marks),
                ("rejected", b.rejected, a.rejected),
            ] {
                if x != y {
                    what.push(format!("{name} {x} → {y}"));
                }
            }
            let _ = writeln!(out, "  {} (line {}): {}", safe(&c.ticket), c.line, what.join(", "));
            if let Some((x, y)) = &c.first_difference {
                let _ = writeln!(out, "    first difference:");
                let _ = writeln!(out, "      before: {}", show_row(x.as_ref(), tz));
                let _ = writeln!(out, "      after:  {}", show_row(y.as_ref(), tz));
            }
        }
    }
    out
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn show_row(row: Option<&TimelineRow>, tz: chrono_tz::Tz) -> String {
    match row {
        None => "(no row)".into(),
        Some(r) => format!(
            "{}  {}  {}  {}",
            timefmt::short(tz, r.at),
            r.kind,
            safe(r.stage.as_deref().unwrap_or("-")),
            safe(&r.detail)
        ),
    }
}
