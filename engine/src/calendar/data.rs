//! The calendar file format: walking the spanned YAML tree of [`crate::yaml`] by hand into a
//! checked [`Calendar`], collecting every mistake as a located [`Diagnostic`] (codes
//! E0500–E0517, see `docs/calendars.md`). Walking by hand (instead of deriving `Deserialize`)
//! is what lets the loader report *every* mistake with a line and column.

use super::hours::{BusinessHours, HOURS_FORM};
use super::text::{CUTOFF_FORM, DATE_FORM, parse_cutoff, parse_date, parse_time_zone};
use super::{Calendar, CalendarSource, DayKind, DayNote, Definition, day_index};
use crate::check::DiagnosticCode;
use crate::check::{Diagnostic, Source, Span, did_you_mean};
use crate::yaml::{Document, Node, NodeKind, parse_tree, value_span};
use chrono::{Datelike, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// How deep `extends:` chains may go (also stops cycles).
const MAX_EXTENDS_DEPTH: usize = 8;
/// The longest covered range, in days (about 200 years).
const MAX_COVERED_DAYS: i64 = 73_000;

pub(super) const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "timezone",
    "workweek",
    "covers",
    "hours",
    "cutoff",
    "holidays",
    "makeup_workdays",
    "closures",
    "extra_workdays",
    "sources",
    "extends",
];
/// Keys a file that `extends` another may not set: they belong to the public calendar. (It may
/// set `covers`, `holidays` and `makeup_workdays` to add days after the base's data ends.)
const BASE_ONLY_KEYS: &[&str] = &["timezone", "workweek"];
pub(super) const PERIOD_KEYS: &[&str] = &["name", "name_local", "date", "from", "to"];
pub(super) const MAKEUP_KEYS: &[&str] = &["date", "for"];
pub(super) const EXTRA_KEYS: &[&str] = &["date", "name"];
pub(super) const SOURCE_KEYS: &[&str] = &["year", "title", "published", "url"];
pub(super) const COVERS_KEYS: &[&str] = &["from", "to"];
pub(super) const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A named, dated period (holiday or closure).
#[derive(Debug, Clone)]
struct Period {
    name: String,
    name_local: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    span: Span,
}

/// A single dated day with a label and its place.
#[derive(Debug, Clone)]
struct Day {
    date: NaiveDate,
    label: Option<(String, Span)>,
    span: Span,
}

/// The diagnostics collector for one file.
struct Ctx {
    source: Arc<Source>,
    diags: Vec<Diagnostic>,
}

impl Ctx {
    fn span(&self, n: &Node) -> Span {
        n.span
    }

