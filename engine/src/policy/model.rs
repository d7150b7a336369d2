//! The typed model of a policy file, as written: names and references are still strings,
//! durations and conditions still text, and every value keeps the span a check may point at.
//!
//! Built from the YAML tree by `convert`; turned into a
//! [`CompiledPolicy`](crate::compile::CompiledPolicy) by [`compile`](crate::compile::compile).

use crate::check::Span;
use crate::compile::{Completion, LadderAction, ResumeMode};
use crate::yaml::Node;

/// A value and the span it was written at.
///
/// ```
/// use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "policy: refunds\nstart: open\n";
/// let (file, _missing_keys) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let start = file.start.unwrap();
/// assert_eq!(start.value, "open");
/// assert_eq!((start.span.line, start.span.column), (2, 8));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it is in the source (for strings: the whole scalar, quotes included).
    pub span: Span,
}

impl<T> At<T> {
    /// `value` at `span`.
    ///
    /// ```
    /// use ombud_engine::{check::Span, policy::model::At};
    /// let tier = At::new("supervisor".to_string(), Span::new(4, 10, 52, 10));
    /// assert_eq!((tier.as_str(), tier.span.line), ("supervisor", 4));
    /// ```
    pub fn new(value: T, span: Span) -> Self {
        At { value, span }
    }
}

impl At<String> {
    /// The text.
    ///
    /// ```
    /// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
    /// let (file, _) = convert(&parse_tree("tiers: [agent, lead]", Document::Policy).unwrap());
    /// let tiers: Vec<&str> = file.tiers.iter().map(|t| t.as_str()).collect();
    /// assert_eq!(tiers, ["agent", "lead"]);
    /// ```
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// A whole policy file.
///
/// ```
/// use ombud_engine::policy::{convert::convert, model::PolicyFile};
/// # use ombud_engine::yaml::{Document, parse_tree};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// let text = std::fs::read_to_string(path).unwrap();
/// let (file, diags): (PolicyFile, _) = convert(&parse_tree(&text, Document::Policy).unwrap());
/// assert!(diags.is_empty());
/// assert_eq!(file.policy.unwrap().value, "service-complaints");
/// assert_eq!((file.stages.len(), file.ladder.unwrap().value.as_str()), (7, "standard"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct PolicyFile {
    /// `policy:` id.
    pub policy: Option<At<String>>,
    /// `version:`.
    pub version: Option<At<String>>,
    /// `title:`.
    pub title: Option<At<String>>,
    /// `calendar:`.
    pub calendar: Option<CalendarSpec>,
    /// `fields:`.
    pub fields: Vec<FieldSpec>,
    /// `derive:`.
    pub derive: Vec<DeriveSpec>,
    /// `tiers:`, lowest first.
    pub tiers: Vec<At<String>>,
    /// Span of the `tiers:` value, if present (even when it is not a valid list).
    pub tiers_span: Option<Span>,
    /// `artifacts:` (optional declaration of every artifact name `requires` may use).
    pub artifacts: Option<Vec<At<String>>>,
    /// `events:` (optional declaration of every event name the policy may use).
    pub events: Option<Vec<At<String>>>,
    /// `groups:`.
    pub groups: Vec<GroupSpec>,
    /// `ladders:`.
    pub ladders: Vec<LadderSpec>,
    /// `ladder:` (default ladder).
    pub ladder: Option<At<String>>,
    /// `start:`.
    pub start: Option<At<String>>,
    /// `stages:`.
    pub stages: Vec<StageSpec>,
    /// `obligations:`.
    pub obligations: Vec<ObligationSpec>,
    /// `pause:`.
    pub pause: Vec<PauseSpec>,
    /// Span of the whole document.
    pub span: Span,
    /// Span of the `stages:` key, if present.
    pub stages_key: Option<Span>,
}

