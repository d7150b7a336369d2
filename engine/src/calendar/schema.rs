//! The JSON Schema of calendar files, for editors (`# yaml-language-server: $schema=…`).
//!
//! Written by hand, like the policy and scenario schemas ([`crate::policy::json_schema`],
//! [`crate::simulate::scenario_json_schema`]), with their helpers. It describes the file's shape
//! only — what the loader checks of each value on its own: keys, required keys (a standalone
//! file's `timezone`, `workweek` and `covers`; an extending file's `extends` without
//! `timezone` and `workweek`), lists and mappings, the forms of dates, business hours, cutoffs
//! and workweek days. What needs the time-zone database (`E0501`), another file (`extends`,
//! `E0507`) or a relation between values (overlaps, ranges, make-up days on weekends, a cutoff
//! after closing, `covers` against the base's) is lint's. `holidays/calendar.schema.json` is this
//! output, and a test keeps the two equal.

use crate::policy::schema::any_case;
use crate::simulate::schema::{DATE, whole};
use serde_json::{Value, json};

/// A time of day as the loader reads one: `H:MM`, `HH:MM` or `HH:MM:SS`, no leap second.
const TIME: &str = "([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?";

/// A text value: any scalar the loader reads as written (`name: 2026` is the text `2026`), not
/// blank.
fn text(description: &str) -> Value {
    json!({ "type": ["string", "number", "boolean"], "pattern": "\\S", "description": description })
}

fn date(description: &str) -> Value {
    json!({ "type": "string", "description": description, "pattern": whole(DATE) })
}

/// A list, or nothing (`holidays:` with no entries).
fn list(description: &str, items: Value) -> Value {
    json!({ "type": ["array", "null"], "description": description, "items": items })
}

/// A holiday period or a closure: one `date`, or `from` and `to`.
fn period(what: &str) -> Value {
    let not = |keys: &[&str]| -> Value {
        json!({ "not": { "anyOf": keys.iter().map(|k| json!({ "required": [k] })).collect::<Vec<_>>() } })
    };
    json!({
        "type": "object",
        "description": format!("{what}: `{{name, name_local?, date}}` for one day, or `{{name, name_local?, from, to}}`."),
        "additionalProperties": false,
        "required": ["name"],
        "properties": {
            "name": text("The name (English), e.g. `Spring Festival`; a make-up day's `for` refers to it."),
            "name_local": text("The name in the local language, e.g. `春节`."),
            "date": date("The one day, `YYYY-MM-DD`."),
            "from": date("The first day, `YYYY-MM-DD`."),
            "to": date("The last day, `YYYY-MM-DD` (inclusive).")
        },
        "oneOf": [
            { "allOf": [{ "required": ["date"] }, not(&["from", "to"])] },
            { "allOf": [{ "required": ["from", "to"] }, not(&["date"])] }
        ]
    })
}