    /// The text of a scalar node. The calendar format reads every scalar as text (dates, hours,
    /// years), so numbers and booleans are taken as written in the source.
    fn scalar<'n>(&self, n: &'n Node) -> Option<Cow<'n, str>> {
        let fallback = match &n.kind {
            NodeKind::Str(s) => return Some(Cow::Borrowed(s)),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => f.to_string(),
            NodeKind::Null | NodeKind::Seq(_) | NodeKind::Map(_) => return None,
        };
        let written = self
            .source
            .text
            .get(n.span.offset..n.span.offset.saturating_add(n.span.len))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        Some(Cow::Owned(written.map_or(fallback, str::to_string)))
    }

    fn push(&mut self, code: DiagnosticCode, msg: String, span: Span, hint: Option<String>) {
        let mut d = Diagnostic::error(code, msg).with_span(span).with_source(&self.source);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.diags.push(d);
    }

    fn err(&mut self, code: DiagnosticCode, msg: String, n: &Node, hint: Option<String>) {
        let span = self.span(n);
        self.push(code, msg, span, hint);
    }

    /// The entries of a mapping, reporting unknown keys (E0505) and wrong shapes (E0514).
    fn map<'n>(
        &mut self,
        n: &'n Node,
        what: &str,
        allowed: &[&'static str],
    ) -> Option<Vec<(&'static str, &'n Node, &'n Node)>> {
        let NodeKind::Map(entries) = &n.kind else {
            self.err(
                DiagnosticCode::E0514,
                format!("{what} must be a mapping, found {}", shape(n)),
                n,
                Some(format!("expected keys: {}", backticked(allowed))),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in entries {
            let Some(written) = self.scalar(k) else {
                self.err(
                    DiagnosticCode::E0514,
                    format!("keys of {what} must be plain words"),
                    k,
                    None,
                );
                continue;
            };
            let Some(&key) = allowed.iter().find(|a| **a == written) else {
                let key = written.as_ref();
                let hint = match did_you_mean(key, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("{what} takes: {}", backticked(allowed)),
                };
                self.err(
                    DiagnosticCode::E0505,
                    format!("unknown key `{key}` in {what}"),
                    k,
                    Some(hint),
                );
                continue;
            };
            if seen.contains(&key) {
                self.err(
                    DiagnosticCode::E0505,
                    format!("key `{key}` appears twice in {what}"),
                    k,
                    None,
                );
                continue;
            }
            seen.push(key);
            out.push((key, k, v));
        }
        Some(out)
    }

    fn seq<'n>(&mut self, n: &'n Node, what: &str) -> &'n [Node] {
        match &n.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Null => &[],
            _ => {
                self.err(
                    DiagnosticCode::E0514,
                    format!("`{what}` must be a list, found {}", shape(n)),
                    n,
                    None,
                );
                &[]
            }
        }
    }

    fn text(&mut self, n: &Node, what: &str) -> Option<String> {
        match self.scalar(n) {
            Some(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => {
                self.err(
                    DiagnosticCode::E0514,
                    format!("`{what}` must be a non-empty text"),
                    n,
                    None,
                );
                None
            }
        }
    }

    fn date(&mut self, n: &Node, what: &str) -> Option<NaiveDate> {
        let Some(s) = self.scalar(n) else {
            self.err(
                DiagnosticCode::E0506,
                format!("`{what}` must be a date"),
                n,
                Some(DATE_FORM.into()),
            );
            return None;
        };
        let date = parse_date(&s);
        if date.is_none() {
            self.err(
                DiagnosticCode::E0506,
                format!("`{s}` is not a date"),
                n,
                Some(DATE_FORM.into()),
            );
        }
        date
    }
}

/// A short name of a node's shape, for messages.
fn shape(n: &Node) -> &'static str {
    match n.kind {
        NodeKind::Null => "nothing",
        NodeKind::Seq(_) => "a list",
        NodeKind::Map(_) => "a mapping",
        NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Str(_) => {
            "a single value"
        }
    }
}

