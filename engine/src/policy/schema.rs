//! The JSON Schema of the policy language, for editors (`# yaml-language-server: $schema=…`).
//!
//! Written by hand rather than derived: the model carries spans, and several keys accept two
//! forms (`owner: tier` or a conditional list; `on: {event: stage}` or `{to, when}` or a list),
//! which a hand-written schema describes exactly. `policies/schema.json` is this output, and a
//! test keeps the two equal.

use serde_json::{Value, json};

/// A name: any text, as the loader reads it (`12315-complaints`, `承办人`).
fn names(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn condition() -> Value {
    json!({
        "type": "string",
        "description": "A rhai condition over the declared fields and derived values, e.g. `severity == \"major\" && claim_amount >= 10000`."
    })
}

/// The forms of a duration, without anchors (read without regard to case: [`any_case`]).
pub(crate) const DURATION: &str = "(([0-9]+[smh])+|[0-9]+\\s*(wd|wh|cd|seconds?|minutes?|hours?|working\\s+(days?|hours?|minutes?)|calendar\\s+days?))";

fn duration() -> Value {
    json!({
        "type": "string",
        "description": "A time limit: `30m`, `1h`, `72h`, `1h30m` (wall clock); `3 working days` (`3wd`); `8 working hours` (`8wh`); `10 calendar days` (`10cd`).",
        "pattern": format!("^\\s*{}\\s*$", any_case(DURATION))
    })
}

/// `pattern` with each ASCII letter outside an escape matching either case (`wd` → `[wW][dD]`):
/// units are read without regard to case (`3WD`, `72H`, `2 Working Days`), and a JSON Schema
/// pattern has no case-insensitive flag.
pub(crate) fn any_case(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() * 3);
    let (mut escaped, mut in_class) = (false, false);
    for c in pattern.chars() {
        if !escaped && c.is_ascii_alphabetic() {
            // Inside a class (`[smh]`) both cases join the class; outside, a class of two.
            if !in_class {
                out.push('[');
            }
            out.push(c.to_ascii_lowercase());
            out.push(c.to_ascii_uppercase());
            if !in_class {
                out.push(']');
            }
        } else {
            out.push(c);
            if !escaped && c == '[' {
                in_class = true;
            } else if !escaped && c == ']' {
                in_class = false;
            }
        }
        escaped = !escaped && c == '\\';
    }
    out
}

