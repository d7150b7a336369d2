//! The JSON Schema of scenario files, for editors (`# yaml-language-server: $schema=…`).
//!
//! Written by hand, like the policy schema ([`crate::policy::json_schema`]), and for the same
//! reasons: several keys take two forms (`breaches: 1` or `breaches: [handle]`; an instant or
//! a relative time). It describes the file's shape only — what [`super::Scenario::parse`]
//! checks. What needs the policy (its events, fields and values, `E0612`–`E0616`), another file
//! (`E0609`) or a relation between values (`until` before the last event, `E0611`) is lint's.
//! `policies/scenario.schema.json` is this output, and a test keeps the two equal.

use crate::policy::schema::{DURATION, any_case};
use serde_json::{Value, json};

/// A real date `YYYY-MM-DD`: day 31 only in months that have it, 29 February only in leap years
/// (divisible by 4, and not by 100 unless by 400). Calendar files write their dates so.
macro_rules! date_pattern {
    () => {
        concat!(
            "([0-9]{4}-(",
            "(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)",
            "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[048]|[2468][048]|[13579][26])00)-02-29)",
        )
    };
}

/// A real date `YYYY-MM-DD` ([`date_pattern`]), without anchors.
pub(crate) const DATE: &str = date_pattern!();

/// An RFC 3339 instant with its offset, as `chrono`'s `parse_from_rfc3339` reads it: a real date
/// ([`DATE`]), a `T`, `t` or space between date and time, optional fractional seconds, `Z`/`z`
/// or `±hh:mm` (the minus may be U+2212); the second is never 60 (a leap second is refused).
const INSTANT: &str = concat!(
    date_pattern!(),
    "[tT ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?",
    "([zZ]|[-+\u{2212}]([01][0-9]|2[0-3]):[0-5][0-9])",
);

/// `text` as a whole value, with the blanks around it that the loader trims.
pub(crate) fn whole(text: &str) -> String {
    format!("^\\s*({text})\\s*$")
}

/// A name, as the loader reads one: text, or a plain integer taken as written (`event: 12`).
fn name(description: &str) -> Value {
    json!({ "type": ["string", "integer"], "description": description })
}

fn instant(description: &str) -> Value {
    json!({ "type": "string", "description": description, "pattern": whole(INSTANT) })
}

/// An absolute instant, or `+` and a duration of the policy language.
fn time(description: &str) -> Value {
    let relative = format!("\\+\\s*{}", any_case(DURATION));
    json!({
        "type": "string",
        "description": description,
        "pattern": whole(&format!("{INSTANT}|{relative}"))
    })
}

/// A count (`breaches: 1`) or a list of names (`breaches: [handle]`).
fn count_or_names(description: &str) -> Value {
    json!({
        "description": description,
        "oneOf": [
            { "type": "integer", "minimum": 0, "maximum": u32::MAX },
            { "type": "array", "items": name("A name.") }
        ]
    })
}