fn backticked(keys: &[&str]) -> String {
    keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

fn find<'n>(entries: &[(&str, &'n Node, &'n Node)], key: &str) -> Option<&'n Node> {
    entries.iter().find(|e| e.0 == key).map(|e| e.2)
}

/// Whether `text` reads as a calendar file: a YAML mapping with a top-level `covers`, `holidays`
/// or `extends` key and no `policy` key.
pub(crate) fn is_calendar_text(text: &str) -> bool {
    let has: Box<dyn Fn(&str) -> bool> = match parse_tree(text, Document::Calendar) {
        Ok(root) => {
            let NodeKind::Map(entries) = root.kind else { return false };
            Box::new(move |key| entries.iter().any(|(k, _)| k.kind == NodeKind::Str(key.into())))
        }
        // Not valid YAML: judge by the top-level keys as written, so a calendar file with a
        // syntax error gets the calendar's diagnostic code (E0500), not a policy's.
        Err(_) => Box::new(|key| {
            text.lines().any(|l| l.strip_prefix(key).is_some_and(|rest| rest.starts_with(':')))
        }),
    };
    !has("policy") && ["covers", "holidays", "extends"].into_iter().any(has)
}

/// Loads a calendar from `text` (named `name` in diagnostics), resolving `extends:` against
/// `base_dir`; `depth` counts the `extends` chain so far.
pub(crate) fn load(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
    depth: usize,
) -> Result<Calendar, Vec<Diagnostic>> {
    load_unsorted(name, text, base_dir, depth).map_err(|mut diags| {
        crate::check::sort_diagnostics(&mut diags);
        diags
    })
}

fn load_unsorted(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
    depth: usize,
) -> Result<Calendar, Vec<Diagnostic>> {
    let source = Source::new(name, text);
    let mut cx = Ctx { source: Arc::clone(&source), diags: Vec::new() };
    let root = match parse_tree(text, Document::Calendar) {
        Ok(root) => root,
        Err(d) => {
            cx.diags.push((*d).with_source(&source));
            return Err(cx.diags);
        }
    };
    let Some(entries) = cx.map(&root, "a calendar file", TOP_KEYS) else {
        return Err(cx.diags);
    };
    let root_span = Span::new(1, 1, 0, 0);

    let id = match find(&entries, "id") {
        Some(n) => cx.text(n, "id"),
        None => {
            cx.push(
                DiagnosticCode::E0508,
                "missing key `id`".into(),
                root_span,
                Some("every calendar file starts with `id: <short-name>`".into()),
            );
            None
        }
    };
    let name_text = find(&entries, "name").and_then(|n| cx.text(n, "name"));
    if let Some(n) = find(&entries, "description") {
        cx.text(n, "description");
    }

    // The public calendar this file builds on, if any.
    let base: Option<Arc<Calendar>> = match find(&entries, "extends") {
        None => None,
        Some(n) => {
            for (key, k, _) in &entries {
                if BASE_ONLY_KEYS.contains(key) {
                    let msg = format!("`{key}` cannot be set in a file that `extends` another");
                    let hint = "the extended calendar owns the time zone and the workweek; an \
                                extending file adds `closures` and `extra_workdays`, and \
                                `holidays` and `makeup_workdays` after the base's `covers`";
                    cx.err(DiagnosticCode::E0512, msg, k, Some(hint.into()));
                }
            }
            let reference = cx.text(n, "extends");
            match reference {
                Some(r) if depth >= MAX_EXTENDS_DEPTH => {
                    let msg =
                        format!("`extends: {r}` goes more than {MAX_EXTENDS_DEPTH} levels deep");
                    cx.err(
                        DiagnosticCode::E0507,
                        msg,
                        n,
                        Some("check the chain of `extends` for a cycle".into()),
                    );
                    None
                }
                Some(r) => match super::resolve_at_depth(&r, base_dir, depth + 1) {
                    Ok(c) => Some(c),
                    Err(mut ds) => {
                        let unknown = ds
                            .iter()
                            .all(|d| d.code == DiagnosticCode::E0507 && !d.span.is_known());
                        if unknown {
                            // The reference itself is wrong: point at it.
                            let span = cx.span(n);
                            for d in &mut ds {
                                d.span = span;
                                d.source = Some(Arc::clone(&source));
                            }
                        }
                        cx.diags.extend(ds);
                        None
                    }
                },
                None => None,
            }
        }
    };
    let extends = find(&entries, "extends").is_some();

    let tz: Option<Tz> = match (find(&entries, "timezone"), extends) {
        (Some(n), false) => parse_tz(&mut cx, n),
        (None, false) => {
            cx.push(
                DiagnosticCode::E0508,
                "missing key `timezone`".into(),
                root_span,
                Some("give an IANA zone, e.g. `timezone: Asia/Shanghai`".into()),
            );
            None
        }
        _ => base.as_ref().map(|b| b.def.tz),
    };
    let workweek: Option<[bool; 7]> = match (find(&entries, "workweek"), extends) {
        (Some(n), false) => parse_workweek(&mut cx, n),
        (None, false) => {
            cx.push(
                DiagnosticCode::E0508,
                "missing key `workweek`".into(),
                root_span,
                Some("e.g. `workweek: [mon, tue, wed, thu, fri]`".into()),
            );
            None
        }
        _ => base.as_ref().map(|b| b.def.workweek),
    };
    // `None` inside: unbounded.
    let covers: Option<Option<(NaiveDate, NaiveDate)>> = match (find(&entries, "covers"), extends) {
        (Some(n), false) => parse_covers(&mut cx, n),
        (Some(n), true) => match (parse_covers(&mut cx, n), &base) {
            (Some(c), Some(b)) => extend_covers(&mut cx, n, b, c),
            _ => None,
        },
        (None, false) => {
            cx.push(
                DiagnosticCode::E0508,
                "missing key `covers`".into(),
                root_span,
                Some(
                    "give the range the holiday data is complete for, e.g. \
                 `covers: {from: 2026-01-01, to: 2026-12-31}`, or `covers: unbounded`"
                        .into(),
                ),
            );
            None
        }
        _ => base.as_ref().map(|b| b.coverage_range()),
    };
    let hours: Option<BusinessHours> = match find(&entries, "hours") {
        Some(n) => parse_hours(&mut cx, n),
        None => base.as_ref().and_then(|b| b.def.hours.clone()),
    };
    let cutoff: Option<NaiveTime> = match find(&entries, "cutoff") {
        Some(n) => cutoff(&mut cx, n),
        None => base.as_ref().and_then(|b| b.def.cutoff),
    };

    let holidays = find(&entries, "holidays").map(|n| periods(&mut cx, n, "holidays"));
    let closures = find(&entries, "closures").map(|n| periods(&mut cx, n, "closures"));
    let makeups = find(&entries, "makeup_workdays").map(|n| days(&mut cx, n, "makeup_workdays"));
    let extras = find(&entries, "extra_workdays").map(|n| days(&mut cx, n, "extra_workdays"));
    let mut sources =
        find(&entries, "sources").map(|n| parse_sources(&mut cx, n)).unwrap_or_default();

    let (Some(id), Some(tz), Some(workweek), Some(covers)) = (id, tz, workweek, covers) else {
        return Err(cx.diags);
    };
    if !workweek.contains(&true) {
        // Reported by parse_workweek; nothing can be counted without working days.
        return Err(cx.diags);
    }

    // Day kinds over the covered range: the base's, then the plain workweek over the days this
    // file's `covers` adds.
    let plain = |x: i64| {
        let wd = usize::try_from(x.rem_euclid(7)).unwrap_or(0);
        if workweek[wd] { DayKind::Workday } else { DayKind::Weekend }
    };
    let base_covers = base.as_ref().and_then(|b| b.coverage_range());
    let mut kinds: Vec<DayKind> = match (&base, covers) {
        (Some(b), covers) => {
            let mut kinds = b.def.kinds.clone();
            if let (Some((_, base_to)), Some((_, to))) = (base_covers, covers) {
                kinds.extend((day_index(base_to) + 1..=day_index(to)).map(plain));
            }
            kinds
        }
        (None, Some((from, to))) => (day_index(from)..=day_index(to)).map(plain).collect(),
        (None, None) => Vec::new(),
    };
    let mut notes: BTreeMap<i64, DayNote> =
        base.as_ref().map(|b| b.def.notes.clone()).unwrap_or_default();
    // An extending file's holidays and make-up days: only after the base's data ends.
    let in_base = |d: NaiveDate| base_covers.is_some_and(|(a, z)| d >= a && d <= z);
    let base_id = base.as_ref().map(|b| b.id.clone()).unwrap_or_default();
    let inside_base = |cx: &mut Ctx, what: &str, d: NaiveDate, span: Span| {
        if let Some((a, z)) = base_covers {
            let next = z.succ_opt().unwrap_or(z);
            cx.push(
                DiagnosticCode::E0517,
                format!("{what} `{d}` lies in the range `{base_id}` covers ({a} to {z})"),
                span,
                Some(format!(
                    "the base's days stay as they are: add holidays and make-up days from {next} \
                     on (extending `covers`); an organisation's own days are `closures` and \
                     `extra_workdays`"
                )),
            );
        }
    };
    let in_range = |d: NaiveDate| covers.is_some_and(|(a, z)| d >= a && d <= z);
    let idx =
        |d: NaiveDate| covers.and_then(|(a, _)| usize::try_from(day_index(d) - day_index(a)).ok());
    let out_of_range = |cx: &mut Ctx, what: &str, d: NaiveDate, span: Span| {
        let (msg, hint) = match covers {
            Some((a, z)) => (
                format!("{what} `{d}` is outside the covered range {a} to {z}"),
                "widen `covers` or remove the date".to_string(),
            ),
            None if extends => (
                format!("{what} `{d}` is listed, but the extended calendar is unbounded"),
                "an unbounded calendar has no dated days; extend a calendar with a covered range"
                    .to_string(),
            ),
            None => (
                format!("{what} `{d}` is listed, but `covers` is `unbounded`"),
                "an unbounded calendar has no dated days; give `covers: {from, to}`".to_string(),
            ),
        };
        cx.push(DiagnosticCode::E0504, msg, span, Some(hint));
    };

    // Public holidays.
    let holidays = holidays.unwrap_or_default();
    check_overlaps(&mut cx, &holidays, "holiday");
    for p in &holidays {
        let mut reported = false;
        for d in p.from.iter_days().take_while(|d| *d <= p.to) {
            if in_base(d) {
                if !reported {
                    inside_base(&mut cx, &format!("holiday `{}` on", p.name), d, p.span);
                    reported = true;
                }
                continue;
            }
            match idx(d).filter(|_| in_range(d)) {
                Some(i) => {
                    kinds[i] = DayKind::Holiday;
                    let note =
                        DayNote::Holiday { name: p.name.clone(), name_local: p.name_local.clone() };
                    notes.insert(day_index(d), note);
                }
                None if !reported => {
                    out_of_range(&mut cx, &format!("holiday `{}` on", p.name), d, p.span);
                    reported = true;
                }
                None => {}
            }
        }
    }
    // Make-up working days.
    let mut holiday_names: Vec<String> =
        base.as_ref().map(|b| b.holiday_names.clone()).unwrap_or_default();
    holiday_names.extend(holidays.iter().map(|p| p.name.clone()));
    for m in makeups.unwrap_or_default() {
        if in_base(m.date) {
            inside_base(&mut cx, "make-up working day", m.date, m.span);
            continue;
        }
        let Some(i) = idx(m.date).filter(|_| in_range(m.date)) else {
            out_of_range(&mut cx, "make-up working day", m.date, m.span);
            continue;
        };
        let wd = m.date.weekday().num_days_from_monday() as usize;
        if kinds[i] == DayKind::Holiday {
            cx.push(
                DiagnosticCode::E0503,
                format!("make-up working day `{}` lies inside a holiday", m.date),
                m.span,
                Some("a make-up working day is a weekend day that is worked".into()),
            );
        } else if workweek[wd] {
            cx.push(
                DiagnosticCode::E0503,
                format!("make-up working day `{}` is not on a weekend ({})", m.date, DAY_NAMES[wd]),
                m.span,
                Some(
                    "a make-up working day is a weekend day that is worked; check the date".into(),
                ),
            );
        } else if kinds[i] == DayKind::MakeupWorkday {
            cx.push(
                DiagnosticCode::E0502,
                format!("make-up working day `{}` is listed twice", m.date),
                m.span,
                None,
            );
        } else {
            kinds[i] = DayKind::MakeupWorkday;
            if let Some((name, _)) = &m.label {
                let x = day_index(m.date);
                let name_local = local_name_of(&notes, name, x);
                notes.insert(x, DayNote::MakeupWorkday { bridges: name.clone(), name_local });
            }
        }
        match &m.label {
            Some((name, span)) if !holiday_names.contains(name) => {
                let hint = match did_you_mean(name, &holiday_names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`for` names the holiday the day is worked for".into(),
                };
                cx.push(
                    DiagnosticCode::E0511,
                    format!("make-up day is `for` an unknown holiday `{name}`"),
                    *span,
                    Some(hint),
                );
            }
            None => cx.push(
                DiagnosticCode::E0508,
                format!("make-up working day `{}` has no `for`", m.date),
                m.span,
                Some("add `for: <holiday name>`".into()),
            ),
            _ => {}
        }
    }
    // An organisation's closures and extra working days.
    let closures = closures.unwrap_or_default();
    check_overlaps(&mut cx, &closures, "closure");
    for p in &closures {
        let mut reported = false;
        for d in p.from.iter_days().take_while(|d| *d <= p.to) {
            match idx(d).filter(|_| in_range(d)) {
                Some(i) => {
                    kinds[i] = DayKind::Holiday;
                    let note =
                        DayNote::Closure { name: p.name.clone(), name_local: p.name_local.clone() };
                    notes.insert(day_index(d), note);
                }
                None if !reported => {
                    out_of_range(&mut cx, &format!("closure `{}` on", p.name), d, p.span);
                    reported = true;
                }
                None => {}
            }
        }
    }
    for e in extras.unwrap_or_default() {
        let Some(i) = idx(e.date).filter(|_| in_range(e.date)) else {
            out_of_range(&mut cx, "extra working day", e.date, e.span);
            continue;
        };
        if matches!(kinds[i], DayKind::Workday | DayKind::MakeupWorkday) {
            cx.push(
                DiagnosticCode::E0513,
                format!("extra working day `{}` is already a working day", e.date),
                e.span,
                Some("list only days that would otherwise be off".into()),
            );
        } else {
            kinds[i] = DayKind::MakeupWorkday;
            let name = e.label.map(|(name, _)| name);
            notes.insert(day_index(e.date), DayNote::ExtraWorkday { name });
        }
    }

    if let (Some(c), Some(close)) = (cutoff, hours.as_ref().and_then(BusinessHours::close))
        && c > close
        && close != NaiveTime::MIN
    {
        let n = find(&entries, "cutoff").or_else(|| find(&entries, "hours"));
        let span = n.map_or(root_span, |n| cx.span(n));
        cx.push(
            DiagnosticCode::E0509,
            format!("cutoff `{}` is after close of business `{}`", c.format("%H:%M"), close.format("%H:%M")),
            span,
            Some("a ticket received after closing cannot count that day; set the cutoff at or before closing".into()),
        );
    }
    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    let mut all_sources = base.as_ref().map(|b| b.sources.clone()).unwrap_or_default();
    all_sources.append(&mut sources);
    let mut names = holiday_names;
    names.extend(closures.iter().map(|p| p.name.clone()));
    let def = Definition { tz, workweek, covers, kinds, notes, hours, cutoff };
    Ok(Calendar::build(
        id,
        name_text.or_else(|| base.as_ref().map(|b| b.name.clone())).unwrap_or_default(),
        def,
        all_sources,
        names,
    ))
}

fn parse_tz(cx: &mut Ctx, n: &Node) -> Option<Tz> {
    let s = cx.text(n, "timezone")?;
    match parse_time_zone(&s) {
        Ok(tz) => Some(tz),
        Err(hint) => {
            cx.err(DiagnosticCode::E0501, format!("unknown time zone `{s}`"), n, Some(hint));
            None
        }
    }
}

fn parse_workweek(cx: &mut Ctx, n: &Node) -> Option<[bool; 7]> {
    let mut week = [false; 7];
    let mut ok = true;
    for item in cx.seq(n, "workweek") {
        let Some(s) = cx.scalar(item) else {
            cx.err(DiagnosticCode::E0510, "workweek days must be day names".into(), item, None);
            ok = false;
            continue;
        };
        let lc = s.trim().to_ascii_lowercase();
        let pos = DAY_NAMES.iter().position(|d| lc == *d || (lc.len() > 3 && lc.starts_with(d)));
        match pos {
            Some(i) if week[i] => {
                cx.err(
                    DiagnosticCode::E0510,
                    format!("`{s}` appears twice in `workweek`"),
                    item,
                    None,
                );
                ok = false;
            }
            Some(i) => week[i] = true,
            None => {
                let hint = match did_you_mean(&lc, DAY_NAMES) {
                    Some(d) => format!("did you mean `{d}`?"),
                    None => "write days as `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`".into(),
                };
                cx.err(
                    DiagnosticCode::E0510,
                    format!("unknown day `{s}` in `workweek`"),
                    item,
                    Some(hint),
                );
                ok = false;
            }
        }
    }
    if ok && !week.contains(&true) {
        cx.err(
            DiagnosticCode::E0510,
            "`workweek` has no working day".into(),
            n,
            Some("e.g. `workweek: [mon, tue, wed, thu, fri]`".into()),
        );
    }
    ok.then_some(week)
}

fn parse_covers(cx: &mut Ctx, n: &Node) -> Option<Option<(NaiveDate, NaiveDate)>> {
    if let Some(s) = cx.scalar(n) {
        if s.trim() == "unbounded" {
            return Some(None);
        }
        cx.err(
            DiagnosticCode::E0514,
            format!("`covers` must be `{{from, to}}` or `unbounded`, not `{s}`"),
            n,
            Some("e.g. `covers: {from: 2026-01-01, to: 2026-12-31}`".into()),
        );
        return None;
    }
    let entries = cx.map(n, "`covers`", COVERS_KEYS)?;
    let from = required(cx, &entries, "from", n, "`covers`").and_then(|v| cx.date(v, "from"));
    let to = required(cx, &entries, "to", n, "`covers`").and_then(|v| cx.date(v, "to"));
    let (from, to) = (from?, to?);
    if to < from {
        cx.err(
            DiagnosticCode::E0506,
            format!("`covers` ends ({to}) before it starts ({from})"),
            n,
            None,
        );
        return None;
    }
    if day_index(to) - day_index(from) >= MAX_COVERED_DAYS {
        cx.err(
            DiagnosticCode::E0515,
            format!("`covers` spans more than {MAX_COVERED_DAYS} days"),
            n,
            Some("cover only the years you have holiday data for".into()),
        );
        return None;
    }
    Some(Some((from, to)))
}

/// Checks the `covers` of a file that extends `base`: it starts where the base's does and ends
/// no earlier (E0516). After a mistake, the range the rest of the file is checked against: the
/// base's start and the later of the two ends.
fn extend_covers(
    cx: &mut Ctx,
    n: &Node,
    base: &Calendar,
    covers: Option<(NaiveDate, NaiveDate)>,
) -> Option<Option<(NaiveDate, NaiveDate)>> {
    let id = base.id();
    let hint = "an extending file may only extend the base's `covers` forward, to add the days \
                after its data ends";
    let (msg, hint) = match (base.coverage_range(), covers) {
        (None, _) => (
            format!("`covers` cannot extend `{id}`, which is unbounded"),
            "an unbounded calendar has no dated days; extend a calendar with a covered range"
                .to_string(),
        ),
        (Some((a, z)), None) => (
            format!("`covers: unbounded` cannot extend `{id}`, which covers {a} to {z}"),
            hint.into(),
        ),
        (Some((a, _)), Some((from, to))) if from != a => (
            format!("`covers` must start where `{id}`'s does ({a}), not at {from}"),
            format!("write `covers: {{from: {a}, to: {to}}}`; {hint}"),
        ),
        (Some((_, z)), Some((_, to))) if to < z => {
            (format!("`covers` ends at {to}, before `{id}`'s data does ({z})"), hint.to_string())
        }
        (Some(_), Some(c)) => return Some(Some(c)),
    };
    cx.err(DiagnosticCode::E0516, msg, n, Some(hint));
    Some(match (base.coverage_range(), covers) {
        (Some((a, z)), Some((_, to))) => Some((a, z.max(to))),
        (base_range, _) => base_range,
    })
}

/// The local name of the holiday `name` nearest to day `x` (the one a make-up day bridges).
fn local_name_of(notes: &BTreeMap<i64, DayNote>, name: &str, x: i64) -> Option<String> {
    notes
        .iter()
        .filter_map(|(day, note)| match note {
            DayNote::Holiday { name: n, name_local } if n == name => {
                Some(((day - x).abs(), name_local))
            }
            _ => None,
        })
        .min_by_key(|(distance, _)| *distance)
        .and_then(|(_, local)| local.clone())
}

fn parse_hours(cx: &mut Ctx, n: &Node) -> Option<BusinessHours> {
    let s = cx.text(n, "hours")?;
    match s.parse::<BusinessHours>() {
        Ok(h) => Some(h),
        Err(e) => {
            // Point inside the value, at the problem (`s` is the value without leading spaces).
            let value = cx.scalar(n).unwrap_or_default();
            let lead = value.len() - value.trim_start().len();
            let sub = value_span(&cx.source.text, n.span, &value, e.offset + lead, 1);
            cx.push(
                DiagnosticCode::E0509,
                format!("invalid business hours: {}", e.message),
                sub,
                Some(HOURS_FORM.into()),
            );
            None
        }
    }
}

fn cutoff(cx: &mut Ctx, n: &Node) -> Option<NaiveTime> {
    let s = cx.text(n, "cutoff")?;
    let t = parse_cutoff(&s);
    if t.is_none() {
        cx.err(
            DiagnosticCode::E0509,
            format!("`{s}` is not a time of day"),
            n,
            Some(CUTOFF_FORM.into()),
        );
    }
    t
}

fn required<'n>(
    cx: &mut Ctx,
    entries: &[(&str, &'n Node, &'n Node)],
    key: &str,
    parent: &Node,
    what: &str,
) -> Option<&'n Node> {
    let found = find(entries, key);
    if found.is_none() {
        cx.err(DiagnosticCode::E0508, format!("{what} is missing `{key}`"), parent, None);
    }
    found
}

