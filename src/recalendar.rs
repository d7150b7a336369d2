//! `ombud recalendar`: what a calendar with more (or corrected) data does to a ledger's open
//! tickets — each provisional deadline confirmed or moved — before anyone deploys it.

use crate::ledger::load_policy;
use crate::on_calendars;
use crate::render::{self, safe};
use crate::simulate::Format;
use ombud_engine::runtime::{ClockUpdate, UpdateSummary};
use ombud_engine::{Engine, timefmt};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `ombud recalendar`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy the ledger's tickets run under.
    #[arg(long, value_name = "POLICY")]
    policy: PathBuf,
    /// The calendar file standing in for the policy's calendar (a bundled id works too). Given
    /// more than once, the last is the one previewed, and the others are the updates the
    /// ledger's `calendar` lines already name.
    #[arg(long, value_name = "FILE", required = true)]
    calendar: Vec<String>,
    /// The ledger (JSON Lines) whose open tickets to update.
    #[arg(long, value_name = "LEDGER")]
    ledger: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// What `--format json` prints.
#[derive(Serialize)]
struct Summary<'a> {
    calendar: &'a str,
    covered_until: Option<chrono::NaiveDate>,
    open_tickets: usize,
    /// Open tickets the ledger already brought onto the calendar previewed: left alone.
    already_on_it: usize,
    #[serde(flatten)]
    figures: &'a UpdateSummary,
    clocks: &'a [ClockUpdate],
}

/// Runs `ombud recalendar`: exit 0 with the summary, 1 when the policy or calendar has errors,
/// 2 when a file cannot be read.
pub fn run(args: Args) -> ExitCode {
    let Some(policy) = load_policy(&args.policy) else { return ExitCode::from(2) };
    let updates = match on_calendars::load(&args.calendar, &[&args.policy], |e| e) {
        Ok(u) => u,
        Err(code) => return code,
    };
    // `--calendar` is required: the last one given is previewed.
    let Some(updated) = updates.ids().last().and_then(|id| updates.engine(id, 0)) else {
        return ExitCode::from(2);
    };
    let engine = Engine::new(Arc::clone(&policy));
    let mut open_tickets = Vec::new();
    let read = crate::replay::open_ledger(&args.ledger).and_then(|input| {
        ombud_engine::ledger::ledger_tickets_each(&engine, &updates, input, |ticket, _, on| {
            if !ticket.is_closed() {
                open_tickets.push((ticket, on.policy().calendar().clone()));
            }
        })
    });
    if !crate::replay::report_skipped(&args.ledger, read) {
        return ExitCode::from(2);
    }
    let previous = policy.calendar();
    // A calendar that cannot stand in for the policy's (a file without `extends`, covering
    // only the added year) is refused before any ticket.
    if let Err(e) = updated.check_calendar_update(previous) {
        errln!("error: {}", safe(&e.to_string()));
        if let ombud_engine::Rejection::CalendarMismatch { hint, .. } = &e {
            errln!("  hint: {}", safe(hint));
        }
        return ExitCode::from(1);
    }
    let mut updates = Vec::new();
    let (open, mut already) = (open_tickets.len(), 0);
    for (mut ticket, previous) in open_tickets {
        if previous.id() == updated.policy().calendar().id() {
            already += 1;
            continue;
        }
        let at = ticket.clock_at();
        match updated.recalendar(&mut ticket, &previous, at) {
            Ok((_, u)) => updates.extend(u),
            Err(e) => errln!("warning: ticket `{}`: {}", safe(ticket.id()), safe(&e.to_string())),
        }
    }
    let cal = updated.policy().calendar();
    let figures = UpdateSummary::of(&updates);
    match args.format {
        Format::Json => {
            let summary = Summary {
                calendar: cal.id(),
                covered_until: cal.covered_until(),
                open_tickets: open,
                already_on_it: already,
                figures: &figures,
                clocks: &updates,
            };
            let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
            render::emit(&format!("{text}\n"));
        }
        Format::Text => {
            let tz = cal.tz();
            let f = &figures;
            let mut out = format!(
                "{open} open tickets, calendar {}: {} provisional deadlines: {} confirmed",
                safe(cal.id()),
                f.provisional,
                f.confirmed
            );
            if f.unchanged_provisional > 0 {
                out.push_str(&format!(
                    ", {} unchanged (still provisional)",
                    f.unchanged_provisional
                ));
            }
            out.push_str(&format!(", {} moved", f.moved));
            if f.moved > 0 {
                out.push_str(&format!(" ({})", f.moves));
            }
            out.push('\n');
            if already > 0 {
                out.push_str(&format!("{already} open tickets already on it, left alone\n"));
            }
            if f.corrected > 0 {
                out.push_str(&format!(
                    "{} other deadlines moved by corrected data ({})\n",
                    f.corrected, f.corrections
                ));
            }
            let still = updates.iter().filter(|u| u.provisional).count();
            if still > 0 {
                out.push_str(&format!("{still} deadlines still rest on days beyond the data\n"));
            }
            for u in updates.iter().filter(|u| u.moved()) {
                out.push_str(&format!(
                    "  {} {} `{}`: {} → {} ({:+} working day{})\n",
                    safe(&u.ticket),
                    u.kind,
                    safe(&u.name),
                    timefmt::human(tz, u.old.to_utc()),
                    timefmt::human(tz, u.new.to_utc()),
                    u.moved_working_days,
                    if u.moved_working_days.abs() == 1 { "" } else { "s" }
                ));
            }
            render::emit(&out);
        }
    }
    ExitCode::SUCCESS
}
