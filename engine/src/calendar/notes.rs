//! What a calendar's data says about a dated day: the holiday, closure or make-up arrangement
//! that gives it its kind, with the names the file uses.

use serde::Serialize;
use std::fmt;

/// Why a dated day of a calendar is off or worked, as the calendar file says.
///
/// Every day whose kind differs from the plain workweek (a holiday, a closure, a make-up or
/// extra working day) carries one; ordinary workdays and weekends carry none.
///
/// ```
/// use ombud_engine::calendar::{Calendar, DayNote};
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let d = |s: &str| s.parse().unwrap();
/// let festival = cn.day_note(d("2026-02-16")).unwrap();
/// assert_eq!(festival.to_string(), "Spring Festival 春节, holiday");
/// let saturday = cn.day_note(d("2026-02-14")).unwrap();
/// assert_eq!(saturday.to_string(), "make-up working day for Spring Festival 春节");
/// assert!(matches!(saturday, DayNote::MakeupWorkday { bridges, .. } if bridges == "Spring Festival"));
/// assert_eq!(cn.day_note(d("2026-02-13")), None); // an ordinary Friday
/// let json = serde_json::to_string(saturday).unwrap();
/// assert_eq!(json, r#"{"reason":"makeup_workday","for":"Spring Festival","name_local":"春节"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DayNote {
    /// A day of a public holiday period (`holidays`).
    Holiday {
        /// The period's name, e.g. `Spring Festival`.
        name: String,
        /// Its name in the local language, e.g. `春节`.
        #[serde(skip_serializing_if = "Option::is_none")]
        name_local: Option<String>,
    },
    /// A day of an organisation's closure (`closures`).
    Closure {
        /// The closure's name.
        name: String,
        /// Its name in the local language.
        #[serde(skip_serializing_if = "Option::is_none")]
        name_local: Option<String>,
    },
    /// A weekend day worked to bridge a holiday (`makeup_workdays`).
    MakeupWorkday {
        /// The holiday it bridges (its `for`).
        #[serde(rename = "for")]
        bridges: String,
        /// The local name of that holiday, when the file gives one.
        #[serde(skip_serializing_if = "Option::is_none")]
        name_local: Option<String>,
    },
    /// A day an organisation works that would otherwise be off (`extra_workdays`).
    ExtraWorkday {
        /// Its name, if the file gives one.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

impl fmt::Display for DayNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = |l: &Option<String>| l.as_ref().map(|l| format!(" {l}")).unwrap_or_default();
        match self {
            DayNote::Holiday { name, name_local } => {
                write!(f, "{name}{}, holiday", local(name_local))
            }
            DayNote::Closure { name, name_local } => {
                write!(f, "{name}{}, closure", local(name_local))
            }
            DayNote::MakeupWorkday { bridges, name_local } => {
                write!(f, "make-up working day for {bridges}{}", local(name_local))
            }
            DayNote::ExtraWorkday { name: Some(name) } => write!(f, "{name}, extra working day"),
            DayNote::ExtraWorkday { name: None } => f.write_str("extra working day"),
        }
    }
}