fn periods(cx: &mut Ctx, n: &Node, what: &str) -> Vec<Period> {
    let mut out = Vec::new();
    for item in cx.seq(n, what) {
        let Some(e) = cx.map(item, &format!("an entry of `{what}`"), PERIOD_KEYS) else {
            continue;
        };
        let span = cx.span(item);
        let name = required(cx, &e, "name", item, "the period").and_then(|v| cx.text(v, "name"));
        let name_local = find(&e, "name_local").and_then(|v| cx.text(v, "name_local"));
        let dates = match (find(&e, "date"), find(&e, "from"), find(&e, "to")) {
            (Some(d), None, None) => cx.date(d, "date").map(|d| (d, d)),
            (None, Some(f), Some(t)) => {
                let (f, t2) = (cx.date(f, "from"), cx.date(t, "to"));
                match (f, t2) {
                    (Some(f), Some(t2)) if t2 < f => {
                        cx.err(
                            DiagnosticCode::E0506,
                            format!("period ends (`{t2}`) before it starts (`{f}`)"),
                            t,
                            None,
                        );
                        None
                    }
                    (Some(f), Some(t2)) => Some((f, t2)),
                    _ => None,
                }
            }
            _ => {
                cx.err(
                    DiagnosticCode::E0508,
                    "a period needs either `date` or both `from` and `to`".into(),
                    item,
                    Some("e.g. `{name: Labour Day, from: 2026-05-01, to: 2026-05-05}`".into()),
                );
                None
            }
        };
        if let (Some(name), Some((from, to))) = (name, dates) {
            out.push(Period { name, name_local, from, to, span });
        }
    }
    out
}

