//! The typed model of a policy file, as written: names and references are still strings,
//! durations and conditions still text, and every value keeps the span a check may point at.
//!
//! Built from the YAML tree by `convert`; turned into a
//! [`CompiledPolicy`](crate::compile::CompiledPolicy) by [`compile`](crate::compile::compile).

use crate::check::Span;
use crate::compile::{Completion, LadderAction, ResumeMode};
use crate::yaml::Node;

/// A value and the span it was written at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct At<T> {
    /// The value.
    pub value: T,
    /// Where it is in the source (for strings: the whole scalar, quotes included).
    pub span: Span,
}

impl<T> At<T> {
    /// `value` at `span`.
    pub(crate) fn new(value: T, span: Span) -> Self {
        At { value, span }
    }
}

impl At<String> {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.value
    }
}

/// A whole policy file.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyFile {
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
#[derive(Debug, Clone)]
pub(crate) struct CalendarSpec {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldTypeName {
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
    pub(crate) const NAMES: [&'static str; 7] =
        ["string", "number", "int", "bool", "enum", "list", "map"];

    /// The type named `s`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
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
#[derive(Debug, Clone)]
pub(crate) struct FieldSpec {
    /// Field name.
    pub name: At<String>,
    /// `type:`.
    pub ty: Option<At<FieldTypeName>>,
    /// `values:` of an enum.
    pub values: Vec<At<String>>,
    /// `default:`.
    pub default: Option<Node>,
    /// `required: true`.
    pub required: Option<At<bool>>,
}

/// One entry of `derive:`.
#[derive(Debug, Clone)]
pub(crate) struct DeriveSpec {
    /// The computed field's name.
    pub name: At<String>,
    /// Rules, first match wins.
    pub rules: Vec<DeriveRuleSpec>,
}

/// One derive rule.
#[derive(Debug, Clone)]
pub(crate) struct DeriveRuleSpec {
    /// `value:`.
    pub value: Option<Node>,
    /// `keywords:`.
    pub keywords: Vec<At<String>>,
    /// `unless:`: words that veto the rule.
    pub unless: Vec<At<String>>,
    /// `in:`: the fields the keywords are looked for in (all string fields when empty).
    pub within: Vec<At<String>>,
    /// `when:`.
    pub when: Option<At<String>>,
    /// The rule's span.
    pub span: Span,
}

/// One entry of `groups:`.
#[derive(Debug, Clone)]
pub(crate) struct GroupSpec {
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
}

/// One entry of `ladders:`.
#[derive(Debug, Clone)]
pub(crate) struct LadderSpec {
    /// Ladder name.
    pub name: At<String>,
    /// Steps as written.
    pub steps: Vec<StepSpec>,
}

/// One ladder step.
#[derive(Debug, Clone)]
pub(crate) struct StepSpec {
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
#[derive(Debug, Clone)]
pub(crate) struct CondSpec {
    /// `when:`.
    pub when: Option<At<String>>,
    /// `tier:` / `within:` (or the plain value).
    pub value: Option<At<String>>,
    /// The entry's span.
    pub span: Span,
}

/// One transition (`on:` entry or `auto:` entry).
#[derive(Debug, Clone)]
pub(crate) struct TransitionSpec {
    /// Event name (`None` for `auto:`).
    pub event: Option<At<String>>,
    /// Target stage.
    pub to: Option<At<String>>,
    /// Guard / condition.
    pub when: Option<At<String>>,
}

/// One entry of `stages:`.
#[derive(Debug, Clone)]
pub(crate) struct StageSpec {
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
    /// `extensions:`.
    pub extensions: Vec<ExtensionSpec>,
}

impl StageSpec {
    /// Whether the stage is marked terminal.
    pub(crate) fn is_terminal(&self) -> bool {
        self.terminal.as_ref().is_some_and(|t| t.value)
    }
}

/// One entry of `obligations:`.
#[derive(Debug, Clone)]
pub(crate) struct ObligationSpec {
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
    /// `start_on:`.
    pub start_on: Option<At<String>>,
    /// `ladder:`.
    pub ladder: Option<At<String>>,
    /// `extensions:`.
    pub extensions: Vec<ExtensionSpec>,
}

/// One entry of `extensions:` (of a stage or an obligation).
#[derive(Debug, Clone)]
pub(crate) struct ExtensionSpec {
    /// `on:`.
    pub on: Option<At<String>>,
    /// `by:`.
    pub by: Option<At<String>>,
    /// `to:`.
    pub to: Option<At<String>>,
    /// `requires:`.
    pub requires: Vec<At<String>>,
    /// `max:`.
    pub max: Option<At<i64>>,
    /// `when:`.
    pub when: Option<At<String>>,
}

/// One entry of `pause:`.
#[derive(Debug, Clone)]
pub(crate) struct PauseSpec {
    /// `on:`.
    pub on: Option<At<String>>,
    /// `resume_on:`.
    pub resume_on: Option<At<String>>,
    /// `resume:`.
    pub resume: Option<At<ResumeMode>>,
    /// `stages:` (empty: every stage).
    pub stages: Vec<At<String>>,
}
