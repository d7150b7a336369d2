//! The scenario file: a ticket, a list of events, how long to run the clock, and what to expect.
//!
//! Loading collects every problem as a located [`Diagnostic`] (codes `E06xx`, documented in
//! `docs/scenarios.md`) instead of stopping at the first.

use super::expect::{Expect, ExpectValue, RejectedSpec};
use crate::calendar::Calendar;
use crate::check::DiagnosticCode;
use crate::check::{Diagnostic, Source, Span, did_you_mean, sort_diagnostics};
use crate::policy::{DURATION_FORMS, Duration};
use crate::yaml::{Document, Node, NodeKind, ReadFailure, parse_tree, read_yaml_file};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A value with the place in the scenario file it was read from.
///
/// ```
/// use ombud_engine::check::Source;
/// use ombud_engine::simulate::Scenario;
/// let text = "policy: ../policies/bank.yaml\nticket: { at: 2026-02-13T17:30:00+08:00 }\n";
/// let policy = Scenario::parse(&Source::new("s.yaml", text)).unwrap().policy.unwrap();
/// assert_eq!(policy.value, "../policies/bank.yaml");
/// assert_eq!((policy.span.line, policy.span.column), (1, 9));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is in the file.
    pub span: Span,
}

impl<T> Located<T> {
    fn new(value: T, span: Span) -> Self {
        Located { value, span }
    }
}

/// When an event happens (or until when the clock runs), as written.
///
/// ```
/// use ombud_engine::simulate::TimeSpec;
/// use ombud_engine::policy::Duration;
/// assert_eq!(TimeSpec::parse("+20m"), Ok(TimeSpec::After(Duration::Wall { seconds: 1200 })));
/// assert!(matches!(TimeSpec::parse("2026-02-14T10:00:00+08:00"), Ok(TimeSpec::At(_))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSpec {
    /// An absolute instant (written in RFC 3339 with an offset).
    At(DateTime<Utc>),
    /// A duration after the previous instant (`+20m`, `+1 working day`), counted on the
    /// policy's calendar with the same arithmetic as deadlines.
    After(Duration),
}

/// Why a time did not parse: the message, a hint and the byte offset in the text.
///
/// ```
/// use ombud_engine::simulate::TimeSpec;
/// let e = TimeSpec::parse("+2 days").unwrap_err();
/// assert_eq!((e.code.as_str(), e.offset), ("E0606", 3)); // at `days`: working or calendar?
/// assert!(e.hint.contains("`3 working days`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeSpecError {
    /// Diagnostic code (`E0605` bad instant, `E0606` bad relative time).
    pub code: DiagnosticCode,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Byte offset of the problem inside the text.
    pub offset: usize,
}

impl TimeSpec {
    /// Parses an absolute RFC 3339 instant or a `+duration`.
    ///
    /// ```
    /// use ombud_engine::policy::Duration;
    /// use ombud_engine::simulate::TimeSpec;
    /// assert_eq!(TimeSpec::parse(" +3wd"), Ok(TimeSpec::After(Duration::WorkingDays(3))));
    /// let e = TimeSpec::parse("2026-02-13 17:30").unwrap_err(); // no `T`, no offset
    /// assert_eq!(e.code, "E0605");
    /// ```
    pub fn parse(text: &str) -> Result<TimeSpec, TimeSpecError> {
        let lead = text.len() - text.trim_start().len();
        let t = text.trim();
        if let Some(rest) = t.strip_prefix('+') {
            return rest.parse::<Duration>().map(TimeSpec::After).map_err(|e| TimeSpecError {
                code: DiagnosticCode::E0606,
                message: format!("bad relative time `{t}`: {}", e.message),
                hint: format!("a relative time is `+` and a duration; {DURATION_FORMS}"),
                offset: lead + 1 + e.offset,
            });
        }
        let hint = "write an RFC 3339 instant with its offset, e.g. `2026-02-13T17:30:00+08:00`, \
                    or a relative time like `+20m`";
        let at = DateTime::parse_from_rfc3339(t).map_err(|e| TimeSpecError {
            code: DiagnosticCode::E0605,
            message: format!("bad instant `{t}`: {e}"),
            hint: hint.into(),
            offset: lead,
        })?;
        if crate::timefmt::is_leap_second(&at) {
            return Err(TimeSpecError {
                code: DiagnosticCode::E0605,
                message: format!("bad instant `{t}`: {}", crate::timefmt::LEAP_SECOND),
                hint: hint.into(),
                // At the seconds: RFC 3339 writes `YYYY-MM-DDTHH:MM:SS`, digits of fixed width.
                offset: lead + 17,
            });
        }
        Ok(TimeSpec::At(at.with_timezone(&Utc)))
    }
}

