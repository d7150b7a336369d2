//! `ombud calendar`: list the kinds of days of a working-day calendar, compute (and explain)
//! deadlines on it, and read the State Council's holiday notice into a calendar file.
//!
//! ```text
//! ombud calendar days --calendar cn-mainland --from 2026-02-01 --to 2026-02-28
//! ombud calendar add  --calendar cn-mainland --from 2026-02-13T17:30:00+08:00 --duration "3 working days" --explain
//! ombud calendar from-notice 2027.txt --extends cn-mainland > holidays/cn-mainland-2027.yaml
//! ```
//!
//! Exit status: 0 on success, 1 on a bad value (date, calendar, duration, hours) or a notice it
//! cannot read, 2 on a usage error.

use crate::render::safe;
use chrono::{DateTime, NaiveDate, Offset, SecondsFormat, TimeZone, Utc};
use clap::{Subcommand, ValueEnum};
use ombud_engine::calendar::{BusinessHours, Calendar, HOURS_FORM, Notice, parse_date};
use ombud_engine::check::Diagnostic;
use ombud_engine::policy::{DURATION_FORMS, Duration};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `ombud calendar`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the kind of every day in a range as CSV (`date,kind`).
    Days {
        /// A bundled calendar id (`cn-mainland`, `weekdays`, …) or a path to a calendar file.
        #[arg(long, value_name = "ID|FILE")]
        calendar: String,
        /// First date, `YYYY-MM-DD`.
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Last date (inclusive), `YYYY-MM-DD`.
        #[arg(long, value_name = "DATE")]
        to: String,
    },
    /// Compute the deadline `--from` + `--duration` on a calendar.
    Add {
        /// A bundled calendar id (`cn-mainland`, `weekdays`, …) or a path to a calendar file.
        #[arg(long, value_name = "ID|FILE")]
        calendar: String,
        /// The start instant, RFC 3339 (e.g. `2026-02-13T17:30:00+08:00`).
        #[arg(long, value_name = "RFC3339")]
        from: String,
        /// The time limit, e.g. `3 working days`, `8 working hours`, `10 calendar days`, `72h`.
        #[arg(long, value_name = "DURATION")]
        duration: String,
        /// Business hours overriding the calendar's, e.g. `09:00-12:00,13:30-18:00`.
        #[arg(long, value_name = "WINDOWS")]
        hours: Option<String>,
        /// Explain how the deadline was reached: the counting rule and the days walked.
        #[arg(long)]
        explain: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Read the State Council's annual holiday notice (its Chinese text, as published) and print
    /// the calendar file that adds its year.
    FromNotice {
        /// The notice as a UTF-8 text file.
        #[arg(value_name = "NOTICE.txt")]
        notice: PathBuf,
        /// The calendar the file extends (a bundled id or a path), whose data must end on
        /// 31 December of the year before; without it, a standalone file for the year.
        #[arg(long, value_name = "ID|FILE")]
        extends: Option<String>,
        /// The new calendar's id (default: the extended calendar's id, or `cn-mainland`, and the
        /// year: `cn-mainland-2027`).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
    },
}

/// Output format of `ombud calendar add`.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The deadline on one line (with `--explain`, the explanation); a warning on stderr when
    /// it is provisional.
    Text,
    /// `{"deadline": "...", "provisional": false}` (with `"reason"` when provisional, and
    /// `"explanation"` with `--explain`).
    Json,
}

/// Runs `ombud calendar`.
pub fn run(args: Args) -> ExitCode {
    let result = match args.command {
        Command::Days { calendar, from, to } => days(&calendar, &from, &to),
        Command::Add { calendar, from, duration, hours, explain, format } => {
            add(&calendar, &from, &duration, hours.as_deref(), explain, format)
        }
        Command::FromNotice { notice, extends, id } => {
            from_notice(&notice, extends.as_deref(), id.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            err!("{message}");
            ExitCode::from(1)
        }
    }
}

/// Renders diagnostics for the terminal: `error[CODE]: message`, the place, and the hint.
fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&format!("{}\n", safe(&d.to_string())));
        match (d.file().map(safe), d.span.is_known()) {
            (Some(file), true) => {
                out.push_str(&format!("  --> {file}:{}:{}\n", d.span.line, d.span.column))
            }
            (Some(file), false) => out.push_str(&format!("  --> {file}\n")),
            _ => {}
        }
        if let Some(h) = &d.hint {
            out.push_str(&format!("  = hint: {}\n", safe(h)));
        }
    }
    out
}

fn load(reference: &str) -> Result<Arc<Calendar>, String> {
    crate::input::load_calendar(reference).map_err(|d| render(&d))
}

fn date(s: &str, flag: &str) -> Result<NaiveDate, String> {
    parse_date(s)
        .ok_or_else(|| format!("error: `{flag} {s}` is not a date\n  = hint: write `YYYY-MM-DD`\n"))
}

