//! `ombud report`: a period report on a ledger, as text, JSON, CSV or one self-contained HTML
//! page with hand-written SVG charts.

use crate::ledger::load_policy;
use crate::render::{self, safe};
use crate::replay::{OnErrorArg, open_ledger};
use ombud_engine::ledger::{Count, Period, ReplayOptions, Report, ReportOptions, replay_report};
use ombud_engine::timefmt;
use ombud_engine::{Duration, Engine};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables.
    Text,
    /// One JSON document.
    Json,
    /// `section,key,value` rows.
    Csv,
    /// One self-contained page with SVG charts.
    Html,
}

/// Arguments of `ombud report`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy the ledger is replayed under.
    #[arg(long)]
    policy: PathBuf,
    /// The ledger (JSON Lines; `-` for stdin).
    #[arg(long)]
    ledger: PathBuf,
    /// A quarter (`2026-Q3`) or a month (`2026-09`); tickets belong to it by opening time.
    #[arg(long)]
    period: Period,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Seed of the callback sample.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Window of the repeat-complaint rate (`30d` = 30 calendar days, or `72h`, `10 calendar days`).
    #[arg(long, default_value = "30d")]
    repeat_window: String,
    /// What a malformed line does.
    #[arg(long, value_enum, default_value_t = OnErrorArg::Skip)]
    on_error: OnErrorArg,
    /// Worker threads (default: the number of cores; at most 4 per core).
    #[arg(long, value_parser = crate::replay::parse_threads)]
    threads: Option<usize>,
    #[command(flatten)]
    calendars: crate::on_calendars::CalendarArgs,
}

/// Runs `ombud report`.
pub fn run(args: Args) -> ExitCode {
    let Some(window) = window_secs(&args.repeat_window) else {
        errln!(
            "error: `--repeat-window {}`: write e.g. `30d`, `72h` or `10 calendar days`",
            args.repeat_window
        );
        return ExitCode::from(2);
    };
    let Some(policy) = load_policy(&args.policy) else { return ExitCode::from(2) };
    // Reports count rows and never print their text. A calendar update reads a clock's pauses
    // from the history: with `--calendar`, it is kept.
    let lean = args.calendars.calendars.is_empty();
    let prepare = |e: Engine| if lean { e.without_history() } else { e }.without_row_text();
    let engine = prepare(Engine::new(policy.clone()));
    let calendars =
        match crate::on_calendars::load(&args.calendars.calendars, &[&args.policy], prepare) {
            Ok(c) => c,
            Err(code) => return code,
        };
    let options = ReplayOptions {
        threads: crate::replay::threads(args.threads),
        on_error: args.on_error.into(),
        keep_tickets: false,
        calendars: Some(&calendars),
    };
    let report_options = ReportOptions {
        period: args.period,
        seed: args.seed,
        repeat_window_secs: window,
        repeat_window: args.repeat_window.clone(),
    };
    // Each ticket is folded into the report as it finishes: memory follows the open tickets.
    let result = match open_ledger(&args.ledger) {
        Ok(input) => replay_report(&engine, input, &options, &report_options),
        Err(e) => {
            errln!("error: cannot open `{}`: {e}", args.ledger.display());
            return ExitCode::from(2);
        }
    };
    let (result, report) = match result {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {}: {}", safe(&args.ledger.display().to_string()), safe(&e.to_string()));
            return ExitCode::from(1);
        }
    };
    for e in &result.errors {
        errln!(
            "warning: {}: skipped {}",
            safe(&args.ledger.display().to_string()),
            safe(&e.to_string())
        );
    }
    errln!("{} malformed lines skipped", result.skipped);
    let tz = policy.calendar().tz();
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Text => text(&report, tz),
        Format::Csv => csv(&report),
        Format::Html => html(&report, tz),
    };
    out!("{out}");
    ExitCode::SUCCESS
}

/// The repeat window in seconds: `Nd` is N calendar days of 24 h; otherwise a wall-clock or
/// calendar-day duration of the policy language.
fn window_secs(s: &str) -> Option<i64> {
    if let Some(n) =
        s.strip_suffix('d').filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return n.parse::<i64>().ok().map(|n| n * 86_400);
    }
    match s.parse::<Duration>().ok()? {
        Duration::Wall { seconds } => Some(seconds),
        Duration::CalendarDays(n) => Some(i64::from(n) * 86_400),
        _ => None,
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn hours(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.1}"))
}