/// The ticket a scenario opens.
///
/// ```
/// use ombud_engine::{check::Source, simulate::Scenario};
/// let text = "ticket: { at: 2026-02-13T17:30:00+08:00, fields: { departments: [billing] } }\n";
/// let ticket = Scenario::parse(&Source::new("s.yaml", text)).unwrap().ticket;
/// assert_eq!(ticket.id, "T-1"); // the default
/// assert_eq!(ticket.at.to_rfc3339(), "2026-02-13T09:30:00+00:00");
/// assert_eq!(ticket.fields["departments"][0], "billing");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioTicket {
    /// Ticket id (`T-1` when not given).
    pub id: String,
    /// When the complaint was received.
    pub at: DateTime<Utc>,
    /// Ticket fields as given.
    pub fields: Map<String, Value>,
    /// The span of the `ticket:` value (for a refused opening).
    pub span: Span,
}

/// One event of a scenario, as written.
///
/// ```
/// # use ombud_engine::{check::Source, simulate::{Scenario, TimeSpec}};
/// let text = "ticket: { at: 2026-02-14T09:00:00+08:00 }\nevents:\n  \
///             - { at: +2h, event: attach, artifact: investigation_report, by: li.wei }\n";
/// let s = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
/// let attach = &s.events[0];
/// assert_eq!(attach.event.value, "attach");
/// assert_eq!(attach.artifact.as_deref(), Some("investigation_report"));
/// assert_eq!((attach.by.as_deref(), attach.span.line), (Some("li.wei"), 3));
/// assert_eq!(attach.at.value, TimeSpec::parse("+2h").unwrap());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioEvent {
    /// When.
    pub at: Located<TimeSpec>,
    /// Event name.
    pub event: Located<String>,
    /// For `attach`.
    pub artifact: Option<String>,
    /// For `set`.
    pub data: Option<Map<String, Value>>,
    /// For `member_done`.
    pub member: Option<String>,
    /// For `reassign`.
    pub to: Option<String>,
    /// For `reassign`: the person.
    pub assignee: Option<String>,
    /// Who sent it.
    pub by: Option<String>,
    /// The span of the whole event entry.
    pub span: Span,
}

impl ScenarioEvent {
    /// The event as the engine records it, at `at` (the event's time resolved on the calendar).
    ///
    /// ```
    /// use ombud_engine::{check::Source, simulate::Scenario};
    /// let s = Scenario::parse(&Source::new("s.yaml", "ticket: { at: 2026-03-02T09:00:00Z }\n\
    ///     events: [ { at: +2h, event: attach, artifact: report, by: li.wei } ]\n")).unwrap();
    /// let at = "2026-03-02T11:00:00Z".parse().unwrap();
    /// let recorded = s.events[0].recorded(at);
    /// assert_eq!((recorded.event.as_str(), recorded.artifact.as_deref()), ("attach", Some("report")));
    /// assert_eq!((recorded.at, recorded.by.as_deref()), (at, Some("li.wei")));
    /// ```
    pub fn recorded(&self, at: DateTime<Utc>) -> crate::runtime::RecordedEvent {
        crate::runtime::RecordedEvent {
            at,
            event: crate::runtime::Text::from(self.event.value.as_str()),
            artifact: self.artifact.clone(),
            data: self.data.clone(),
            member: self.member.clone(),
            to: self.to.clone(),
            assignee: self.assignee.clone(),
            by: self.by.clone(),
        }
    }
}

/// A parsed scenario file.
///
/// ```
/// use ombud_engine::{check::Source, simulate::Scenario};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scenarios/late-night-filing.yaml");
/// let s = Scenario::parse(&Source::new(path, std::fs::read_to_string(path).unwrap())).unwrap();
/// assert_eq!(s.title.as_deref(), Some("Filed late at night, intake limit across midnight"));
/// assert_eq!(s.policy.unwrap().value, "../../policies/service-complaints.yaml");
/// assert_eq!((s.ticket.id.as_str(), s.events.len()), ("N-0414", 3));
/// assert!(s.until.is_some() && s.expect.is_some());
/// ```
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file (name and text) every span points into.
    pub source: Arc<Source>,
    /// `policy:` as written (a path relative to the scenario file).
    pub policy: Option<Located<String>>,
    /// `title:`.
    pub title: Option<String>,
    /// `description:`.
    pub description: Option<String>,
    /// `ticket:`.
    pub ticket: ScenarioTicket,
    /// `events:`, in file order.
    pub events: Vec<ScenarioEvent>,
    /// `until:`; without it the clock stops at the last event.
    pub until: Option<Located<TimeSpec>>,
    /// `expect:`.
    pub expect: Option<Expect>,
}

