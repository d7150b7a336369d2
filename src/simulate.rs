//! `ombud simulate`: run one scenario and print its timeline, final state and next actions.

use crate::render::{self, safe};
use crate::scenario_files::{self, Paint, Policies, Problem};
use ombud_engine::simulate::{Explanations, simulate_explained};
use ombud_engine::timefmt;
use ombud_engine::{Engine, RowKind, Timeline, simulate};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table in the calendar's zone.
    #[default]
    Text,
    /// JSON with RFC 3339 instants.
    Json,
}

/// Arguments of `ombud simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Follow each row that sets a deadline (or breaches) with the derivation of its clock.
    #[arg(long)]
    explain: bool,
    /// Run under this policy instead of the scenario's `policy:`.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    scenario: PathBuf,
}

/// Runs `ombud simulate`: exit 0 with the timeline, 1 when the scenario or its policy has
/// errors, 2 when a file cannot be read.
pub fn run(args: Args) -> ExitCode {
    match run_scenario(&args.scenario, args.policy.as_deref(), args.explain) {
        Ok((tl, why, title)) => {
            match args.format {
                Format::Json => {
                    let view = match &why {
                        Some(why) => tl.view_explained(why),
                        None => tl.view(),
                    };
                    let text = serde_json::to_string_pretty(&view).unwrap_or_default();
                    crate::render::emit(&format!("{text}\n"));
                }
                Format::Text => {
                    let colour = scenario_files::use_colour();
                    let text = render_text(&tl, title.as_deref(), colour, why.as_ref());
                    crate::render::emit(&text);
                }
            }
            ExitCode::SUCCESS
        }
        // With `--format json`, diagnostics follow the JSON contract on stdout, like `ombud lint`.
        Err(Problem::Diagnostics(diags)) if args.format == Format::Json => {
            crate::render::emit(&format!("{}\n", crate::render::render_json(&diags)));
            ExitCode::from(1)
        }
        Err(p) => {
            if scenario_files::report(&p) {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// A scenario's timeline, its clocks' explanations (when asked for) and its title.
pub type Run = (Timeline, Option<Explanations>, Option<String>);

/// Runs the scenario at `path` (under `policy` instead of its own, if given), after checking it
/// against its policy; with `explain`, explains its clocks too.
pub fn run_scenario(path: &Path, policy: Option<&Path>, explain: bool) -> Result<Run, Problem> {
    let mut policies = Policies::default();
    let scenario = scenario_files::read_scenario_for(path, policy, &mut policies)?;
    let policy_path = scenario_files::policy_path(&scenario, path, policy)?;
    let policy = policies.load(&policy_path)?;
    let engine = Engine::new(policy);
    scenario_files::check_against(&scenario, &engine)?;
    let (timeline, why) = if explain {
        simulate_explained(&engine, &scenario).map(|(t, why)| (t, Some(why)))?
    } else {
        (simulate(&engine, &scenario)?, None)
    };
    Ok((timeline, why, scenario.title))
}

fn kind_colour(kind: RowKind) -> &'static str {
    match kind {
        RowKind::Breach | RowKind::Rejected => "1;31",
        RowKind::Escalate | RowKind::Reassign => "33",
        RowKind::Flag => "35",
        RowKind::Deadline => "36",
        RowKind::Closed => "32",
        _ => "0",
    }
}

/// The timeline as an aligned table, then the final state and next actions; with `why`, each row
/// that sets a deadline (or breaches) is followed by the explanation of its clock.
pub fn render_text(
    tl: &Timeline,
    title: Option<&str>,
    colour: bool,
    why: Option<&Explanations>,
) -> String {
    let paint = Paint::new(colour);
    let tz = tl.tz;
    let mut out = String::new();
    if let Some(t) = title {
        out.push_str(&paint.paint("1", &safe(t)));
        out.push('\n');
    }
    out.push_str(&format!(
        "policy {} · times in {} · clock run until {}\n\n",
        safe(&tl.policy),
        tz.name(),
        timefmt::human(tz, tl.until)
    ));
    let header = ["AT", "KIND", "STAGE", "TIER", "DETAIL"];
    let cells: Vec<[String; 5]> = tl
        .rows
        .iter()
        .map(|r| {
            let mark = if r.provisional { "*" } else { "" };
            [
                timefmt::human(tz, r.at),
                format!("{}{mark}", r.kind),
                safe(r.stage.as_deref().unwrap_or_default()).into_owned(),
                safe(r.tier.as_deref().unwrap_or_default()).into_owned(),
                safe(&r.detail).into_owned(),
            ]
        })
        .collect();
    let mut width = header.map(render::width);
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(render::width(c));
        }
    }
    let line = |cols: [&str; 5]| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cols.iter().zip(width).enumerate() {
            if i == 4 {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(w.saturating_sub(render::width(c)) + 2));
            }
        }
        s.trim_end().to_string()
    };
    out.push_str(&paint.paint("1", &line(header)));
    out.push('\n');
    for (i, (row, c)) in tl.rows.iter().zip(&cells).enumerate() {
        let text = line([&c[0], &c[1], &c[2], &c[3], &c[4]]);
        let code = kind_colour(row.kind);
        out.push_str(&if code == "0" { text } else { paint.paint(code, &text) });
        out.push('\n');
        if let Some(why) = why.and_then(|w| w.row(i)) {
            let mut text = String::new();
            let _ = why.write_text(&mut text, "    ");
            for l in text.lines() {
                out.push_str(&safe(l));
                out.push('\n');
            }
        }
    }
    if tl.has_provisional() {
        out.push_str(&format!(
            "\n* provisional: the instant rests on days after {}, the last date the calendar's \
             data covers; those days were counted on the plain workweek\n",
            tl.covered_until
        ));
    }
    if !tl.condition_errors.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            paint.paint("1", "Conditions that could not be evaluated (each counted as false)")
        ));
        for c in &tl.condition_errors {
            let text = format!(
                "  {}  `{}`: {}",
                timefmt::human(tz, c.at),
                safe(&c.condition),
                safe(&c.message)
            );
            out.push_str(&paint.paint("33", &text));
            out.push('\n');
        }
    }
    let f = &tl.final_state;
    out.push_str(&format!("\n{}\n", paint.paint("1", "Final state")));
    let state = if f.closed {
        format!("closed at {}", f.closed_at.map(|t| timefmt::human(tz, t)).unwrap_or_default())
    } else {
        "open".to_string()
    };
    let assignee =
        f.assignee.as_deref().map(|a| format!("  assignee {}", safe(a))).unwrap_or_default();
    out.push_str(&format!(
        "  stage {}  tier {}{assignee}  {state}{}\n",
        safe(&f.stage),
        safe(f.tier.as_deref().unwrap_or("-")),
        if f.flagged { "  flagged red" } else { "" }
    ));
    out.push_str(&format!(
        "  breaches {}  escalations {}  flags {}  rejected events {}\n",
        f.breaches,
        f.escalations,
        f.flags,
        tl.rejected.len()
    ));
    if !f.marks.is_empty() {
        let against: Vec<String> = f
            .marks
            .iter()
            .zip(&f.mark_assignees)
            .map(|(tier, person)| match person {
                Some(p) => format!("{} ({})", safe(tier), safe(p)),
                None => safe(tier).into_owned(),
            })
            .collect();
        out.push_str(&format!("  performance marks against {}\n", against.join(", ")));
    }
    let n = &tl.next;
    if !f.closed {
        out.push_str(&format!("\n{}\n", paint.paint("1", "Next actions")));
        for e in &n.events {
            let to = e.to.as_deref().map(|t| format!(" → {}", safe(t))).unwrap_or_default();
            let by = e.by.as_deref().map(|b| format!("  by {}", safe(b))).unwrap_or_default();
            let blocked = if e.blocked_by.is_empty() {
                String::new()
            } else {
                format!("  (blocked: {})", safe(&e.blocked_by.join("; ")))
            };
            out.push_str(&format!("  {}{to}{by}{blocked}\n", safe(&e.event)));
        }
        for c in &n.clocks {
            let mut state = Vec::new();
            if c.paused {
                state.push("paused".to_string());
            }
            if c.overdue {
                state.push("OVERDUE".to_string());
            }
            if c.provisional {
                state.push("provisional*".to_string());
            }
            out.push_str(&format!(
                "  clock {} {}: {} due {} ({:.0}% used){}{}\n",
                c.kind,
                safe(&c.name),
                c.budget,
                timefmt::human(tz, c.deadline),
                c.used * 100.0,
                c.tier.as_deref().map(|t| format!(", {}", safe(t))).unwrap_or_default(),
                if state.is_empty() { String::new() } else { format!(", {}", state.join(", ")) }
            ));
        }
        if let Some(w) = n.next_wakeup {
            out.push_str(&format!("  next wake-up {}\n", timefmt::human(tz, w)));
        }
    }
    out
}