/// The JSON Schema (draft-07) of a policy file.
///
/// ```
/// let schema = ombud_engine::policy::json_schema();
/// assert_eq!(schema["required"][0], "policy");
/// ```
pub fn json_schema() -> Value {
    let tier_ref = json!({ "type": "string", "description": "A tier declared in `tiers`." });
    let target = json!({
        "type": "string",
        "description": "A tier declared in `tiers`, `next` (one above the current owner) or `owner`."
    });
    let transition = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["to"],
        "properties": {
            "to": { "type": "string", "description": "Target stage." },
            "when": condition()
        }
    });
    let calendar = json!({
        "description": "The working-day calendar: a bundled id (e.g. `cn-mainland`) or a path relative to the policy, optionally with business hours, a time zone and a same-day cutoff.",
        "oneOf": [
            { "type": "string" },
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["id"],
                "properties": {
                    "id": { "type": "string" },
                    "hours": { "type": "string", "pattern": "^\\s*\\d\\d:\\d\\d-\\d\\d:\\d\\d(\\s*,\\s*\\d\\d:\\d\\d-\\d\\d:\\d\\d)*\\s*$", "description": "Business hours, e.g. `09:00-12:00,13:30-18:00`." },
                    "timezone": { "type": "string", "description": "IANA time zone, e.g. `Asia/Shanghai`." },
                    "cutoff": { "type": "string", "pattern": "^\\d\\d:\\d\\d$", "description": "A ticket received before this time on a working day counts that day as day 1." }
                }
            }
        ]
    });
    let extensions = json!({
        "type": "array",
        "description": "Events that extend the clock's deadline: `by:` from the current deadline, or `to:` a whole new limit from the clock's start.",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["on"],
            "oneOf": [{ "required": ["by"] }, { "required": ["to"] }],
            "properties": {
                "on": { "type": "string", "description": "The event that extends the clock." },
                "by": duration(),
                "to": duration(),
                "requires": { "type": "array", "items": { "type": "string" }, "description": "Artifacts that must be attached first." },
                "max": { "type": "integer", "minimum": 1, "description": "How many times the entry may extend one clock (default 1)." },
                "when": condition()
            }
        }
    });
    let stages = json!({
        "type": "object",
        "description": "The stages of the procedure.",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "owner": {
                    "description": "The owning tier, or a list of `{when, tier}` ending with an unconditional `{tier}`.",
                    "oneOf": [
                        { "type": "string" },
                        { "type": "array", "items": {
                            "type": "object", "additionalProperties": false, "required": ["tier"],
                            "properties": { "when": condition(), "tier": { "type": "string" } }
                        } }
                    ]
                },
                "due": {
                    "description": "The time limit, or a list of `{when, within}` ending with an unconditional `{within}`.",
                    "oneOf": [
                        duration(),
                        { "type": "array", "items": {
                            "type": "object", "additionalProperties": false, "required": ["within"],
                            "properties": { "when": condition(), "within": duration() }
                        } }
                    ]
                },
                "requires": { "type": "array", "items": { "type": "string" }, "description": "Artifacts that must be attached before leaving the stage." },
                "on": {
                    "type": "object",
                    "description": "Transitions on named events: `event: stage`, `event: {to, when}` or a list of `{to, when}`.",
                    "additionalProperties": {
                        "oneOf": [
                            { "type": "string" },
                            transition,
                            { "type": "array", "items": transition }
                        ]
                    }
                },
                "auto": {
                    "type": "array",
                    "description": "Automatic transitions taken when their condition holds.",
                    "items": {
                        "type": "object", "additionalProperties": false, "required": ["to", "when"],
                        "properties": { "to": { "type": "string" }, "when": condition() }
                    }
                },
                "ladder": { "type": "string", "description": "Ladder name, or `none`." },
                "terminal": { "type": "boolean" },
                "extensions": extensions
            }
        }
    });
    let ladders = json!({
        "type": "object",
        "description": "Escalation ladders: steps in the order they fire.",
        "additionalProperties": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["at", "do"],
                "if": { "properties": { "do": { "enum": ["escalate", "reassign"] } } },
                "then": { "required": ["to"] },
                "properties": {
                    "at": {
                        "type": "string",
                        "description": "`80%` of the time limit, `deadline`, `deadline + 1 working day` or `deadline - 2h`.",
                        "pattern": format!("^\\s*([0-9]+(\\.[0-9]+)?%|deadline(\\s*[-+]\\s*{})?)\\s*$", any_case(DURATION))
                    },
                    "do": { "enum": ["flag", "notify", "escalate", "reassign"] },
                    "to": target,
                    "notify": target,
                    "mark": { "type": "string", "description": "Performance mark recorded against the owner." },
                    "when": condition()
                }
            }
        }
    });
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://example.invalid/ombud/schema.json",
        "title": "Ombud policy",
        "description": "A complaint-handling policy: stages, time limits, escalation ladders, tiers and joint groups.",
        "type": "object",
        "additionalProperties": false,
        "required": ["policy", "calendar", "tiers", "start", "stages"],
        "properties": {
            "policy": names("Policy id."),
            "version": { "type": "string", "description": "Policy version; tickets pin it." },
            "title": { "type": "string" },
            "calendar": calendar,
            "fields": {
                "type": "object",
                "description": "Ticket data visible to conditions, typed.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["type"],
                    "properties": {
                        "type": { "enum": ["string", "number", "int", "bool", "enum", "list", "map"] },
                        "required": { "type": "boolean", "description": "Opening a ticket without it is refused (`missing_field`)." },
                        "values": { "type": "array", "items": { "type": "string" }, "description": "The allowed values of an enum." },
                        "default": { "description": "Value used when a ticket does not give one (must match the type)." }
                    }
                }
            },
            "derive": {
                "type": "object",
                "description": "Computed fields: the first rule that matches gives the value.",
                "additionalProperties": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["value"],
                        "properties": {
                            "value": { "type": ["string", "number", "integer", "boolean"] },
                            "keywords": { "type": "array", "items": { "type": "string" }, "description": "Matches when any keyword occurs in the fields searched: whole words and phrases across inflections in Latin-script text, substrings in CJK text." },
                            "unless": { "type": "array", "items": { "type": "string" }, "description": "Words that veto the rule when any occurs (matched as keywords are)." },
                            "in": { "type": "array", "items": { "type": "string" }, "description": "The string or list fields searched (default: every string field)." },
                            "when": condition()
                        }
                    }
                }
            },
            "tiers": { "type": "array", "items": names("A responsibility tier."), "description": "Responsibility tiers, lowest first." },
            "artifacts": { "type": "array", "items": { "type": "string" }, "description": "Optional: every artifact `requires` may name." },
            "events": { "type": "array", "items": { "type": "string" }, "description": "Optional: every event name the policy may use." },
            "groups": {
                "type": "object",
                "description": "Joint handling groups for cross-department tickets.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["lead", "members"],
                    "properties": {
                        "when": condition(),
                        "lead": tier_ref,
                        "members": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["tier", "per"],
                            "properties": {
                                "tier": tier_ref,
                                "per": { "type": "string", "description": "A list field: one member per value." }
                            }
                        },
                        "stages": { "type": "array", "items": { "type": "string" } },
                        "complete": { "enum": ["all", "any", "lead"] }
                    }
                }
            },
            "ladders": ladders,
            "ladder": { "type": "string", "description": "Default ladder for every stage with `due`." },
            "start": { "type": "string", "description": "The stage every ticket starts in." },
            "stages": stages,
            "obligations": {
                "type": "object",
                "description": "Clocks that run beside the stages.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["due", "owner", "done_on"],
                    "properties": {
                        "when": condition(),
                        "start_on": { "type": "string", "description": "The event that starts it (instead of `when`)." },
                        "due": duration(),
                        "owner": { "type": "string" },
                        "done_on": { "type": "string", "description": "The event that discharges it." },
                        "ladder": { "type": "string", "description": "The ladder its clock runs (none without it)." },
                        "extensions": extensions
                    },
                    "not": { "required": ["when", "start_on"] }
                }
            },
            "pause": {
                "type": "array",
                "description": "Events that stop and resume the current stage's clock.",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["on", "resume_on"],
                    "properties": {
                        "on": { "type": "string" },
                        "resume_on": { "type": "string" },
                        "resume": { "enum": ["remaining", "restart"] },
                        "stages": { "type": "array", "items": { "type": "string" }, "description": "The stages in which `on` pauses (every stage without it)." }
                    }
                }
            }
        }
    })
}

