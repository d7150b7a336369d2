//! The stable codes of diagnostics.

use serde::Serialize;
use std::fmt;

/// Declares [`DiagnosticCode`] from `code: "meaning"` pairs, in code order.
macro_rules! codes {
    ($($code:ident: $meaning:literal,)*) => {
        /// The stable code of a diagnostic, written as it is named (`E0201`) in text and JSON.
        /// Every code is documented in `docs/diagnostics.md`: **E01xx** the structure of a file,
        /// **E02xx** references, **E03xx** the stage graph, **E04xx** values and conditions,
        /// **E05xx** calendar files and holiday notices, **E06xx** scenario files, **E07xx**
        /// policies deployed to `ombud serve`, **W0xxx** warnings.
        ///
        /// ```
        /// use ombud_engine::DiagnosticCode;
        /// assert_eq!(DiagnosticCode::E0201.as_str(), "E0201");
        /// assert_eq!(serde_json::to_string(&DiagnosticCode::W0201).unwrap(), r#""W0201""#);
        /// assert!(DiagnosticCode::ALL.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum DiagnosticCode {
            $(#[doc = $meaning] $code,)*
        }

        impl DiagnosticCode {
            /// Every code, in order.
            ///
            /// ```
            /// use ombud_engine::DiagnosticCode;
            /// assert_eq!(DiagnosticCode::ALL.first(), Some(&DiagnosticCode::E0100));
            /// ```
            pub const ALL: &[DiagnosticCode] = &[$(DiagnosticCode::$code,)*];

            /// The code as written (`E0201`).
            ///
            /// ```
            /// assert_eq!(ombud_engine::DiagnosticCode::E0610.as_str(), "E0610");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self {
                    $(DiagnosticCode::$code => stringify!($code),)*
                }
            }
        }
    };
}

codes! {
    E0100: "The file cannot be read.",
    E0101: "Not valid YAML, not text, or over the size limits.",
    E0102: "The file is empty or not a mapping.",
    E0103: "Unknown key.",
    E0104: "A required key is missing.",
    E0105: "A value of the wrong type.",
    E0106: "Not one of the allowed words.",
    E0107: "A duplicate key.",
    E0108: "An extension with both `by` and `to`, or neither.",
    E0109: "An obligation with both `when` and `start_on`.",
    E0110: "Extensions on a stage without a time limit.",
    E0201: "Unknown stage.",
    E0202: "Unknown tier.",
    E0203: "Unknown field.",
    E0204: "Unknown ladder.",
    E0205: "Unknown artifact.",
    E0206: "Unknown or inconsistent event.",
    E0207: "Listed twice.",
    E0208: "Unknown calendar, or a calendar file with errors.",
    E0209: "An event that is both a transition and an extension of one stage.",
    E0210: "A field or derived value named `stage`, which conditions read as the current stage.",
    E0301: "No terminal stage.",
    E0302: "Unreachable stage.",
    E0303: "A stage from which no terminal stage can be reached.",
    E0304: "A cycle with no exit.",
    E0401: "A condition does not parse.",
    E0402: "Unknown variable in a condition.",
    E0403: "A value not in the enum.",
    E0404: "A duration does not parse.",
    E0405: "A ladder step time does not parse.",
    E0406: "A type mismatch.",
    E0407: "A conditional list has no default.",
    E0408: "Ladder steps out of order.",
    E0409: "A duplicate ladder step.",
    E0410: "A derived value read before it is computed.",
    E0411: "An invalid calendar override.",
    E0412: "A condition that is not a boolean.",
    E0413: "An extension's `max` below 1.",
    E0414: "An extension `to:` that is not longer than the limit it extends.",
    E0420: "A comparison of values of different types.",
    E0430: "A time limit that ends after 9999-12-31.",
    E0431: "A ladder step that falls after 9999-12-31.",
    E0432: "A condition calls a function that does not exist for its arguments.",
    E0500: "A calendar file that is not valid YAML.",
    E0501: "Unknown time zone.",
    E0502: "Overlapping periods or closures, or a make-up day listed twice.",
    E0503: "A make-up working day not on a weekend, or inside a holiday.",
    E0504: "A dated day outside `covers`.",
    E0505: "Unknown or repeated key in a calendar file.",
    E0506: "A bad date, or a range that ends before it starts.",
    E0507: "A calendar `extends` that cannot be resolved.",
    E0508: "A required key of a calendar file is missing.",
    E0509: "Invalid business hours or cutoff.",
    E0510: "An invalid workweek.",
    E0511: "A make-up day for a holiday the file does not define.",
    E0512: "A key a calendar that `extends` another may not set.",
    E0513: "An extra working day that already is one.",
    E0514: "A calendar value of the wrong shape.",
    E0515: "`covers` spans too many days.",
    E0516: "An extending file's `covers` that does not extend the base's forward.",
    E0517: "An extending file's holiday or make-up day inside the base's covered range.",
    E0520: "A holiday notice that cannot be read.",
    E0521: "A date in a notice that does not exist, or days off that end before they start.",
    E0522: "A notice's stated length that does not match the days listed.",
    E0523: "A weekday in a notice that does not match its date.",
    E0524: "A notice's make-up day off a weekend, inside days off or listed twice.",
    E0525: "A holiday the notice reader does not know.",
    E0526: "A notice's year that does not follow the calendar it extends.",
    E0601: "A scenario file that is not valid YAML.",
    E0602: "Unknown key in a scenario.",
    E0603: "A required key of a scenario is missing.",
    E0604: "A scenario value of the wrong type.",
    E0605: "A bad instant in a scenario.",
    E0606: "A bad relative time in a scenario.",
    E0607: "A duplicate key in a scenario.",
    E0608: "A bad `expect` value.",
    E0609: "The scenario's policy cannot be found.",
    E0610: "The policy refuses to open the scenario's ticket.",
    E0611: "`until` is earlier than the last event.",
    E0612: "A scenario event the policy does not declare.",
    E0613: "A scenario field the policy does not have.",
    E0614: "A scenario field value of the wrong type.",
    E0615: "A scenario value that is not one of the enum's values.",
    E0616: "A required field the scenario's ticket does not give.",
    E0701: "A policy deployed to the server that names a calendar file.",
    W0101: "`values` on a field that is not an enum.",
    W0102: "A derive rule that never applies.",
    W0103: "A terminal stage with transitions or a time limit.",
    W0104: "Event names that look like misspellings of each other.",
    W0105: "Artifact names that look like misspellings of each other.",
    W0106: "A name that can be mistaken for another name of the policy.",
    W0107: "A name with an invisible or bidi character.",
    W0108: "A required field with a default.",
    W0109: "An obligation that can never run.",
    W0110: "A keyword that no longer matches the longer words it matched inside.",
    W0201: "The calendar's data ends soon.",
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DiagnosticCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A code compares with its written form.
///
/// ```
/// assert_eq!(ombud_engine::DiagnosticCode::E0404, "E0404");
/// ```
impl PartialEq<&str> for DiagnosticCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