/// `calendar:` — an id or path, optionally with overrides.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "calendar: { id: cn-mainland, hours: \"09:00-17:00\", cutoff: \"16:00\" }";
/// let calendar = convert(&parse_tree(text, Document::Policy).unwrap()).0.calendar.unwrap();
/// assert_eq!(calendar.id.value, "cn-mainland");
/// assert_eq!(calendar.cutoff.map(|c| c.value).as_deref(), Some("16:00"));
/// assert!(calendar.timezone.is_none());
/// ```
#[derive(Debug, Clone)]
pub struct CalendarSpec {
    /// Bundled id or path relative to the policy file.
    pub id: At<String>,
    /// `hours: "09:00-12:00,13:30-18:00"`.
    pub hours: Option<At<String>>,
    /// `timezone: Asia/Shanghai`.
    pub timezone: Option<At<String>>,
    /// `cutoff: "16:00"`.
    pub cutoff: Option<At<String>>,
}

/// Declared type of a field, as written.
///
/// ```
/// use ombud_engine::policy::model::FieldTypeName;
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let tree = parse_tree("fields: { amount: { type: number } }", Document::Policy).unwrap();
/// let amount = &convert(&tree).0.fields[0];
/// assert_eq!(amount.ty.as_ref().map(|t| t.value), Some(FieldTypeName::Number));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldTypeName {
    /// `string`
    String,
    /// `number`
    Number,
    /// `int`
    Int,
    /// `bool`
    Bool,
    /// `enum`
    Enum,
    /// `list`
    List,
    /// `map`
    Map,
}

impl FieldTypeName {
    /// Every type name, as written.
    ///
    /// ```
    /// use ombud_engine::policy::model::FieldTypeName;
    /// assert_eq!(FieldTypeName::NAMES.join(" "), "string number int bool enum list map");
    /// assert!(FieldTypeName::NAMES.iter().all(|n| FieldTypeName::parse(n).is_some()));
    /// ```
    pub const NAMES: [&'static str; 7] = ["string", "number", "int", "bool", "enum", "list", "map"];

    /// The type named `s`.
    ///
    /// ```
    /// use ombud_engine::policy::model::FieldTypeName;
    /// assert_eq!(FieldTypeName::parse("bool"), Some(FieldTypeName::Bool));
    /// assert_eq!(FieldTypeName::parse("float"), None); // a decimal field is a `number`
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => Self::String,
            "number" => Self::Number,
            "int" => Self::Int,
            "bool" => Self::Bool,
            "enum" => Self::Enum,
            "list" => Self::List,
            "map" => Self::Map,
            _ => return None,
        })
    }
}

/// One entry of `fields:`.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, NodeKind, parse_tree}};
/// let text = "fields:\n  channel: { type: enum, values: [app, web], default: app }\n";
/// let (file, _) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let channel = &file.fields[0];
/// let values: Vec<&str> = channel.values.iter().map(|v| v.as_str()).collect();
/// assert_eq!((channel.name.as_str(), values), ("channel", vec!["app", "web"]));
/// assert_eq!(channel.default.as_ref().unwrap().kind, NodeKind::Str("app".into()));
/// ```
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// Field name.
    pub name: At<String>,
    /// `type:`.
    pub ty: Option<At<FieldTypeName>>,
    /// `values:` of an enum.
    pub values: Vec<At<String>>,
    /// `default:`.
    pub default: Option<Node>,
}

/// One entry of `derive:`.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "
/// derive:
///   urgent:
///     - { value: true, when: 'amount > 100' }
///     - { value: false }
/// ";
/// let derive = convert(&parse_tree(text, Document::Policy).unwrap()).0.derive;
/// assert_eq!((derive[0].name.as_str(), derive[0].rules.len()), ("urgent", 2));
/// ```
#[derive(Debug, Clone)]
pub struct DeriveSpec {
    /// The computed field's name.
    pub name: At<String>,
    /// Rules, first match wins.
    pub rules: Vec<DeriveRuleSpec>,
}

/// One derive rule.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "derive:\n  category:\n    - { value: fees, keywords: [bill, overcharge] }\n";
/// let (file, _) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let rule = &file.derive[0].rules[0];
/// assert_eq!(rule.keywords[1].as_str(), "overcharge");
/// assert_eq!((rule.span.line, rule.when.is_none()), (3, true));
/// ```
#[derive(Debug, Clone)]
pub struct DeriveRuleSpec {
    /// `value:`.
    pub value: Option<Node>,
    /// `keywords:`.
    pub keywords: Vec<At<String>>,
    /// `when:`.
    pub when: Option<At<String>>,
    /// The rule's span.
    pub span: Span,
}

