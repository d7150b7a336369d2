//! `ombud calendar`: list the kinds of days of a working-day calendar, and compute deadlines on it.
//!
//! ```text
//! ombud calendar days --calendar cn-mainland --from 2026-02-01 --to 2026-02-28
//! ombud calendar add  --calendar cn-mainland --from 2026-02-13T17:30:00+08:00 --duration "3 working days"
//! ```
//!
//! Exit status: 0 on success, 1 on a bad value (date, calendar, duration, hours), 2 on a usage
//! error.

use crate::render::safe;
use chrono::{DateTime, NaiveDate, Offset, SecondsFormat, TimeZone, Utc};
use clap::{Subcommand, ValueEnum};
use ombud_engine::calendar::{BusinessHours, Calendar, HOURS_FORM, parse_date};
use ombud_engine::check::Diagnostic;
use ombud_engine::policy::{DURATION_FORMS, Duration};
use std::io::Write;
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Output format of `ombud calendar add`.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The deadline on one line; a warning on stderr when it is provisional.
    Text,
    /// `{"deadline": "...", "provisional": false}` (with `"reason"` when provisional).
    Json,
}

/// Runs `ombud calendar`.
pub fn run(args: Args) -> ExitCode {
    let result = match args.command {
        Command::Days { calendar, from, to } => days(&calendar, &from, &to),
        Command::Add { calendar, from, duration, hours, format } => {
            add(&calendar, &from, &duration, hours.as_deref(), format)
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

/// `at` in the calendar's zone as RFC 3339 (UTC at the very edges of chrono's range).
fn render_instant(cal: &Calendar, at: DateTime<Utc>) -> String {
    let offset = cal.tz().offset_from_utc_datetime(&at.naive_utc()).fix();
    match at.naive_utc().checked_add_offset(offset) {
        Some(_) => at.with_timezone(&cal.tz()).to_rfc3339_opts(SecondsFormat::AutoSi, false),
        None => at.to_rfc3339_opts(SecondsFormat::AutoSi, false),
    }
}

fn add(
    calendar: &str,
    from: &str,
    duration: &str,
    hours: Option<&str>,
    format: Format,
) -> Result<(), String> {
    let start = DateTime::parse_from_rfc3339(from.trim()).map_err(|e| {
        format!(
            "error: `--from {from}` is not an RFC 3339 instant ({e})\n  \
             = hint: e.g. `2026-02-13T17:30:00+08:00`\n"
        )
    })?;
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
    let deadline = cal.add(start.with_timezone(&Utc), duration);
    let at = render_instant(&cal, deadline.at);
    match format {
        Format::Text => {
            outln!("{at}");
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
            outln!("{v}");
        }
    }
    Ok(())
}
