//! The checks after a load run, on what the servers exported and what the clients and the
//! webhook sink saw, against what the engine alone computes from the exported ledger:
//!
//! - every acknowledged opening and accepted event is in the ledger exactly once, and nothing
//!   else is (no refused event, no event applied twice);
//! - each refused event got the refusal the script expects, and a request sent twice got the
//!   same answer twice;
//! - the engine, replaying the ledger and bringing each ticket to the ledger's end, arrives at
//!   exactly the ticket the database holds, with exactly the timeline the server shows: every
//!   ladder step and breach fired once, at its instant;
//! - the webhook sink received every action the engine produced, each under one delivery id
//!   with a valid signature, and nothing else.

use super::sink::Received;
use crate::engine::{self, Engine, LedgerLine, RecordedEvent, Ticket, advance_due};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// An event a client sent, with its answer.
#[derive(Clone, Debug)]
pub(crate) struct SentEvent {
    pub(crate) ticket: String,
    /// The request's body without `id`.
    pub(crate) event: Value,
    pub(crate) status: u16,
    pub(crate) answer: Value,
    /// The refusal the script expects.
    pub(crate) refused: Option<&'static str>,
    /// The answer to the same request sent a second time.
    pub(crate) again: Option<(u16, Value)>,
}

/// What a run exported and saw.
pub(crate) struct Evidence<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) ledger: &'a str,
    pub(crate) store: &'a str,
    pub(crate) timelines: &'a HashMap<String, Vec<Value>>,
    /// Acknowledged openings: ticket id and status.
    pub(crate) openings: &'a [(String, u16)],
    pub(crate) events: &'a [SentEvent],
    pub(crate) received: &'a Received,
}

/// What the checks found.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    /// Every problem, described (empty: the run passed).
    pub(crate) problems: Vec<String>,
    /// Ladder steps and breaches fired, by kind (`flag`, `notify`, `escalate`, `breach`).
    pub(crate) fired: BTreeMap<String, u64>,
    /// Actions the engine produced (each to be delivered).
    pub(crate) actions: u64,
    /// Tickets closed, breaches, escalations and flags over all stored tickets.
    pub(crate) closed: u64,
    pub(crate) breaches: u64,
    pub(crate) escalations: u64,
    pub(crate) flags: u64,
    /// Ledger lines.
    pub(crate) lines: u64,
}

/// How many problems of one kind are listed (all are counted).
const LISTED: usize = 10;

struct Problems {
    list: Vec<String>,
    counts: BTreeMap<&'static str, usize>,
}

impl Problems {
    fn add(&mut self, kind: &'static str, message: String) {
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        if *n <= LISTED {
            self.list.push(message);
        }
    }

    fn finish(mut self) -> Vec<String> {
        for (kind, n) in self.counts {
            if n > LISTED {
                self.list.push(format!("… {} more: {kind}", n - LISTED));
            }
        }
        self.list
    }
}

/// What the engine alone computes for one ticket.
struct Expected {
    ticket: Ticket,
    rows: Vec<Value>,
    actions: Vec<Value>,
}