impl Scenario {
    /// Parses a scenario file. Every problem comes back as a located diagnostic (sorted).
    ///
    /// ```
    /// use ombud_engine::check::Source;
    /// use ombud_engine::simulate::Scenario;
    /// let src = Source::new("s.yaml", "ticket: { id: T-1, at: 2026-02-13T17:30:00+08:00 }\n\
    ///                                  events: [ { at: +20m, event: registered } ]\n");
    /// let s = Scenario::parse(&src).unwrap();
    /// assert_eq!(s.events[0].event.value, "registered");
    /// let bad = Source::new("s.yaml", "ticket: { at: 2026-02-13 }\nevent: []\n");
    /// let diags = Scenario::parse(&bad).unwrap_err();
    /// assert_eq!((diags[0].code.as_str(), diags[0].span.line), ("E0605", 1));
    /// assert_eq!((diags[1].code.as_str(), diags[1].span.line), ("E0602", 2));
    /// ```
    pub fn parse(source: &Arc<Source>) -> Result<Scenario, Vec<Diagnostic>> {
        Scenario::parse_on(source, None)
    }

    /// [`parse`](Self::parse), knowing the calendar of the policy the scenario runs under: a
    /// hint that writes an instant (for a date alone where an instant belongs) writes it in the
    /// calendar's zone, with the offset that zone has on that date, and a deadline's day ends
    /// when the calendar's working day does (close of business with business hours).
    /// Without it, the hint takes the offset `ticket.at` is written with.
    ///
    /// ```
    /// use ombud_engine::{Calendar, check::Source, simulate::Scenario};
    /// // Opened in winter (CET, +01:00); the deadline's day is in summer (CEST, +02:00), and
    /// // the bank calendar closes at 17:00.
    /// let text = "ticket: { at: 2026-03-02T10:30:00+01:00 }\nexpect: { deadlines: { handle: 2026-04-01 } }\n";
    /// let de = Calendar::bundled("de-example").unwrap();
    /// let diags = Scenario::parse_on(&Source::new("s.yaml", text), Some(&de)).unwrap_err();
    /// assert!(diags[0].hint.as_deref().unwrap().contains("`2026-04-01T17:00:00+02:00`"));
    /// ```
    pub fn parse_on(
        source: &Arc<Source>,
        calendar: Option<&Calendar>,
    ) -> Result<Scenario, Vec<Diagnostic>> {
        let (draft, diags) = Scenario::draft(source, calendar);
        match draft.filter(|_| diags.is_empty()).and_then(Draft::into_scenario) {
            Some(s) => Ok(s),
            None => Err(diags),
        }
    }

    /// The parts of the file that parsed and every mistake of shape (located, sorted): what
    /// [`parse_on`](Self::parse_on) makes a scenario of when there are no mistakes, and what
    /// the checks against the policy read when there are. `None` when nothing parsed (not
    /// YAML, not a map).
    pub(super) fn draft(
        source: &Arc<Source>,
        calendar: Option<&Calendar>,
    ) -> (Option<Draft>, Vec<Diagnostic>) {
        let root = match parse_tree(&source.text, Document::Scenario) {
            Ok(root) => root,
            Err(d) => return (None, vec![d.with_source(source)]),
        };
        let mut cx = Cx { text: &source.text, diags: Vec::new(), offset: None, calendar };
        let draft = cx.scenario(source, &root);
        let mut diags: Vec<Diagnostic> =
            cx.diags.into_iter().map(|d| d.with_source(source)).collect();
        sort_diagnostics(&mut diags);
        (draft, diags)
    }

    /// The `policy:` a scenario's text names, read even when the scenario has mistakes (to
    /// [`parse_on`](Self::parse_on) it again with that policy's calendar).
    ///
    /// ```
    /// use ombud_engine::{check::Source, simulate::Scenario};
    /// let text = "policy: ../p.yaml\nticket: { at: 2026-03-02 }\n";
    /// assert_eq!(Scenario::policy_named(&Source::new("s.yaml", text)).as_deref(), Some("../p.yaml"));
    /// ```
    pub fn policy_named(source: &Source) -> Option<String> {
        let root = parse_tree(&source.text, Document::Scenario).ok()?;
        let NodeKind::Map(entries) = &root.kind else { return None };
        entries.iter().find_map(|(k, v)| match (&k.kind, &v.kind) {
            (NodeKind::Str(k), NodeKind::Str(v)) if k == "policy" => Some(v.clone()),
            _ => None,
        })
    }