fn days(cx: &mut Ctx, n: &Node, what: &str) -> Vec<Day> {
    let label_key = if what == "makeup_workdays" { "for" } else { "name" };
    let keys = if what == "makeup_workdays" { MAKEUP_KEYS } else { EXTRA_KEYS };
    let mut out = Vec::new();
    for item in cx.seq(n, what) {
        let span = cx.span(item);
        if cx.scalar(item).is_some() {
            if let Some(date) = cx.date(item, "date") {
                out.push(Day { date, label: None, span });
            }
            continue;
        }
        let Some(e) = cx.map(item, &format!("an entry of `{what}`"), keys) else { continue };
        let date = required(cx, &e, "date", item, "the entry").and_then(|v| cx.date(v, "date"));
        let label = find(&e, label_key).and_then(|v| {
            let s = cx.span(v);
            cx.text(v, label_key).map(|t| (t, s))
        });
        if let Some(date) = date {
            out.push(Day { date, label, span });
        }
    }
    out
}

fn parse_sources(cx: &mut Ctx, n: &Node) -> Vec<CalendarSource> {
    let mut out = Vec::new();
    for item in cx.seq(n, "sources") {
        let Some(e) = cx.map(item, "an entry of `sources`", SOURCE_KEYS) else { continue };
        let year = required(cx, &e, "year", item, "the source").and_then(|v| {
            let y = cx.scalar(v).and_then(|s| s.trim().parse::<i32>().ok());
            if y.is_none() {
                cx.err(
                    DiagnosticCode::E0506,
                    "`year` must be a year such as `2026`".into(),
                    v,
                    None,
                );
            }
            y
        });
        let title = required(cx, &e, "title", item, "the source").and_then(|v| cx.text(v, "title"));
        let published =
            required(cx, &e, "published", item, "the source").and_then(|v| cx.date(v, "published"));
        let url = find(&e, "url").and_then(|v| cx.text(v, "url"));
        if let (Some(year), Some(title), Some(published)) = (year, title, published) {
            out.push(CalendarSource { year, title, published, url });
        }
    }
    out
}