/// The JSON Schema (draft-07) of a calendar file.
///
/// ```
/// let schema = ombud_engine::calendar::calendar_json_schema();
/// assert_eq!(schema["required"][0], "id");
/// ```
pub fn calendar_json_schema() -> Value {
    let day = any_case("(mon|tue|wed|thu|fri|sat|sun)");
    let hours_window = format!("{TIME}\\s*-\\s*({TIME}|24:00(:00)?)");
    let extra_day = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["date"],
        "properties": {
            "date": date("The day, `YYYY-MM-DD`."),
            "name": text("Why it is worked, e.g. `Customer open day`.")
        }
    });
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://example.invalid/ombud/calendar.schema.json",
        "title": "Ombud calendar",
        "description": "A working-day calendar: a time zone, a workweek, the public holidays and make-up working days of a covered range of dates, optionally business hours and a same-day cutoff; or an organisation's (or next year's) additions to a calendar it `extends`.",
        "type": "object",
        "additionalProperties": false,
        "required": ["id"],
        "properties": {
            "id": text("How policies refer to the calendar, e.g. `cn-mainland`."),
            "name": text("A display name."),
            "description": text("Free text."),
            "extends": text("The calendar this file builds on: a bundled id (`cn-mainland`) or a path relative to this file."),
            "timezone": text("An IANA time zone, e.g. `Asia/Shanghai` (not in a file that `extends` another)."),
            "workweek": {
                "type": "array",
                "description": "The days worked in an ordinary week, e.g. `[mon, tue, wed, thu, fri]` (not in a file that `extends` another).",
                "minItems": 1,
                "items": { "type": "string", "pattern": format!("^\\s*{day}") }
            },
            "covers": {
                "description": "The range the holiday data is complete for, `{from, to}`, or `unbounded` (the plain workweek is the whole truth). An extending file may extend its base's range forward.",
                "oneOf": [
                    { "type": "string", "pattern": "^\\s*unbounded\\s*$" },
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["from", "to"],
                        "properties": {
                            "from": date("The first covered day."),
                            "to": date("The last covered day.")
                        }
                    }
                ]
            },
            "hours": {
                "type": "string",
                "description": "Business hours (local time), windows `HH:MM-HH:MM` separated by commas, in order, e.g. `09:00-12:00,13:30-18:00`; a window may end at `24:00`.",
                "pattern": whole(&format!("{hours_window}(\\s*,\\s*{hours_window})*"))
            },
            "cutoff": {
                "type": "string",
                "description": "A ticket received on a working day before this time (`HH:MM`) counts that day as day 1.",
                "pattern": whole(TIME)
            },
            "holidays": list("Periods off, even when they include weekend days.", period("A holiday")),
            "closures": list("An organisation's extra days off: the same shape as `holidays`.", period("A closure")),
            "makeup_workdays": list("Weekend days that are worked, and the holiday they bridge.", json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["date", "for"],
                "properties": {
                    "date": date("The weekend day that is worked."),
                    "for": text("The name of the holiday it is worked for.")
                }
            })),
            "extra_workdays": list("Days worked that would otherwise be off: a date, or `{date, name?}`.", json!({
                "oneOf": [date("The day, `YYYY-MM-DD`."), extra_day]
            })),
            "sources": list("Where the data comes from, one entry per year.", json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["year", "title", "published"],
                "properties": {
                    "year": {
                        "type": ["integer", "string"],
                        "description": "The year the entry covers.",
                        "minimum": i32::MIN,
                        "maximum": i32::MAX,
                        "pattern": "^\\s*[+-]?[0-9]{1,9}\\s*$"
                    },
                    "title": text("The publication's title."),
                    "published": date("When it was published."),
                    "url": text("Where to read it.")
                }
            }))
        },
        "if": { "required": ["extends"] },
        "then": { "not": { "anyOf": [{ "required": ["timezone"] }, { "required": ["workweek"] }] } },
        "else": { "required": ["timezone", "workweek", "covers"] }
    })
}

/// The schema as the pretty-printed JSON text `ombud schema --calendar` prints (with a final
/// newline).
///
/// ```
/// use ombud_engine::calendar::{calendar_json_schema, calendar_json_schema_text};
/// let text = calendar_json_schema_text();
/// let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../holidays/calendar.schema.json");
/// assert_eq!(text, std::fs::read_to_string(file).unwrap()); // what editors point at
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), calendar_json_schema());
/// ```
pub fn calendar_json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&calendar_json_schema()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::calendar::data::{
        COVERS_KEYS, EXTRA_KEYS, MAKEUP_KEYS, PERIOD_KEYS, SOURCE_KEYS, TOP_KEYS,
    };
    use crate::policy::schema::tests::{keys, sorted};

    /// The schema describes exactly the keys the loader accepts, at every level.
    #[test]
    fn schema_keys_match_the_loader() {
        let s = calendar_json_schema();
        let p = &s["properties"];
        assert_eq!(keys(&s), sorted(TOP_KEYS));
        assert_eq!(keys(&p["covers"]["oneOf"][1]), sorted(COVERS_KEYS));
        assert_eq!(keys(&p["holidays"]["items"]), sorted(PERIOD_KEYS));
        assert_eq!(keys(&p["closures"]["items"]), sorted(PERIOD_KEYS));
        assert_eq!(keys(&p["makeup_workdays"]["items"]), sorted(MAKEUP_KEYS));
        assert_eq!(keys(&p["extra_workdays"]["items"]["oneOf"][1]), sorted(EXTRA_KEYS));
        assert_eq!(keys(&p["sources"]["items"]), sorted(SOURCE_KEYS));
    }
}