/// Aligned columns; the first is left-aligned, the others right-aligned. Cells are shown
/// through `safe` (a name from the policy or the ledger cannot steer the terminal).
fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> =
        rows.iter().map(|r| r.iter().map(|c| safe(c).into_owned()).collect()).collect();
    let rows = rows.as_slice();
    let ncol = head.len();
    let mut w: Vec<usize> = head.iter().map(|h| render::width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(ncol) {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(render::width(c));
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from("  ");
        for (i, (c, width)) in cells.iter().zip(&w).enumerate() {
            let pad = width.saturating_sub(render::width(c));
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(head.to_vec()));
    for r in rows {
        let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
    }
}

fn count_rows(c: &[Count]) -> Vec<Vec<String>> {
    c.iter()
        .map(|c| vec![c.key.clone(), c.count.to_string(), format!("{:.1}%", c.share * 100.0)])
        .collect()
}

// Each table's rows are built once and rendered by both the text and the HTML report.

const STAGE_HEAD: [&str; 7] = ["stage", "visits", "on time", "rate", "timed", "mean h", "p90 h"];
const STRATA_HEAD: [&str; 3] = ["category", "closed", "sampled"];
const CALLBACK_HEAD: [&str; 4] = ["ticket", "category", "complainant", "closed"];

fn problem_rows(r: &Report) -> Vec<Vec<String>> {
    r.frequent_problems
        .iter()
        .map(|p| {
            let keyword = p.keyword.clone().unwrap_or_else(|| "—".into());
            vec![p.category.clone(), keyword, p.count.to_string()]
        })
        .collect()
}

fn stage_rows(r: &Report) -> Vec<Vec<String>> {
    r.stages
        .iter()
        .map(|s| {
            vec![
                s.stage.clone(),
                s.visits.to_string(),
                format!("{}/{}", s.on_time, s.on_time + s.late),
                pct(s.on_time_rate),
                s.completed.to_string(),
                hours(s.mean_hours),
                hours(s.p90_hours),
            ]
        })
        .collect()
}

fn histogram_rows(r: &Report) -> Vec<Vec<String>> {
    r.handling_distribution.iter().map(|b| vec![b.label.clone(), b.count.to_string()]).collect()
}

fn strata_rows(r: &Report) -> Vec<Vec<String>> {
    r.callback_strata
        .iter()
        .map(|s| vec![s.category.clone(), s.closed.to_string(), s.sampled.to_string()])
        .collect()
}

fn callback_rows(r: &Report, tz: chrono_tz::Tz) -> Vec<Vec<String>> {
    r.callback
        .iter()
        .map(|c| {
            vec![
                c.ticket.clone(),
                c.category.clone(),
                c.complainant.clone().unwrap_or_else(|| "—".into()),
                timefmt::short(tz, c.closed_at),
            ]
        })
        .collect()
}

fn text(r: &Report, tz: chrono_tz::Tz) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Complaint report {} ({} to {}, {}) — policy {}",
        r.period,
        r.period.first,
        r.period.after.pred_opt().unwrap_or(r.period.after),
        safe(&r.timezone),
        safe(&r.policy)
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "tickets opened      {}", r.tickets);
    let _ = writeln!(o, "closed              {} ({} completion)", r.closed, pct(r.completion_rate));
    let _ =
        writeln!(o, "closed on time      {} ({} of closed)", r.closed_on_time, pct(r.on_time_rate));
    let _ = writeln!(o, "deadlines missed    {}", r.breaches);
    let _ = writeln!(o, "cross-department    {}", r.cross_department);
    let _ = writeln!(
        o,
        "repeat complaints   {} of {} with a known complainant ({}, window {})",
        r.repeats.repeats,
        r.repeats.with_complainant,
        pct(r.repeats.rate),
        safe(&r.repeats.window)
    );
    for (title, c) in [
        ("By category", &r.by_category),
        ("By channel", &r.by_channel),
        ("By severity", &r.by_severity),
        ("By department", &r.by_department),
    ] {
        let _ = writeln!(o, "\n{title}");
        table(&mut o, &["", "tickets", "share"], &count_rows(c));
    }
    let _ = writeln!(o, "\nMost frequent problems");
    let rows = problem_rows(r);
    table(&mut o, &["category", "keyword", "tickets"], &rows);
    let _ = writeln!(o, "\nStages (handling time in working hours)");
    table(&mut o, &STAGE_HEAD, &stage_rows(r));
    let _ = writeln!(
        o,
        "\nTotal handling time of closed tickets: mean {} h, p90 {} h (working hours)",
        hours(r.mean_total_hours),
        hours(r.p90_total_hours)
    );
    let rows = histogram_rows(r);
    table(&mut o, &["working hours", "tickets"], &rows);
    let _ = writeln!(o, "\nEscalations by tier");
    table(&mut o, &["tier", "escalations", "share"], &count_rows(&r.escalations_by_tier));
    let _ = writeln!(o, "\nPerformance marks by tier");
    table(&mut o, &["tier", "marks", "share"], &count_rows(&r.marks_by_tier));
    if !r.marks_by_assignee.is_empty() {
        let _ = writeln!(o, "\nPerformance marks by person");
        table(&mut o, &["assignee", "marks", "share"], &count_rows(&r.marks_by_assignee));
    }
    let _ = writeln!(
        o,
        "\nCallback sample (seed {}, 20% of closed tickets per category)",
        r.callback_seed
    );
    table(&mut o, &STRATA_HEAD, &strata_rows(r));
    let _ = writeln!(o);
    table(&mut o, &CALLBACK_HEAD, &callback_rows(r, tz));
    o
}