    /// Reads a scenario file of at most 1 MiB (never more: a larger file, or a device with no
    /// end, is refused after one byte past the cap) and [`parse`](Self::parse)s it. The outer
    /// `Err` is a file that cannot be opened or read; the inner one the diagnostics of a file
    /// that is too large, not UTF-8 (`E0601`) or not a valid scenario.
    ///
    /// ```
    /// use ombud_engine::simulate::Scenario;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scenarios/general-fee-complaint-over-spring-festival.yaml");
    /// let scenario = Scenario::read_file(path.as_ref())?.unwrap();
    /// assert_eq!(scenario.events[0].event.value, "registered");
    /// assert!(Scenario::read_file("no/such/scenario.yaml".as_ref()).is_err());
    /// # #[cfg(unix)] {
    /// let endless = Scenario::read_file("/dev/zero".as_ref())?.unwrap_err();
    /// assert_eq!(endless[0].message, "scenario file `/dev/zero` is larger than 1048576 bytes (1 MiB)");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_file(path: &Path) -> std::io::Result<Result<Scenario, Vec<Diagnostic>>> {
        match read_yaml_file(path, Document::Scenario) {
            Ok(text) => Ok(Scenario::parse(&Source::new(path.display().to_string(), text))),
            Err(ReadFailure::Io(e)) => Err(e),
            Err(ReadFailure::Content(d)) => Ok(Err(vec![*d])),
        }
    }
}

/// A scenario file as far as it parsed ([`Scenario::draft`]).
pub(super) struct Draft {
    source: Arc<Source>,
    policy: Option<Located<String>>,
    title: Option<String>,
    description: Option<String>,
    /// `None` when `ticket:` is missing or its shape is broken.
    ticket: Option<ScenarioTicket>,
    /// `ticket.fields` when `ticket:` is a map and `fields` (empty when not given) has no
    /// mistake of shape, even if the rest of the ticket has.
    pub(super) fields: Option<Map<String, Value>>,
    /// Each entry of `events:` in file order, `None` where the entry has a mistake of shape.
    pub(super) events: Vec<Option<ScenarioEvent>>,
    until: Option<Located<TimeSpec>>,
    /// The `expect:` items that parsed.
    pub(super) expect: Option<Expect>,
}

impl Draft {
    /// The scenario, when every part parsed (a file without mistakes of shape).
    fn into_scenario(self) -> Option<Scenario> {
        Some(Scenario {
            source: self.source,
            policy: self.policy,
            title: self.title,
            description: self.description,
            ticket: self.ticket?,
            events: self.events.into_iter().collect::<Option<_>>()?,
            until: self.until,
            expect: self.expect,
        })
    }
}

pub(super) const TOP_KEYS: [&str; 7] =
    ["policy", "title", "description", "ticket", "events", "until", "expect"];
pub(super) const TICKET_KEYS: [&str; 3] = ["id", "at", "fields"];
pub(super) const EVENT_KEYS: [&str; 8] =
    ["at", "event", "artifact", "data", "member", "to", "assignee", "by"];
/// Keys of an `expect:` block.
pub(super) const EXPECT_KEYS: [&str; 13] = [
    "stage",
    "final_stage",
    "tier",
    "assignee",
    "closed",
    "breaches",
    "escalations",
    "flags",
    "deadlines",
    "provisional",
    "rejected",
    "marks",
    "mark_assignees",
];
pub(super) const REJECTED_KEYS: [&str; 3] = ["index", "event", "code"];

/// Collects diagnostics while converting the tree.
struct Cx<'t> {
    text: &'t str,
    diags: Vec<Diagnostic>,
    /// The UTC offset `ticket.at` is written with, once read: the offset a hint writes an
    /// instant with when the policy's calendar is not known.
    offset: Option<chrono::FixedOffset>,
    /// The calendar of the policy the scenario runs under, when known
    /// ([`Scenario::parse_on`]): a hint writes instants in its zone.
    calendar: Option<&'t Calendar>,
}

type Entries<'n> = &'n [(Node, Node)];