/// The JSON Schema (draft-07) of a scenario file.
///
/// ```
/// let schema = ombud_engine::simulate::scenario_json_schema();
/// assert_eq!(schema["required"][0], "ticket");
/// ```
pub fn scenario_json_schema() -> Value {
    let event_number = json!({ "type": "integer", "minimum": 1, "maximum": u32::MAX });
    let expect = json!({
        "type": "object",
        "description": "What must hold at `until`; `ombud test` checks each key.",
        "additionalProperties": false,
        "properties": {
            "stage": name("The stage at `until`."),
            "final_stage": name("The same as `stage`."),
            "tier": name("The responsible tier at `until`."),
            "assignee": name("The person handling the ticket at `until`, or `none`."),
            "closed": { "type": "boolean", "description": "Whether the ticket reached a terminal stage." },
            "provisional": { "type": "boolean", "description": "Whether any instant rests on days beyond the calendar's data." },
            "breaches": count_or_names("`breach` rows: a count, or the stage or obligation of each."),
            "escalations": count_or_names("`escalate` rows: a count, or the tier after each step."),
            "flags": count_or_names("`flag` rows: a count, or the stage of each."),
            "marks": count_or_names("Performance marks: a count, or the tier each was recorded against."),
            "mark_assignees": { "type": "array", "items": name("A person, or `none`."), "description": "The person each performance mark was recorded against, in order." },
            "deadlines": {
                "type": "object",
                "description": "The deadline of the last visit of each stage, or of an obligation, by name: absolute instants.",
                "additionalProperties": instant("An RFC 3339 instant with its offset.")
            },
            "rejected": {
                "description": "Exactly these events were refused, in order (`[]` or `0`: none was).",
                "oneOf": [
                    { "const": 0 },
                    { "type": "array", "items": { "oneOf": [
                        { "type": "string", "description": "An event name." },
                        { "description": "A 1-based event number in file order.", "allOf": [event_number] },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "properties": {
                                "index": event_number,
                                "event": name("The event name."),
                                "code": name("The rejection code, e.g. `not_accepted`.")
                            }
                        }
                    ] } }
                ]
            }
        }
    });
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://example.invalid/ombud/scenario.schema.json",
        "title": "Ombud scenario",
        "description": "A what-if scenario: one ticket opened under a policy, the events it receives, how long the clock runs, and what must hold at the end.",
        "type": "object",
        "additionalProperties": false,
        "required": ["ticket"],
        "properties": {
            "policy": name("The policy file, relative to this file (`ombud simulate --policy` overrides it)."),
            "title": name("A one-line title."),
            "description": name("What the scenario shows."),
            "ticket": {
                "type": "object",
                "description": "The ticket the scenario opens.",
                "additionalProperties": false,
                "required": ["at"],
                "properties": {
                    "id": name("Ticket id (default `T-1`)."),
                    "at": instant("When the complaint was received: an RFC 3339 instant with its offset, e.g. `2026-02-13T17:30:00+08:00`."),
                    "fields": { "type": "object", "description": "Ticket fields, checked against the policy's `fields:`." }
                }
            },
            "events": {
                "type": ["array", "null"],
                "description": "The events, in order.",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["at", "event"],
                    "properties": {
                        "at": time("An instant, or `+` and a duration after the previous event (`+20m`, `+1 working day`), counted on the policy's calendar."),
                        "event": name("The event: a transition, pause, resume, extension or obligation event of the policy, or `attach`, `set`, `member_done`, `reassign`."),
                        "artifact": name("For `attach`: the artifact."),
                        "data": { "type": "object", "description": "For `set`: the fields to change." },
                        "member": name("For `member_done`: the group member."),
                        "to": name("For `reassign`: the tier."),
                        "assignee": name("For `reassign`: the person who takes the ticket."),
                        "by": name("Who sent the event (free text for the audit trail).")
                    }
                }
            },
            "until": time("Run the clock to this instant after the last event: absolute, or `+` and a duration after the last event."),
            "expect": expect
        }
    })
}

/// The schema as the pretty-printed JSON text `ombud schema --scenario` prints (with a final
/// newline).
///
/// ```
/// use ombud_engine::simulate::{scenario_json_schema, scenario_json_schema_text};
/// let text = scenario_json_schema_text();
/// let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/scenario.schema.json");
/// assert_eq!(text, std::fs::read_to_string(file).unwrap()); // what editors point at
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), scenario_json_schema());
/// ```
pub fn scenario_json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&scenario_json_schema()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::scenario::{
        EVENT_KEYS, EXPECT_KEYS, REJECTED_KEYS, TICKET_KEYS, TOP_KEYS,
    };

    use crate::policy::schema::tests::{keys, sorted};

    /// The schema describes exactly the keys the loader accepts, at every level.
    #[test]
    fn schema_keys_match_the_loader() {
        let s = scenario_json_schema();
        let p = &s["properties"];
        assert_eq!(keys(&s), sorted(&TOP_KEYS));
        assert_eq!(keys(&p["ticket"]), sorted(&TICKET_KEYS));
        assert_eq!(keys(&p["events"]["items"]), sorted(&EVENT_KEYS));
        assert_eq!(keys(&p["expect"]), sorted(&EXPECT_KEYS));
        let entry = &p["expect"]["properties"]["rejected"]["oneOf"][1]["items"]["oneOf"][2];
        assert_eq!(keys(entry), sorted(&REJECTED_KEYS));
    }
}