fn check_overlaps(cx: &mut Ctx, periods: &[Period], what: &str) {
    let mut sorted: Vec<&Period> = periods.iter().collect();
    sorted.sort_by_key(|p| (p.from, p.to));
    for pair in sorted.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b.from <= a.to {
            let d = Diagnostic::error(
                DiagnosticCode::E0502,
                format!(
                    "{what} `{}` ({} to {}) overlaps `{}` ({} to {})",
                    b.name, b.from, b.to, a.name, a.from, a.to
                ),
            )
            .with_span(b.span)
            .with_source(&cx.source)
            .with_related(a.span, format!("`{}` is here", a.name))
            .with_hint("merge the two periods or correct the dates");
            cx.diags.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_booleans_are_read_as_written() {
        // The shared tree types `1.50`, `2024` and `true`; the calendar format reads text.
        let text = "id: 1.50\nname: true\ntimezone: UTC\nworkweek: [mon]\ncovers: unbounded\n\
                    sources:\n  - {year: 2024, title: t, published: 2023-10-25}\n";
        let cal = load("t.yaml", text, None, 0).unwrap();
        assert_eq!((cal.id(), cal.name()), ("1.50", "true"));
        assert_eq!(cal.sources()[0].year, 2024);
        let ds =
            load("t.yaml", "id: t\ntimezone: UTC\nworkweek: [mon]\ncovers: 20260101\n", None, 0)
                .unwrap_err();
        assert_eq!(ds[0].message, "`covers` must be `{from, to}` or `unbounded`, not `20260101`");
        assert_eq!((ds[0].span.line, ds[0].span.column, ds[0].span.len), (4, 9, 8));
    }

    #[test]
    fn recognises_calendar_files() {
        assert!(is_calendar_text("id: t\ncovers: unbounded\n"));
        assert!(!is_calendar_text("policy: p\nholidays: []\n"));
        assert!(!is_calendar_text("- a\n"));
    }
}