/// Runs every check.
pub(crate) fn check(e: &Evidence<'_>) -> Verdict {
    let mut p = Problems { list: Vec::new(), counts: BTreeMap::new() };
    let mut verdict = Verdict::default();

    // The ledger, line by line.
    let mut lines = Vec::new();
    for (n, text) in e.ledger.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match serde_json::from_str::<LedgerLine>(text) {
            Ok(line) => lines.push((n + 1, line)),
            Err(err) => p.add("unreadable ledger line", format!("ledger line {}: {err}", n + 1)),
        }
    }
    verdict.lines = lines.len() as u64;

    // Acknowledged openings and accepted events against the ledger: each exactly once.
    let mut opened: HashMap<&str, i64> = HashMap::new();
    let mut applied: HashMap<(String, String), i64> = HashMap::new();
    for (_, line) in &lines {
        if line.open.is_some() {
            *opened.entry(line.ticket.as_str()).or_default() += 1;
        } else if let Some(event) = &line.event {
            let key = (line.ticket.to_string(), canonical(event));
            *applied.entry(key).or_default() += 1;
        }
    }
    for (id, status) in e.openings {
        if !matches!(status, 200 | 201) {
            p.add("opening refused", format!("opening `{id}` was answered {status}"));
        }
        *opened.entry(id.as_str()).or_default() -= 1;
    }
    for (id, n) in &opened {
        match n {
            0 => {}
            n if *n > 0 => p.add(
                "opening in the ledger not acknowledged once",
                format!("ticket `{id}`: {n} more opening line(s) in the ledger than acknowledged"),
            ),
            n => p.add(
                "acknowledged opening missing from the ledger",
                format!("ticket `{id}`: acknowledged, but {} opening line(s) missing", -n),
            ),
        }
    }
    for sent in e.events {
        check_answer(&mut p, sent);
        if sent.status != 200 {
            continue;
        }
        match serde_json::from_value::<RecordedEvent>(sent.event.clone()) {
            Ok(event) => {
                *applied.entry((sent.ticket.clone(), canonical(&event))).or_default() -= 1;
            }
            Err(err) => p.add("event unreadable", format!("sent event {}: {err}", sent.event)),
        }
    }
    for ((ticket, event), n) in &applied {
        match n {
            0 => {}
            n if *n > 0 => p.add(
                "event in the ledger not acknowledged",
                format!(
                    "ticket `{ticket}`: {event} is in the ledger {n} time(s) more than accepted"
                ),
            ),
            n => p.add(
                "accepted event missing from the ledger",
                format!("ticket `{ticket}`: {event} was accepted, {} line(s) missing", -n),
            ),
        }
    }

    // The engine alone, on the ledger.
    let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
    let mut end = None;
    for (n, line) in &lines {
        end = end.max(line.at());
        if let Some(open) = &line.open {
            match e.engine.open(&open.to_open_ticket(&line.ticket)) {
                Ok((ticket, outcome)) => {
                    expected.insert(
                        line.ticket.to_string(),
                        Expected {
                            ticket,
                            rows: to_values(&outcome.rows),
                            actions: to_values(&outcome.actions),
                        },
                    );
                }
                Err(r) => p.add("engine refuses a ledger line", format!("line {n}: {r}")),
            }
        } else if line.calendar.is_some() {
            // The runs deploy no calendar update: the check replays openings and events only.
            p.add("calendar update in the ledger", format!("ledger line {n}"));
        } else if let Some(event) = &line.event {
            let Some(x) = expected.get_mut(line.ticket.as_str()) else {
                p.add("event before its opening", format!("ledger line {n}"));
                continue;
            };
            match e.engine.apply_recorded(&mut x.ticket, event) {
                Ok(outcome) => {
                    x.rows.extend(to_values(&outcome.rows));
                    x.actions.extend(to_values(&outcome.actions));
                }
                Err(r) => p.add("engine refuses a ledger line", format!("line {n}: {r}")),
            }
        }
    }
    if let Some(end) = end {
        for (id, x) in &mut expected {
            match advance_due(e.engine, &mut x.ticket, end) {
                Ok(outcome) => {
                    x.rows.extend(to_values(&outcome.rows));
                    x.actions.extend(to_values(&outcome.actions));
                }
                Err(r) => p.add("engine cannot advance", format!("ticket `{id}`: {r}")),
            }
            match e.engine.next_wakeup(&x.ticket) {
                Ok(None) => {}
                Ok(Some(at)) => p.add(
                    "timer after the ledger's end",
                    format!("ticket `{id}` still has a timer at {at}: the run ended too early"),
                ),
                Err(r) => p.add("engine cannot advance", format!("ticket `{id}`: {r}")),
            }
        }
    }

    // The stored tickets against the engine's.
    let mut stored_ids = Vec::new();
    for (n, text) in e.store.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let stored = match engine::ticket_from_json(text) {
            Ok(t) => t,
            Err(err) => {
                p.add("stored ticket unreadable", format!("store line {}: {err}", n + 1));
                continue;
            }
        };
        let id = stored.id().to_string();
        verdict.closed += u64::from(stored.is_closed());
        verdict.breaches += u64::from(stored.stats().breaches);
        verdict.escalations += u64::from(stored.stats().escalations);
        verdict.flags += u64::from(stored.stats().flags);
        match expected.get(&id) {
            None => p.add("stored ticket not in the ledger", format!("ticket `{id}`")),
            Some(x) if x.ticket != stored => p.add(
                "stored ticket differs from the engine's",
                format!("ticket `{id}`: {}", differences(&x.ticket, &stored)),
            ),
            Some(_) => {}
        }
        stored_ids.push(id);
    }
    if stored_ids.len() != expected.len() {
        p.add(
            "tickets missing from the store",
            format!("{} tickets stored, {} in the ledger", stored_ids.len(), expected.len()),
        );
    }

    // Timelines: each step fired once, at its instant.
    for (id, x) in &expected {
        match e.timelines.get(id) {
            None => p.add("timeline missing", format!("ticket `{id}`")),
            Some(rows) if rows != &x.rows => p.add(
                "timeline differs from the engine's",
                format!("ticket `{id}`: {}", first_difference(&x.rows, rows)),
            ),
            Some(rows) => {
                for row in rows {
                    let kind = row["kind"].as_str().unwrap_or("");
                    if matches!(kind, "flag" | "notify" | "escalate" | "breach") {
                        *verdict.fired.entry(kind.to_string()).or_default() += 1;
                    }
                }
            }
        }
    }

    // Deliveries: every action, once per delivery id, signed; nothing else.
    let r = e.received;
    if r.bad_signatures > 0 {
        p.add("bad signature", format!("{} requests with a bad signature", r.bad_signatures));
    }
    if r.without_id > 0 {
        p.add("delivery without id", format!("{} requests without a delivery id", r.without_id));
    }
    let mut delivered: HashMap<String, Vec<String>> = HashMap::new();
    for (id, d) in &r.deliveries {
        if d.accepted == 0 {
            p.add("delivery never accepted", format!("delivery `{id}`: {} attempts", d.attempts));
        }
        if d.changed > 0 {
            p.add("delivery body changed", format!("delivery `{id}` changed between attempts"));
        }
        let body: Value = serde_json::from_slice(&d.body).unwrap_or(Value::Null);
        if body["delivery"] != id.as_str() {
            p.add("delivery id mismatch", format!("delivery `{id}` carries {}", body["delivery"]));
        }
        let ticket = body["ticket"].as_str().unwrap_or("").to_string();
        delivered.entry(ticket).or_default().push(body["action"].to_string());
    }
    for (id, x) in &expected {
        verdict.actions += x.actions.len() as u64;
        let mut want: Vec<String> = x.actions.iter().map(Value::to_string).collect();
        let mut got = delivered.remove(id).unwrap_or_default();
        want.sort();
        got.sort();
        if want != got {
            p.add(
                "deliveries differ from the engine's actions",
                format!(
                    "ticket `{id}`: {} actions, {} deliveries; first difference: {}",
                    want.len(),
                    got.len(),
                    first_difference(&want, &got)
                ),
            );
        }
    }
    for (ticket, got) in delivered {
        p.add(
            "deliveries for no ticket",
            format!("{} deliveries for `{ticket}`, which the ledger does not hold", got.len()),
        );
    }
    verdict.problems = p.finish();
    verdict
}