/// One entry of `groups:`.
///
/// ```
/// use ombud_engine::compile::Completion;
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "groups:\n  joint: { lead: head, members: { tier: clerk, per: depts }, \
///             complete: any }";
/// let (file, _) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let joint = &file.groups[0];
/// assert_eq!(joint.per.as_ref().unwrap().as_str(), "depts");
/// assert_eq!(joint.complete.as_ref().map(|c| c.value), Some(Completion::Any));
/// ```
#[derive(Debug, Clone)]
pub struct GroupSpec {
    /// Group name.
    pub name: At<String>,
    /// `when:`.
    pub when: Option<At<String>>,
    /// `lead:` tier.
    pub lead: Option<At<String>>,
    /// `members: { tier }`.
    pub member_tier: Option<At<String>>,
    /// `members: { per }`.
    pub per: Option<At<String>>,
    /// `stages:`.
    pub stages: Vec<At<String>>,
    /// `complete:`.
    pub complete: Option<At<Completion>>,
    /// The group's span.
    pub span: Span,
}

/// One entry of `ladders:`.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "
/// ladders:
///   quick:
///     - { at: 50%, do: flag }
///     - { at: deadline, do: notify, notify: owner }
/// ";
/// let quick = &convert(&parse_tree(text, Document::Policy).unwrap()).0.ladders[0];
/// assert_eq!((quick.name.as_str(), quick.steps.len()), ("quick", 2));
/// ```
#[derive(Debug, Clone)]
pub struct LadderSpec {
    /// Ladder name.
    pub name: At<String>,
    /// Steps as written.
    pub steps: Vec<StepSpec>,
}

/// One ladder step.
///
/// ```
/// use ombud_engine::compile::LadderAction;
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "ladders:\n  slow: [{ at: deadline + 1 working day, do: escalate, to: next }]";
/// let (file, _) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let step = &file.ladders[0].steps[0];
/// // `at:` is still text here; it is parsed when the policy is compiled.
/// assert_eq!(step.at.as_ref().unwrap().as_str(), "deadline + 1 working day");
/// assert_eq!(step.action.as_ref().unwrap().value, LadderAction::Escalate);
/// ```
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// `at:`.
    pub at: Option<At<String>>,
    /// `do:`.
    pub action: Option<At<LadderAction>>,
    /// `to:`.
    pub to: Option<At<String>>,
    /// `notify:`.
    pub notify: Option<At<String>>,
    /// `mark:`.
    pub mark: Option<At<String>>,
    /// `when:`.
    pub when: Option<At<String>>,
    /// The step's span.
    pub span: Span,
}

/// One entry of a conditional list (`owner:` or `due:`), or the plain form.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = r#"
/// stages:
///   handle:
///     owner: supervisor
///     due:
///       - { when: 'severity == "major"', within: 7 working days }
///       - { within: 3 working days }
/// "#;
/// let handle = &convert(&parse_tree(text, Document::Policy).unwrap()).0.stages[0];
/// assert!(handle.owner.len() == 1 && handle.owner[0].when.is_none()); // the plain form
/// let major = &handle.due[0];
/// assert_eq!(major.when.as_ref().unwrap().as_str(), r#"severity == "major""#);
/// assert_eq!((major.value.as_ref().unwrap().as_str(), major.span.line), ("7 working days", 6));
/// ```
#[derive(Debug, Clone)]
pub struct CondSpec {
    /// `when:`.
    pub when: Option<At<String>>,
    /// `tier:` / `within:` (or the plain value).
    pub value: Option<At<String>>,
    /// The entry's span.
    pub span: Span,
}