fn days(calendar: &str, from: &str, to: &str) -> Result<(), String> {
    let (from, to) = (date(from, "--from")?, date(to, "--to")?);
    if to < from {
        return Err(format!("error: `--to {to}` is before `--from {from}`\n"));
    }
    let cal = load(calendar)?;
    let (first, last) = cal.coverage();
    if from < first || to > last {
        errln!(
            "warning: calendar `{}` covers {first} to {last}; days outside follow the plain workweek",
            safe(cal.id())
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write = || -> std::io::Result<()> {
        writeln!(out, "date,kind")?;
        for day in from.iter_days().take_while(|d| *d <= to) {
            writeln!(out, "{day},{}", cal.day_kind(day))?;
        }
        out.flush()
    };
    if let Err(e) = write() {
        crate::out::failed(&e);
    }
    Ok(())
}

/// `at` in the calendar's zone as RFC 3339; in UTC when the zone's offset has seconds (local mean
/// time before 1901, `+08:05:43` in Shanghai, which RFC 3339 cannot write) or the local date is
/// not a four-digit year, so that the text always reads back as exactly `at`.
fn render_instant(cal: &Calendar, at: DateTime<Utc>) -> String {
    let offset = cal.tz().offset_from_utc_datetime(&at.naive_utc()).fix();
    let local = at.naive_utc().checked_add_offset(offset);
    let exact = offset.local_minus_utc() % 60 == 0
        && local.is_some_and(|l| (1..=9999).contains(&chrono::Datelike::year(&l)));
    if exact {
        at.with_timezone(&cal.tz()).to_rfc3339_opts(SecondsFormat::AutoSi, false)
    } else {
        at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
    }
}

fn add(
    calendar: &str,
    from: &str,
    duration: &str,
    hours: Option<&str>,
    explain: bool,
    format: Format,
) -> Result<(), String> {
    let start = DateTime::parse_from_rfc3339(from.trim()).map_err(|e| {
        format!(
            "error: `--from {from}` is not an RFC 3339 instant ({e})\n  \
             = hint: e.g. `2026-02-13T17:30:00+08:00`\n"
        )
    })?;
    // chrono reads second 60 as a leap second, which its arithmetic counts as `:59`.
    if chrono::Timelike::nanosecond(&start) >= 1_000_000_000 {
        return Err(format!(
            "error: `--from {from}` has second 60, a leap second, which is not an instant Ombud \
             keeps\n  = hint: write `:59`, or the next minute\n"
        ));
    }
    let duration: Duration =
        duration.parse().map_err(|e: ombud_engine::policy::DurationError| {
            format!("error: invalid duration `{duration}`: {e}\n  = hint: {DURATION_FORMS}\n")
        })?;
    let hours: Option<BusinessHours> = match hours {
        None => None,
        Some(h) => Some(h.parse().map_err(|e: ombud_engine::calendar::HoursError| {
            format!("error: invalid business hours `{h}`: {e}\n  = hint: {HOURS_FORM}\n")
        })?),
    };
    let mut cal = load(calendar)?;
    if hours.is_some() {
        cal = Arc::new(cal.with_overrides(hours, None, None));
    }
    let start = start.with_timezone(&Utc);
    let out_of_range = |e: ombud_engine::calendar::OutOfRange| format!("error: {e}\n");
    let deadline = cal.add(start, duration).map_err(out_of_range)?;
    let at = render_instant(&cal, deadline.at);
    let explanation =
        if explain { Some(cal.explain(start, duration).map_err(out_of_range)?) } else { None };
    match format {
        Format::Text => {
            match &explanation {
                Some(why) => {
                    for line in why.to_string().lines() {
                        outln!("{}", safe(line));
                    }
                }
                None => outln!("{at}"),
            }
            if let Some(p) = &deadline.provisional {
                errln!("warning: provisional deadline: {p}");
            }
        }
        Format::Json => {
            let mut v = serde_json::json!({
                "deadline": at,
                "provisional": deadline.provisional.is_some(),
            });
            if let (Some(p), Some(obj)) = (&deadline.provisional, v.as_object_mut()) {
                obj.insert("reason".into(), serde_json::Value::String(p.to_string()));
            }
            if let (Some(why), Some(obj)) = (&explanation, v.as_object_mut()) {
                let why = serde_json::to_value(why).map_err(|e| format!("error: {e}\n"))?;
                obj.insert("explanation".into(), why);
            }
            outln!("{v}");
        }
    }
    Ok(())
}

/// Reads a notice and prints the calendar file that adds its year, after checking that the file
/// loads as printed.
fn from_notice(path: &Path, extends: Option<&str>, id: Option<&str>) -> Result<(), String> {
    // A notice is a page of text: read at most 1 MiB of it, so `/dev/zero` is refused promptly.
    const CAP: u64 = 1 << 20;
    let cannot = |e: std::io::Error| format!("error: cannot read `{}`: {e}\n", path.display());
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, CAP + 1), &mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > CAP {
        return Err(format!("error: `{}` is larger than 1 MiB: not a notice\n", path.display()));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "error: `{}` is not UTF-8 text\n  = hint: save the notice as UTF-8 text, e.g. by \
             pasting it from the published page into a text editor\n",
            path.display()
        )
    })?;
    let notice = Notice::read(&path.display().to_string(), &text).map_err(|diags| {
        diags.iter().map(|d| crate::render::render_text(d, false)).collect::<String>()
    })?;
    let base = extends.map(load).transpose()?;
    let id = match (id, &base) {
        (Some(id), _) => id.to_string(),
        (None, Some(b)) => format!("{}-{}", b.id(), notice.year),
        (None, None) => format!("cn-mainland-{}", notice.year),
    };
    let with = extends.zip(base.as_deref());
    let yaml = notice.calendar_yaml(&id, with).map_err(|diags| {
        diags.iter().map(|d| crate::render::render_text(d, false)).collect::<String>()
    })?;
    // The file must load as printed (an `extends` path is resolved from the current directory).
    Calendar::from_yaml(&format!("{id}.yaml"), &yaml, None).map_err(|d| {
        format!("error: the calendar read from the notice does not load:\n{}", render(&d))
    })?;
    crate::render::emit(&yaml);
    Ok(())
}