/// An answer against the script: accepted where it should be, refused with the expected code,
/// the same answer to a repeat.
fn check_answer(p: &mut Problems, sent: &SentEvent) {
    let code = sent.answer["code"].as_str().unwrap_or("");
    match (sent.refused, sent.status) {
        (None, 200) => {}
        (Some(want), 422) if code == want => {}
        (want, status) => p.add(
            "unexpected answer",
            format!(
                "ticket `{}`: {} answered {status} {code} (expected {})",
                sent.ticket,
                sent.event,
                want.map_or("acceptance".to_string(), |w| format!("refusal `{w}`"))
            ),
        ),
    }
    if let Some((status, answer)) = &sent.again
        && (*status != sent.status || answer != &sent.answer)
    {
        p.add(
            "a repeated request got another answer",
            format!(
                "ticket `{}`: {} answered {} then {status}",
                sent.ticket, sent.event, sent.status
            ),
        );
    }
}

fn canonical(event: &RecordedEvent) -> String {
    serde_json::to_string(event).unwrap_or_default()
}

fn to_values<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items.iter().map(|i| serde_json::to_value(i).unwrap_or(Value::Null)).collect()
}

/// The top-level keys where two tickets' JSON differ.
fn differences(expected: &Ticket, stored: &Ticket) -> String {
    let (a, b) = (serde_json::to_value(expected), serde_json::to_value(stored));
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) = (a, b) else {
        return "not comparable".into();
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&Value>| {
                let s = v.map_or("(none)".to_string(), Value::to_string);
                if s.chars().count() > 200 {
                    format!("{}…", s.chars().take(200).collect::<String>())
                } else {
                    s
                }
            };
            format!("`{k}`: engine {} / stored {}", show(a.get(k)), show(b.get(k)))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn first_difference<T: std::fmt::Display>(want: &[T], got: &[T]) -> String {
    let at = want.iter().zip(got).position(|(a, b)| a.to_string() != b.to_string());
    let at = at.unwrap_or(want.len().min(got.len()));
    let show = |v: Option<&T>| v.map_or("(nothing)".to_string(), ToString::to_string);
    format!(
        "item {at}: engine {} / server {} ({} vs {} items)",
        show(want.get(at)),
        show(got.get(at)),
        want.len(),
        got.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::sink::Delivery;
    use serde_json::json;

    /// A small run as a server that does everything right would leave it: two tickets, one
    /// answered and closed, one left to breach, and the webhook sink's deliveries.
    struct Run {
        engine: std::sync::Arc<Engine>,
        ledger: Vec<String>,
        store: Vec<String>,
        timelines: HashMap<String, Vec<Value>>,
        openings: Vec<(String, u16)>,
        events: Vec<SentEvent>,
        received: Received,
    }

    impl Run {
        fn new() -> Run {
            let compiled = engine::compile_policy("load.yaml", crate::load::POLICY, None).unwrap();
            let engine = compiled.engine;
            let t0 = "2026-03-02T09:00:00.250Z";
            let at = |secs: i64| {
                let t: chrono::DateTime<chrono::Utc> = t0.parse().unwrap();
                (t + chrono::TimeDelta::seconds(secs)).to_rfc3339()
            };
            let mut ledger = Vec::new();
            let mut events = Vec::new();
            for (id, secs) in [("T-1", 0), ("T-2", 1)] {
                ledger.push(
                    json!({"ticket": id, "open": {"at": at(secs), "fields": {"channel": "web"}}})
                        .to_string(),
                );
            }
            let sent = [
                json!({"event": "attach", "artifact": "reply", "at": at(10), "by": "c"}),
                json!({"event": "set", "data": {"amount": 5}, "at": at(20), "by": "c"}),
                json!({"event": "answer", "at": at(30), "by": "c"}),
                json!({"event": "close", "at": at(180), "by": "c"}),
            ];
            for event in sent {
                ledger.push(json!({"ticket": "T-1", "event": event}).to_string());
                events.push(SentEvent {
                    ticket: "T-1".into(),
                    event,
                    status: 200,
                    answer: json!({}),
                    refused: None,
                    again: None,
                });
            }
            events.push(SentEvent {
                ticket: "T-2".into(),
                event: json!({"event": "close", "at": at(40), "by": "c"}),
                status: 422,
                answer: json!({"code": "not_accepted"}),
                refused: Some("not_accepted"),
                again: Some((422, json!({"code": "not_accepted"}))),
            });
            // What the server holds: the engine's tickets, timelines and actions.
            let mut run = Run {
                engine: engine.clone(),
                ledger,
                store: Vec::new(),
                timelines: HashMap::new(),
                openings: vec![("T-1".into(), 201), ("T-2".into(), 201)],
                events,
                received: Received::default(),
            };
            let mut tickets: BTreeMap<String, (Ticket, Vec<Value>, Vec<Value>)> = BTreeMap::new();
            for text in &run.ledger {
                let line: LedgerLine = serde_json::from_str(text).unwrap();
                if let Some(open) = &line.open {
                    let (t, o) = engine.open(&open.to_open_ticket(&line.ticket)).unwrap();
                    tickets.insert(
                        line.ticket.to_string(),
                        (t, to_values(&o.rows), to_values(&o.actions)),
                    );
                } else if let Some(event) = &line.event {
                    let (t, rows, actions) = tickets.get_mut(line.ticket.as_str()).unwrap();
                    let o = engine.apply_recorded(t, event).unwrap();
                    rows.extend(to_values(&o.rows));
                    actions.extend(to_values(&o.actions));
                }
            }
            let end = at(180).parse().unwrap();
            for (id, (t, rows, actions)) in &mut tickets {
                let o = advance_due(&engine, t, end).unwrap();
                rows.extend(to_values(&o.rows));
                actions.extend(to_values(&o.actions));
                run.store.push(engine::ticket_to_json(t).unwrap());
                run.timelines.insert(id.clone(), rows.clone());
                for (n, action) in actions.iter().enumerate() {
                    let delivery = format!("{id}-{n}");
                    let body = json!({"delivery": delivery, "ticket": id, "action": action});
                    run.received.deliveries.insert(
                        delivery,
                        Delivery {
                            body: body.to_string().into(),
                            attempts: 1,
                            accepted: 1,
                            changed: 0,
                        },
                    );
                }
            }
            run
        }

        fn check(&self) -> Verdict {
            check(&Evidence {
                engine: &self.engine,
                ledger: &self.ledger.join("\n"),
                store: &self.store.join("\n"),
                timelines: &self.timelines,
                openings: &self.openings,
                events: &self.events,
                received: &self.received,
            })
        }

        /// The kinds of problems found.
        fn found(&self) -> Vec<String> {
            self.check()
                .problems
                .iter()
                .map(|p| p.split(':').next().unwrap_or("").to_string())
                .collect()
        }
    }

    #[test]
    fn a_faithful_run_passes() {
        let run = Run::new();
        let verdict = run.check();
        assert_eq!(verdict.problems, Vec::<String>::new());
        let fired: Vec<(&str, u64)> = verdict.fired.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(fired, [("breach", 1), ("escalate", 1), ("flag", 1), ("notify", 1)]);
        assert_eq!((verdict.lines, verdict.closed, verdict.breaches), (6, 1, 1));
        assert_eq!(verdict.actions, 4);
    }

    #[test]
    fn a_lost_or_doubled_event_is_found() {
        let mut run = Run::new();
        run.ledger.remove(3); // T-1's `set`
        let problems = run.check().problems;
        assert!(
            problems.iter().any(|p| p.contains("was accepted, 1 line(s) missing")),
            "{problems:?}"
        );
        assert!(problems.iter().any(|p| p.contains("ticket `T-1`: `")), "{problems:?}");

        let mut run = Run::new();
        let again = run.ledger[3].clone();
        run.ledger.insert(4, again);
        let problems = run.check().problems;
        assert!(
            problems.iter().any(|p| p.contains("in the ledger 1 time(s) more")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_step_fired_twice_or_missed_is_found() {
        let mut run = Run::new();
        let rows = run.timelines.get_mut("T-2").unwrap();
        let breach = rows.iter().position(|r| r["kind"] == "breach").unwrap();
        let twice = rows[breach].clone();
        rows.insert(breach, twice);
        assert_eq!(run.found(), ["ticket `T-2`"]);

        let mut run = Run::new();
        // The stored ticket claims no breach.
        let mut stored: Value = serde_json::from_str(&run.store[1]).unwrap();
        stored["stats"]["breaches"] = Value::from(0);
        run.store[1] = stored.to_string();
        let problems = run.check().problems;
        assert!(problems[0].starts_with("ticket `T-2`: `stats`: engine"), "{problems:?}");
    }

    #[test]
    fn a_missing_or_forged_delivery_is_found() {
        let mut run = Run::new();
        run.received.deliveries.remove("T-2-0");
        let problems = run.check().problems;
        assert!(problems[0].contains("4 actions, 3 deliveries"), "{problems:?}");

        let mut run = Run::new();
        run.received.bad_signatures = 1;
        run.received.deliveries.get_mut("T-2-1").unwrap().accepted = 0;
        let problems = run.check().problems;
        assert!(problems.contains(&"1 requests with a bad signature".to_string()), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.starts_with("delivery `T-2-1`: 1 attempts")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_wrong_answer_is_found() {
        let mut run = Run::new();
        run.events[4].again = Some((200, json!({})));
        let problems = run.check().problems;
        assert!(problems[0].contains("answered 422 then 200"), "{problems:?}");

        let mut run = Run::new();
        run.events[4].answer = json!({"code": "closed"});
        let problems = run.check().problems;
        assert!(
            problems[0].contains("422 closed (expected refusal `not_accepted`)"),
            "{problems:?}"
        );
    }
}