/// One transition (`on:` entry or `auto:` entry).
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "
/// stages:
///   open:
///     on: { done: [{ to: vip, when: 'vip' }, { to: closed }] }
///     auto: [{ to: closed, when: 'spam' }]
/// ";
/// let open = &convert(&parse_tree(text, Document::Policy).unwrap()).0.stages[0];
/// let targets: Vec<&str> = open.on.iter().map(|t| t.to.as_ref().unwrap().as_str()).collect();
/// assert_eq!(targets, ["vip", "closed"]); // both on event `done`, first guard that holds wins
/// assert_eq!(open.auto[0].event, None);
/// ```
#[derive(Debug, Clone)]
pub struct TransitionSpec {
    /// Event name (`None` for `auto:`).
    pub event: Option<At<String>>,
    /// Target stage.
    pub to: Option<At<String>>,
    /// Guard / condition.
    pub when: Option<At<String>>,
    /// The entry's span.
    pub span: Span,
}

/// One entry of `stages:`.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "
/// stages:
///   verify: { owner: frontline, due: 24h, requires: [report], ladder: none }
///   archive: { terminal: true }
/// ";
/// let (file, _) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let names: Vec<&str> = file.stages.iter().map(|s| s.name.as_str()).collect();
/// assert_eq!(names, ["verify", "archive"]);
/// assert_eq!(file.stages[0].ladder.as_ref().unwrap().as_str(), "none");
/// ```
#[derive(Debug, Clone)]
pub struct StageSpec {
    /// Stage name.
    pub name: At<String>,
    /// `owner:` (one unconditional entry for the plain form).
    pub owner: Vec<CondSpec>,
    /// Span of the `owner:` value.
    pub owner_span: Option<Span>,
    /// `due:`.
    pub due: Vec<CondSpec>,
    /// Span of the `due:` value.
    pub due_span: Option<Span>,
    /// `requires:`.
    pub requires: Vec<At<String>>,
    /// `on:`.
    pub on: Vec<TransitionSpec>,
    /// `auto:`.
    pub auto: Vec<TransitionSpec>,
    /// `ladder:` (`none` disables the default).
    pub ladder: Option<At<String>>,
    /// `terminal:`.
    pub terminal: Option<At<bool>>,
    /// The stage's span (its value).
    pub span: Span,
}

impl StageSpec {
    /// Whether the stage is marked terminal.
    ///
    /// ```
    /// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
    /// let text = "stages: { a: { owner: x }, b: { terminal: true }, c: { terminal: false } }";
    /// let stages = convert(&parse_tree(text, Document::Policy).unwrap()).0.stages;
    /// let terminal: Vec<bool> = stages.iter().map(|s| s.is_terminal()).collect();
    /// assert_eq!(terminal, [false, true, false]);
    /// ```
    pub fn is_terminal(&self) -> bool {
        self.terminal.as_ref().is_some_and(|t| t.value)
    }
}

/// One entry of `obligations:`.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "obligations:\n  statement: { due: 72h, owner: management, done_on: published }";
/// let (file, _) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let statement = &file.obligations[0];
/// assert_eq!(statement.due.as_ref().unwrap().as_str(), "72h"); // parsed when compiled
/// assert!(statement.when.is_none()); // starts when the ticket opens
/// ```
#[derive(Debug, Clone)]
pub struct ObligationSpec {
    /// Name.
    pub name: At<String>,
    /// `when:`.
    pub when: Option<At<String>>,
    /// `due:`.
    pub due: Option<At<String>>,
    /// `owner:`.
    pub owner: Option<At<String>>,
    /// `done_on:`.
    pub done_on: Option<At<String>>,
    /// The obligation's span.
    pub span: Span,
}

/// One entry of `pause:`.
///
/// ```
/// # use ombud_engine::{policy::convert::convert, yaml::{Document, parse_tree}};
/// let text = "pause: [{ on: on_hold, resume_on: off_hold }]";
/// let pause = &convert(&parse_tree(text, Document::Policy).unwrap()).0.pause[0];
/// assert_eq!(pause.on.as_ref().unwrap().as_str(), "on_hold");
/// assert_eq!(pause.resume, None); // compiled as `ResumeMode::Remaining`
/// ```
#[derive(Debug, Clone)]
pub struct PauseSpec {
    /// `on:`.
    pub on: Option<At<String>>,
    /// `resume_on:`.
    pub resume_on: Option<At<String>>,
    /// `resume:`.
    pub resume: Option<At<ResumeMode>>,
    /// The entry's span.
    pub span: Span,
}