/// The schema as the pretty-printed JSON text `ombud schema` prints (with a final newline).
///
/// ```
/// use ombud_engine::policy::{json_schema, json_schema_text};
/// let text = json_schema_text();
/// let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/schema.json");
/// assert_eq!(text, std::fs::read_to_string(file).unwrap()); // what editors point at
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), json_schema());
/// ```
pub fn json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::json_schema;
    use crate::policy::convert::*;
    use serde_json::Value;

    /// The keys a schema object lists under `properties`, sorted.
    pub(crate) fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v["properties"].as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    /// `list` as owned strings, sorted.
    pub(crate) fn sorted(list: &[&str]) -> Vec<String> {
        let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    }

    /// The schema describes exactly the keys the loader accepts, at every level.
    #[test]
    fn schema_keys_match_the_loader() {
        let s = json_schema();
        let p = &s["properties"];
        assert_eq!(keys(&s), sorted(TOP_KEYS));
        assert_eq!(keys(&p["calendar"]["oneOf"][1]), sorted(CALENDAR_KEYS));
        assert_eq!(keys(&p["fields"]["additionalProperties"]), sorted(FIELD_KEYS));
        assert_eq!(keys(&p["derive"]["additionalProperties"]["items"]), sorted(RULE_KEYS));
        let group = &p["groups"]["additionalProperties"];
        assert_eq!(keys(group), sorted(GROUP_KEYS));
        assert_eq!(keys(&group["properties"]["members"]), sorted(MEMBER_KEYS));
        assert_eq!(keys(&p["ladders"]["additionalProperties"]["items"]), sorted(STEP_KEYS));
        let stage = &p["stages"]["additionalProperties"];
        assert_eq!(keys(stage), sorted(STAGE_KEYS));
        assert_eq!(keys(&stage["properties"]["owner"]["oneOf"][1]["items"]), sorted(OWNER_KEYS));
        assert_eq!(keys(&stage["properties"]["due"]["oneOf"][1]["items"]), sorted(DUE_KEYS));
        let on = &stage["properties"]["on"]["additionalProperties"]["oneOf"][1];
        assert_eq!(keys(on), sorted(TRANSITION_KEYS));
        assert_eq!(keys(&p["obligations"]["additionalProperties"]), sorted(OBLIGATION_KEYS));
        assert_eq!(keys(&p["pause"]["items"]), sorted(PAUSE_KEYS));
    }
}