/// One CSV cell, safe to open in a spreadsheet. A cell that starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return would be read as a formula, so it gets a `'` in front — unless it
/// is a plain decimal number (`-12`, `-0.25`), which a spreadsheet reads as the number it is.
/// A cell with a comma, a quote or a line break is quoted (RFC 4180).
fn csv_field(s: &str) -> String {
    let cell = match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(s) => format!("'{s}"),
        _ => s.to_string(),
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// `-`, digits, and at most one `.` between digits: `-12`, `-0.25`, `3`.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn csv(r: &Report) -> String {
    let mut o = String::from("section,key,value\n");
    let mut row = |section: &str, key: &str, value: String| {
        let _ = writeln!(o, "{},{},{}", csv_field(section), csv_field(key), csv_field(&value));
    };
    let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    row("period", &r.period.label, format!("{}..{}", r.period.first, r.period.after));
    row("totals", "tickets", r.tickets.to_string());
    row("totals", "closed", r.closed.to_string());
    row("totals", "completion_rate", f(r.completion_rate));
    row("totals", "closed_on_time", r.closed_on_time.to_string());
    row("totals", "on_time_rate", f(r.on_time_rate));
    row("totals", "breaches", r.breaches.to_string());
    row("totals", "cross_department", r.cross_department.to_string());
    row("repeats", "with_complainant", r.repeats.with_complainant.to_string());
    row("repeats", "repeats", r.repeats.repeats.to_string());
    row("repeats", "rate", f(r.repeats.rate));
    for (section, counts) in [
        ("category", &r.by_category),
        ("channel", &r.by_channel),
        ("severity", &r.by_severity),
        ("department", &r.by_department),
        ("escalations_to", &r.escalations_by_tier),
        ("marks", &r.marks_by_tier),
        ("marks_by_assignee", &r.marks_by_assignee),
    ] {
        for c in counts {
            row(section, &c.key, c.count.to_string());
        }
    }
    for p in &r.frequent_problems {
        let key = format!("{}/{}", p.category, p.keyword.as_deref().unwrap_or(""));
        row("problem", &key, p.count.to_string());
    }
    for s in &r.stages {
        row("stage_on_time_rate", &s.stage, f(s.on_time_rate));
        row("stage_mean_hours", &s.stage, f(s.mean_hours));
        row("stage_p90_hours", &s.stage, f(s.p90_hours));
    }
    for b in &r.handling_distribution {
        row("handling_hours", &b.label, b.count.to_string());
    }
    for c in &r.callback {
        row("callback", &c.ticket, c.category.clone());
    }
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const PALETTE: [&str; 8] =
    ["#2f6db5", "#e07b39", "#3a9e6a", "#c4454d", "#8a63b8", "#8c6d4f", "#d46aa8", "#6f7780"];

/// Horizontal bars: label, value, text shown after the bar; `max` is the full width's value.
fn hbars(items: &[(String, f64, String)], max: f64, title: &str) -> String {
    let longest = items.iter().map(|(l, _, _)| l.chars().count()).max().unwrap_or(0);
    let (lw, bw, rh) = ((longest as f64 * 7.5 + 16.0).max(80.0), 280.0, 26.0);
    let h = rh * items.len() as f64 + 20.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">"#,
        w = lw + bw + 150.0,
        t = esc(title)
    );
    for (i, (label, v, text)) in items.iter().enumerate() {
        let y = 10.0 + rh * i as f64;
        let len = if max > 0.0 { (v / max).clamp(0.0, 1.0) * bw } else { 0.0 };
        let color = PALETTE[i % PALETTE.len()];
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="13">{l}</text><rect x="{lw}" y="{y}" width="{len:.1}" height="{bh}" fill="{color}" rx="2"/><text x="{tx:.1}" y="{ty}" font-size="12" fill="#333">{t}</text>"##,
            lx = lw - 8.0,
            ty = y + 15.0,
            l = esc(label),
            bh = rh - 8.0,
            tx = lw + len + 6.0,
            t = esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars with labels under them.
fn vbars(items: &[(String, f64)], title: &str) -> String {
    let (w, ch, bw, gap) = (520.0, 200.0, 52.0, 18.0);
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">"#,
        h = ch + 50.0,
        t = esc(title)
    );
    let _ = write!(
        s,
        r##"<line x1="20" y1="{y}" x2="{x2}" y2="{y}" stroke="#999"/>"##,
        y = ch + 10.0,
        x2 = w - 10.0
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let x = 30.0 + (bw + gap) * i as f64;
        let bh = if max > 0.0 { v / max * (ch - 20.0) } else { 0.0 };
        let y = ch + 10.0 - bh;
        let _ = write!(
            s,
            r##"<rect x="{x}" y="{y:.1}" width="{bw}" height="{bh:.1}" fill="#2f6db5" rx="2"/><text x="{cx}" y="{vy:.1}" text-anchor="middle" font-size="12">{v}</text><text x="{cx}" y="{ly}" text-anchor="middle" font-size="11">{l}</text>"##,
            cx = x + bw / 2.0,
            vy = y - 4.0,
            ly = ch + 28.0,
            l = esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

fn html_table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", esc(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

fn html(r: &Report, tz: chrono_tz::Tz) -> String {
    let mut o = String::new();
    let title = format!("Complaint report {}", r.period);
    let _ = write!(
        o,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",sans-serif;margin:24px 32px;color:#222;max-width:1200px}}
h1{{font-size:24px;margin:0 0 4px}} h2{{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}}
.sub{{color:#666;margin-bottom:16px}}
.kpis{{display:flex;gap:14px;flex-wrap:wrap}} .kpi{{background:#f3f6fa;border-radius:6px;padding:10px 16px;min-width:140px}}
.kpi b{{display:block;font-size:22px}} .kpi span{{color:#555;font-size:13px}}
.row{{display:grid;grid-template-columns:minmax(0,620px) minmax(0,1fr);gap:24px;align-items:start}}
table{{border-collapse:collapse;font-size:13px}} th,td{{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}}
th:first-child,td:first-child{{text-align:left}} th{{background:#f3f6fa}}
</style></head><body>
<h1>{t}</h1><div class="sub">{first} to {last} ({tz}) · policy {p} · tickets belong to the period by their opening time</div>
"#,
        t = esc(&title),
        first = r.period.first,
        last = r.period.after.pred_opt().unwrap_or(r.period.after),
        tz = esc(&r.timezone),
        p = esc(&r.policy)
    );
    o.push_str(r#"<div class="kpis">"#);
    for (v, l) in [
        (r.tickets.to_string(), "tickets opened".to_string()),
        (pct(r.completion_rate), format!("completion ({} closed)", r.closed)),
        (pct(r.on_time_rate), "closed without a missed deadline".to_string()),
        (
            hours(r.mean_total_hours),
            format!("mean working hours (p90 {})", hours(r.p90_total_hours)),
        ),
        (pct(r.repeats.rate), format!("repeat complaints ({} window)", r.repeats.window)),
        (r.breaches.to_string(), "deadlines missed".to_string()),
    ] {
        let _ = write!(o, r#"<div class="kpi"><b>{}</b><span>{}</span></div>"#, esc(&v), esc(&l));
    }
    o.push_str("</div>");

    let bars = |c: &[Count]| -> Vec<(String, f64, String)> {
        c.iter()
            .map(|c| {
                (c.key.clone(), c.count as f64, format!("{} ({:.0}%)", c.count, c.share * 100.0))
            })
            .collect()
    };
    let max_of = |c: &[Count]| c.iter().map(|c| c.count as f64).fold(0.0, f64::max);
    o.push_str("<h2>Type distribution</h2>");
    for (name, c) in [
        ("Category", &r.by_category),
        ("Channel", &r.by_channel),
        ("Severity", &r.by_severity),
        ("Department", &r.by_department),
    ] {
        let _ = write!(
            o,
            r#"<div class="row"><div><h3>{n}</h3>{svg}</div><div><h3>&nbsp;</h3>{t}</div></div>"#,
            n = name,
            svg = hbars(&bars(c), max_of(c), name),
            t = html_table(&[name, "tickets", "share"], &count_rows(c))
        );
    }
    let _ = write!(
        o,
        "<p>{} tickets involved more than one department (joint handling).</p>",
        r.cross_department
    );

    o.push_str("<h2>Most frequent problems</h2>");
    let rows = problem_rows(r);
    o.push_str(&html_table(&["category", "matched keyword", "tickets"], &rows));

    o.push_str("<h2>On time per stage</h2>");
    let items: Vec<(String, f64, String)> = r
        .stages
        .iter()
        .map(|s| {
            (
                s.stage.clone(),
                s.on_time_rate.unwrap_or(0.0) * 100.0,
                format!("{} ({}/{})", pct(s.on_time_rate), s.on_time, s.on_time + s.late),
            )
        })
        .collect();
    let _ = write!(
        o,
        r#"<div class="row"><div>{}</div><div>{}</div></div>"#,
        hbars(&items, 100.0, "On-time rate per stage"),
        html_table(&STAGE_HEAD, &stage_rows(r))
    );

    o.push_str("<h2>Handling time of closed tickets (working hours)</h2>");
    let items: Vec<(String, f64)> =
        r.handling_distribution.iter().map(|b| (b.label.clone(), b.count as f64)).collect();
    let rows = histogram_rows(r);
    let _ = write!(
        o,
        r#"<div class="row"><div>{}</div><div>{}<p>mean {} h · p90 {} h</p></div></div>"#,
        vbars(&items, "Handling-time distribution"),
        html_table(&["working hours", "tickets"], &rows),
        hours(r.mean_total_hours),
        hours(r.p90_total_hours)
    );

    o.push_str("<h2>Escalations and performance marks by tier</h2>");
    let _ = write!(
        o,
        r#"<div class="row"><div>{}</div><div>{}</div></div>"#,
        html_table(&["tier", "escalations", "share"], &count_rows(&r.escalations_by_tier)),
        html_table(&["tier", "performance marks", "share"], &count_rows(&r.marks_by_tier))
    );
    if !r.marks_by_assignee.is_empty() {
        o.push_str("<h2>Performance marks by person</h2>");
        o.push_str(&html_table(
            &["assignee", "performance marks", "share"],
            &count_rows(&r.marks_by_assignee),
        ));
    }

    let _ = write!(
        o,
        "<h2>Callback sample</h2><p>20% of closed tickets per category, seed {}.</p>",
        r.callback_seed
    );
    let _ = write!(
        o,
        r#"<div class="row"><div>{}</div><div>{}</div></div>"#,
        html_table(&STRATA_HEAD, &strata_rows(r)),
        html_table(&CALLBACK_HEAD, &callback_rows(r, tz))
    );
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "\"'\r=1\""),
            ("-12", "-12"),
            ("-0.25", "-0.25"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("fees", "fees"),
            ("a,b", "\"a,b\""),
        ] {
            assert_eq!(csv_field(cell), written, "{cell:?}");
        }
    }
}