impl Cx<'_> {
    fn err(&mut self, code: DiagnosticCode, span: Span, message: String, hint: Option<String>) {
        let mut d = Diagnostic::error(code, message).with_span(span);
        if let Some(h) = hint {
            d = d.with_hint(h);
        }
        self.diags.push(d);
    }

    fn wrong_type(&mut self, what: &str, expected: &str, node: &Node) {
        self.err(
            DiagnosticCode::E0604,
            node.span,
            format!("`{what}` must be {expected}, found {}", node.kind.describe()),
            None,
        );
    }

    /// The entries of a map node, reporting unknown and duplicate keys.
    fn map<'n>(&mut self, what: &str, node: &'n Node, known: &[&str]) -> Option<Entries<'n>> {
        let NodeKind::Map(entries) = &node.kind else {
            self.wrong_type(what, "a map", node);
            return None;
        };
        let mut seen = BTreeMap::new();
        for (k, _) in entries {
            let NodeKind::Str(key) = &k.kind else {
                self.err(
                    DiagnosticCode::E0604,
                    k.span,
                    format!("keys of `{what}` must be text"),
                    None,
                );
                continue;
            };
            if !known.contains(&key.as_str()) {
                let hint = match did_you_mean(key, known.iter()) {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => format!("`{what}` takes {}", backticked(known)),
                };
                self.err(
                    DiagnosticCode::E0602,
                    k.span,
                    format!("unknown key `{key}` in `{what}`"),
                    Some(hint),
                );
            } else {
                self.unique(what, &mut seen, key, k.span);
            }
        }
        Some(entries)
    }

    /// Reports `key` (at `span`) as a duplicate when `seen` already has it (`E0607`); a second
    /// value would otherwise silently replace the first.
    fn unique(&mut self, what: &str, seen: &mut BTreeMap<String, Span>, key: &str, span: Span) {
        if let Some(first) = seen.get(key) {
            let d = Diagnostic::error(
                DiagnosticCode::E0607,
                format!("duplicate key `{key}` in `{what}`"),
            )
            .with_span(span)
            .with_hint("remove one of them")
            .with_related(*first, "first given here");
            self.diags.push(d);
        } else {
            seen.insert(key.to_string(), span);
        }
    }

    fn string(&mut self, what: &str, node: &Node) -> Option<String> {
        match &node.kind {
            NodeKind::Str(s) => Some(s.clone()),
            // Plain scalars like `T-1` are strings, but `12` or `true` are read as such: accept
            // them where a name is expected, as their text.
            NodeKind::Int(i) => Some(i.to_string()),
            _ => {
                self.wrong_type(what, "text", node);
                None
            }
        }
    }

    fn time(&mut self, what: &str, node: &Node, absolute_only: bool) -> Option<TimeSpec> {
        let NodeKind::Str(text) = &node.kind else {
            self.wrong_type(what, "an instant or a relative time like `+20m`", node);
            return None;
        };
        match TimeSpec::parse(text) {
            Ok(TimeSpec::After(_)) if absolute_only => {
                self.err(
                    DiagnosticCode::E0605,
                    node.span,
                    format!("`{what}` must be an absolute instant, found `{text}`"),
                    Some("write e.g. `2026-02-13T17:30:00+08:00`".into()),
                );
                None
            }
            Ok(t) => Some(t),
            Err(mut e) => {
                if e.code == DiagnosticCode::E0605 {
                    let (message, hint) = self.instant_help(what, text.trim(), absolute_only);
                    e.message = message.unwrap_or(e.message);
                    e.hint = hint;
                }
                // Point at the problem inside the scalar (one byte further for a quoted one).
                let quoted = self
                    .text
                    .get(node.span.offset..)
                    .is_some_and(|s| s.starts_with('"') || s.starts_with('\''));
                let span = node.span.sub(self.text, e.offset + usize::from(quoted), 0);
                self.err(e.code, span, e.message, Some(e.hint));
                None
            }
        }
    }

    /// The message (when a better one than the RFC 3339 parser's applies) and the hint for an
    /// instant `text` that did not parse as `what`. A date alone is the usual mistake: a
    /// deadline is an instant, and the end of a day is the midnight that starts the next.
    fn instant_help(
        &self,
        what: &str,
        text: &str,
        absolute_only: bool,
    ) -> (Option<String>, String) {
        let example = "`2026-02-13T17:30:00+08:00`";
        let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
            let hint = if absolute_only {
                format!("write an RFC 3339 instant with its offset, e.g. {example}")
            } else {
                format!(
                    "write an RFC 3339 instant with its offset, e.g. {example}, or a relative time like `+20m`"
                )
            };
            return (None, hint);
        };
        let message =
            Some(format!("bad instant `{text}`: a date, without a time of day and offset"));
        // The local time in the calendar's zone, with the offset it has then; without the
        // calendar, `ticket.at`'s offset, or a placeholder for the policy's when it is not known.
        let with_offset = |local: chrono::NaiveDateTime| {
            let in_zone = self.calendar.and_then(|cal| {
                let t = cal.tz().from_local_datetime(&local).earliest()?;
                Some(format!(
                    "`{}` (in {}, the zone of calendar `{}`)",
                    t.format("%Y-%m-%dT%H:%M:%S%:z"),
                    cal.tz().name(),
                    cal.id()
                ))
            });
            let local = local.format("%Y-%m-%dT%H:%M:%S");
            in_zone.unwrap_or_else(|| match self.offset {
                Some(o) => format!("`{local}{o}` (with `ticket.at`'s offset)"),
                None => format!("`{local}` and the offset of the policy's time zone (`+08:00`…)"),
            })
        };
        if !what.starts_with("deadlines.") {
            let hint = format!(
                "write the time of day and the offset too: {}",
                with_offset(
                    date.and_time(chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default())
                )
            );
            return (message, hint);
        }
        let Some(next) = date.succ_opt() else {
            return (message, format!("write an instant, e.g. {example}"));
        };
        // A working day of a calendar with business hours ends at close of business (a window
        // ending at 24:00 closes at the midnight that ends the day).
        let close = self
            .calendar
            .filter(|cal| cal.is_working_day(date))
            .and_then(|cal| cal.business_hours()?.close())
            .filter(|close| *close != chrono::NaiveTime::MIN);
        let (end, how) = match close {
            Some(close) => (date.and_time(close), "close of business"),
            None => (next.and_time(chrono::NaiveTime::MIN), "the midnight that ends it"),
        };
        let hint = format!(
            "a deadline is an instant: the end of {} ({how}) is written {}",
            date.format("%a %-d %b %Y"),
            with_offset(end)
        );
        (message, hint)
    }

    fn scenario(&mut self, source: &Arc<Source>, root: &Node) -> Option<Draft> {
        let entries = self.map("scenario", root, &TOP_KEYS)?;
        let mut policy = None;
        let mut title = None;
        let mut description = None;
        let mut ticket = None;
        let mut fields = None;
        let mut events = Vec::new();
        let mut until = None;
        let mut expect = None;
        let mut saw_ticket = false;
        for (k, v) in entries {
            let NodeKind::Str(key) = &k.kind else { continue };
            match key.as_str() {
                "policy" => policy = self.string("policy", v).map(|s| Located::new(s, v.span)),
                "title" => title = self.string("title", v),
                "description" => description = self.string("description", v),
                "ticket" => {
                    saw_ticket = true;
                    (ticket, fields) = self.ticket(v);
                }
                "events" => events = self.events(v),
                "until" => {
                    until = self.time("until", v, false).map(|t| Located::new(t, v.span));
                }
                "expect" => expect = self.expect(k, v),
                _ => {}
            }
        }
        if !saw_ticket {
            self.err(
                DiagnosticCode::E0603,
                Span::at_offset(&source.text, 0, 0),
                "missing key `ticket`".into(),
                Some("add `ticket: { id: T-1, at: 2026-02-13T17:30:00+08:00, fields: {} }`".into()),
            );
        }
        Some(Draft {
            source: Arc::clone(source),
            policy,
            title,
            description,
            ticket,
            fields,
            events,
            until,
            expect,
        })
    }

    /// The ticket, and its fields when they parsed even if the rest did not.
    fn ticket(&mut self, node: &Node) -> (Option<ScenarioTicket>, Option<Map<String, Value>>) {
        let Some(entries) = self.map("ticket", node, &TICKET_KEYS) else { return (None, None) };
        let mut id = None;
        let mut at = None;
        let mut fields = Map::new();
        let mut fields_sound = true;
        let mut saw_at = false;
        for (k, v) in entries {
            let NodeKind::Str(key) = &k.kind else { continue };
            match key.as_str() {
                "id" => id = self.string("ticket.id", v),
                "at" => {
                    saw_at = true;
                    if let NodeKind::Str(t) = &v.kind {
                        self.offset =
                            DateTime::parse_from_rfc3339(t.trim()).ok().map(|t| *t.offset());
                    }
                    at = match self.time("ticket.at", v, true) {
                        Some(TimeSpec::At(t)) => Some(t),
                        _ => None,
                    };
                }
                "fields" => {
                    let before = self.diags.len();
                    match self.json("ticket.fields", v) {
                        Some(Value::Object(m)) => fields = m,
                        Some(_) => self.wrong_type("ticket.fields", "a map", v),
                        None => {}
                    }
                    fields_sound = self.diags.len() == before;
                }
                _ => {}
            }
        }
        if !saw_at {
            self.err(
                DiagnosticCode::E0603,
                node.span,
                "missing key `at` in `ticket`".into(),
                Some(
                    "when the complaint was received, e.g. `at: 2026-02-13T17:30:00+08:00`".into(),
                ),
            );
        }
        let sound = fields_sound.then(|| fields.clone());
        let ticket = at.map(|at| ScenarioTicket {
            id: id.unwrap_or_else(|| "T-1".into()),
            at,
            fields,
            span: node.span,
        });
        (ticket, sound)
    }

    /// Each entry, `None` where it has a mistake of shape.
    fn events(&mut self, node: &Node) -> Vec<Option<ScenarioEvent>> {
        let items = match &node.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Null => return Vec::new(),
            _ => {
                self.wrong_type("events", "a list", node);
                return Vec::new();
            }
        };
        items
            .iter()
            .map(|item| {
                let before = self.diags.len();
                self.event(item).filter(|_| self.diags.len() == before)
            })
            .collect()
    }

    fn event(&mut self, node: &Node) -> Option<ScenarioEvent> {
        let entries = self.map("events[]", node, &EVENT_KEYS)?;
        let mut at = None;
        let mut event = None;
        let mut ev = ScenarioEvent {
            at: Located::new(TimeSpec::After(Duration::Wall { seconds: 0 }), node.span),
            event: Located::new(String::new(), node.span),
            artifact: None,
            data: None,
            member: None,
            to: None,
            assignee: None,
            by: None,
            span: node.span,
        };
        let mut ok = true;
        for (k, v) in entries {
            let NodeKind::Str(key) = &k.kind else { continue };
            match key.as_str() {
                "at" => match self.time("at", v, false) {
                    Some(t) => at = Some(Located::new(t, v.span)),
                    None => ok = false,
                },
                "event" => {
                    event = self.string("event", v).map(|s| Located::new(s, v.span));
                    ok &= event.is_some();
                }
                "artifact" => ev.artifact = self.string("artifact", v),
                "member" => ev.member = self.string("member", v),
                "to" => ev.to = self.string("to", v),
                "assignee" => ev.assignee = self.string("assignee", v),
                "by" => ev.by = self.string("by", v),
                "data" => match self.json("data", v) {
                    Some(Value::Object(m)) => ev.data = Some(m),
                    Some(_) => self.wrong_type("data", "a map of fields", v),
                    None => {}
                },
                _ => {}
            }
        }
        if at.is_none() && ok {
            self.err(
                DiagnosticCode::E0603,
                node.span,
                "missing key `at` in event".into(),
                Some("e.g. `at: +20m` or `at: 2026-02-14T10:00:00+08:00`".into()),
            );
        }
        if event.is_none() && ok {
            self.err(
                DiagnosticCode::E0603,
                node.span,
                "missing key `event` in event".into(),
                Some("name the event, e.g. `event: registered` or `event: attach`".into()),
            );
        }
        ev.at = at?;
        ev.event = event?;
        Some(ev)
    }

    /// Converts a node to JSON (ticket fields, `set` data).
    fn json(&mut self, what: &str, node: &Node) -> Option<Value> {
        Some(match &node.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Value::Number(n),
                None => {
                    self.err(
                        DiagnosticCode::E0604,
                        node.span,
                        format!("`{what}`: not a finite number"),
                        None,
                    );
                    return None;
                }
            },
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => {
                Value::Array(items.iter().map(|i| self.json(what, i)).collect::<Option<_>>()?)
            }
            NodeKind::Map(entries) => {
                let mut m = Map::new();
                let mut seen = BTreeMap::new();
                for (k, v) in entries {
                    let NodeKind::Str(key) = &k.kind else {
                        self.err(
                            DiagnosticCode::E0604,
                            k.span,
                            format!("keys of `{what}` must be text"),
                            None,
                        );
                        return None;
                    };
                    self.unique(what, &mut seen, key, k.span);
                    let v = self.json(what, v)?;
                    m.insert(key.clone(), v);
                }
                Value::Object(m)
            }
        })
    }

    fn expect(&mut self, key: &Node, node: &Node) -> Option<Expect> {
        let entries = self.map("expect", node, &EXPECT_KEYS)?;
        let mut items = Vec::new();
        for (k, v) in entries {
            let NodeKind::Str(name) = &k.kind else { continue };
            let value = match name.as_str() {
                "stage" | "final_stage" | "tier" | "assignee" => {
                    self.string(name, v).map(ExpectValue::Name)
                }
                "closed" | "provisional" => match v.kind {
                    NodeKind::Bool(b) => Some(ExpectValue::Bool(b)),
                    _ => {
                        self.wrong_type(name, "`true` or `false`", v);
                        None
                    }
                },
                "breaches" | "escalations" | "flags" | "marks" => self.count_or_list(name, v),
                // A count would only repeat `marks`.
                "mark_assignees" => match &v.kind {
                    NodeKind::Seq(_) => self.count_or_list(name, v),
                    _ => {
                        self.wrong_type(name, "a list of people (`none` for nobody)", v);
                        None
                    }
                },
                "deadlines" => self.deadlines(v),
                "rejected" => self.rejected(v),
                _ => None,
            };
            if let Some(value) = value {
                items.push((Located::new(name.clone(), k.span), value));
            }
        }
        Some(Expect { span: key.span, items })
    }

    fn count_or_list(&mut self, name: &str, v: &Node) -> Option<ExpectValue> {
        match &v.kind {
            NodeKind::Int(n) if u32::try_from(*n).is_ok() => {
                u32::try_from(*n).ok().map(ExpectValue::Count)
            }
            NodeKind::Seq(items) => {
                let names: Option<Vec<String>> =
                    items.iter().map(|i| self.string(name, i)).collect();
                names.map(ExpectValue::Names)
            }
            _ => {
                self.wrong_type(name, "a count (e.g. `1`) or a list of names", v);
                None
            }
        }
    }

    fn deadlines(&mut self, v: &Node) -> Option<ExpectValue> {
        let NodeKind::Map(entries) = &v.kind else {
            self.wrong_type("deadlines", "a map of stage: instant", v);
            return None;
        };
        let mut out = Vec::new();
        let mut seen = BTreeMap::new();
        for (k, val) in entries {
            let Some(stage) = self.string("deadlines", k) else { continue };
            self.unique("deadlines", &mut seen, &stage, k.span);
            if let Some(t) = self.time(&format!("deadlines.{stage}"), val, true) {
                let TimeSpec::At(t) = t else { continue };
                out.push((Located::new(stage, k.span), t));
            }
        }
        Some(ExpectValue::Deadlines(out))
    }

    fn rejected(&mut self, v: &Node) -> Option<ExpectValue> {
        let items = match &v.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Int(0) => return Some(ExpectValue::Rejected(Vec::new())),
            _ => {
                self.wrong_type(
                    "rejected",
                    "a list of event names, 1-based event numbers or `{event, index, code}` maps",
                    v,
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for item in items {
            let spec = match &item.kind {
                NodeKind::Int(i) => match u32::try_from(*i) {
                    Ok(i) if i >= 1 => RejectedSpec { index: Some(i), ..RejectedSpec::default() },
                    _ => {
                        self.err(
                            DiagnosticCode::E0608,
                            item.span,
                            format!("event number `{i}` must be 1 or more"),
                            Some("events are numbered from 1 in file order".into()),
                        );
                        continue;
                    }
                },
                NodeKind::Str(s) => {
                    RejectedSpec { event: Some(s.clone()), ..RejectedSpec::default() }
                }
                NodeKind::Map(_) => {
                    let Some(entries) = self.map("rejected[]", item, &REJECTED_KEYS) else {
                        continue;
                    };
                    let mut spec = RejectedSpec::default();
                    for (k, val) in entries {
                        let NodeKind::Str(key) = &k.kind else { continue };
                        match (key.as_str(), &val.kind) {
                            ("index", NodeKind::Int(i))
                                if u32::try_from(*i).is_ok_and(|i| i >= 1) =>
                            {
                                spec.index = u32::try_from(*i).ok();
                            }
                            ("index", _) => {
                                self.wrong_type("index", "an event number (1 or more)", val)
                            }
                            ("event", _) => spec.event = self.string("event", val),
                            ("code", _) => spec.code = self.string("code", val),
                            _ => {}
                        }
                    }
                    spec
                }
                _ => {
                    self.wrong_type("rejected[]", "an event name, number or map", item);
                    continue;
                }
            };
            out.push(Located::new(spec, item.span));
        }
        Some(ExpectValue::Rejected(out))
    }
}

fn backticked(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
