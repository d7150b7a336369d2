//! A policy compiled for running: every reference resolved to an index, every duration parsed,
//! every `when` compiled to a rhai AST, the calendar resolved, the stage graph built with petgraph.
//!
//! The runtime only ever sees a [`CompiledPolicy`]; it never parses anything.

mod build;

pub use build::{LoadResult, compile, load_policy, load_policy_file};

use crate::calendar::Calendar;
use crate::expr::{Expr, ExprEngine};
use crate::policy::Duration;
use petgraph::graph::DiGraph;
use serde_json::Value;
use std::sync::Arc;

/// Index of a stage in [`CompiledPolicy::stages`].
pub type StageId = usize;
/// Index of a tier in [`CompiledPolicy::tiers`] (0 = lowest).
pub type TierId = usize;
/// Index of a ladder in [`CompiledPolicy::ladders`].
pub type LadderId = usize;
/// Index of a joint group in [`CompiledPolicy::groups`].
pub type GroupId = usize;

/// A validated, compiled policy. Immutable and `Send + Sync`; share it behind an [`Arc`].
#[derive(Debug)]
pub struct CompiledPolicy {
    /// `policy:` id.
    pub id: String,
    /// `version:`.
    pub version: String,
    /// `title:`, if given.
    pub title: Option<String>,
    /// Lowercase hex SHA-256 of the policy's source text; tickets pin it.
    pub digest: String,
    /// The calendar deadlines are counted on (with the policy's hours/zone/cutoff applied).
    pub calendar: Arc<Calendar>,
    /// The sandbox every expression below was compiled with and must be evaluated with.
    pub exprs: ExprEngine,
    /// Declared ticket fields, in file order.
    pub fields: Vec<FieldDef>,
    /// Computed fields, in file order (a later rule may read an earlier derived value).
    pub derived: Vec<DeriveDef>,
    /// Responsibility tiers, lowest first.
    pub tiers: Vec<String>,
    /// Joint handling groups.
    pub groups: Vec<GroupDef>,
    /// Escalation ladders.
    pub ladders: Vec<LadderDef>,
    /// The stage every ticket starts in.
    pub start: StageId,
    /// Stages, in file order.
    pub stages: Vec<StageDef>,
    /// Clocks that run beside the stages.
    pub obligations: Vec<ObligationDef>,
    /// Events that stop and resume the current stage's clock.
    pub pauses: Vec<PauseRule>,
    /// Stage graph: node weight = stage id; edges = transitions (named events and autos).
    pub graph: DiGraph<StageId, EdgeLabel>,
}

impl CompiledPolicy {
    /// The id of the stage named `name`.
    pub fn stage_id(&self, name: &str) -> Option<StageId> {
        self.stages.iter().position(|s| s.name == name)
    }

    /// The id of the tier named `name`.
    pub fn tier_id(&self, name: &str) -> Option<TierId> {
        self.tiers.iter().position(|t| t == name)
    }

    /// The declared field named `name`.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A declared ticket field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// Field name as expressions see it.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// Value used when a ticket does not give one (`None`: the field is absent → the type's
    /// neutral value: "", 0, false, [], {} — enums have no neutral value and stay unset).
    pub default: Option<Value>,
}

/// The type of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    String,
    /// Any number (integers and decimals).
    Number,
    /// Whole number.
    Int,
    /// true / false.
    Bool,
    /// One of the listed values.
    Enum(Vec<String>),
    /// A list of strings.
    List,
    /// A string-keyed map.
    Map,
}

/// A computed field: the value of the first rule that matches.
#[derive(Debug, Clone)]
pub struct DeriveDef {
    /// The field it sets (may also be a declared field: a value given on the ticket wins).
    pub name: String,
    /// Rules in order; the first whose conditions hold gives the value.
    pub rules: Vec<DeriveRule>,
}

/// One classification rule. With both `keywords` and `when`, both must hold; with neither, it
/// always matches (a default).
#[derive(Debug, Clone)]
pub struct DeriveRule {
    /// The value given when the rule matches.
    pub value: Value,
    /// Matches when any keyword occurs in any string field (case-insensitive for ASCII).
    pub keywords: Vec<String>,
    /// Extra condition.
    pub when: Option<Expr>,
}

/// How a joint group completes a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Completion {
    /// Every member reports done.
    All,
    /// Any one member reports done.
    Any,
    /// The lead decides (a `member_done` from the lead).
    Lead,
}

/// A joint handling group for cross-department tickets.
#[derive(Debug, Clone)]
pub struct GroupDef {
    /// Group name.
    pub name: String,
    /// When the group forms.
    pub when: Option<Expr>,
    /// The tier that leads it.
    pub lead: TierId,
    /// The tier of each member.
    pub member_tier: TierId,
    /// List field with one member per value (e.g. `departments`).
    pub per: String,
    /// Stages the group covers.
    pub stages: Vec<StageId>,
    /// How the group completes.
    pub complete: Completion,
}

/// An escalation ladder.
#[derive(Debug, Clone)]
pub struct LadderDef {
    /// Ladder name.
    pub name: String,
    /// Steps in firing order.
    pub steps: Vec<LadderStep>,
}

/// When a ladder step fires.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAt {
    /// At this share of the stage's budget, in percent (80 = 80 %); 100 = the deadline.
    Percent(f64),
    /// At the deadline moved by a duration (`deadline + 1 working day`, `deadline - 2h`).
    Offset {
        /// `true` for `deadline - …`.
        before: bool,
        /// How far from the deadline.
        by: Duration,
    },
}

/// What a ladder step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LadderAction {
    /// Mark the ticket red.
    Flag,
    /// Notify someone.
    Notify,
    /// Raise the responsible tier.
    Escalate,
    /// Hand the stage to another tier.
    Reassign,
}

/// A tier a ladder step points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierTarget {
    /// A named tier.
    Tier(TierId),
    /// One above the current owner (capped at the top tier).
    Next,
    /// The current owner.
    Owner,
}

/// One step of a ladder.
#[derive(Debug, Clone)]
pub struct LadderStep {
    /// When it fires.
    pub at: StepAt,
    /// The `at:` text as written, for timelines.
    pub at_text: String,
    /// What it does.
    pub action: LadderAction,
    /// Target tier for escalate/reassign (and notify when given).
    pub to: Option<TierTarget>,
    /// Who is notified (`owner` or a tier), if any.
    pub notify: Option<TierTarget>,
    /// Performance mark recorded against the owner (e.g. `performance`).
    pub mark: Option<String>,
    /// Fires only if this holds at firing time.
    pub when: Option<Expr>,
}

/// A value chosen by the first matching condition; the last entry has no condition.
#[derive(Debug, Clone)]
pub struct Conditional<T> {
    /// Condition; `None` always matches.
    pub when: Option<Expr>,
    /// The value.
    pub value: T,
}

/// A stage of the procedure.
#[derive(Debug, Clone)]
pub struct StageDef {
    /// Stage name.
    pub name: String,
    /// Owner tier, first matching entry (empty for terminal stages).
    pub owner: Vec<Conditional<TierId>>,
    /// Time limit, first matching entry (empty: no clock).
    pub due: Vec<Conditional<Duration>>,
    /// Artifacts that must be attached before the stage can be left.
    pub requires: Vec<String>,
    /// Named-event transitions; for one event, the first whose guard holds is taken.
    pub on: Vec<Transition>,
    /// Automatic transitions, taken on entry and after `set` when their condition holds.
    pub auto: Vec<AutoTransition>,
    /// The ladder scheduled on entry (the policy default applied already).
    pub ladder: Option<LadderId>,
    /// Whether the ticket closes here.
    pub terminal: bool,
}

/// A transition on a named event.
#[derive(Debug, Clone)]
pub struct Transition {
    /// Event name.
    pub event: String,
    /// Target stage.
    pub to: StageId,
    /// Guard.
    pub when: Option<Expr>,
}

/// An automatic transition.
#[derive(Debug, Clone)]
pub struct AutoTransition {
    /// Target stage.
    pub to: StageId,
    /// Condition.
    pub when: Expr,
}

/// A clock that runs beside the stages (e.g. the 72-hour public statement).
#[derive(Debug, Clone)]
pub struct ObligationDef {
    /// Obligation name.
    pub name: String,
    /// Starts when this first holds (`None`: at open).
    pub when: Option<Expr>,
    /// Time limit from the moment it starts.
    pub due: Duration,
    /// Responsible tier.
    pub owner: TierId,
    /// The event that discharges it.
    pub done_on: String,
}

/// How a paused clock resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResumeMode {
    /// Keep the working time that remained when paused.
    Remaining,
    /// Grant the full budget again.
    Restart,
}

/// A pause rule: `on` stops the current stage's clock, `resume_on` restarts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseRule {
    /// Event that pauses.
    pub on: String,
    /// Event that resumes.
    pub resume_on: String,
    /// How the budget resumes.
    pub resume: ResumeMode,
}

/// Label of an edge in the stage graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeLabel {
    /// A named event, with its guard source if any.
    Event {
        /// Event name.
        event: String,
        /// Guard expression source.
        guard: Option<String>,
    },
    /// An automatic transition with its condition source.
    Auto {
        /// Condition source.
        condition: String,
    },
}
