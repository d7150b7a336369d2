//! A policy compiled for running: every reference resolved to an index, every duration parsed,
//! every `when` compiled to a rhai AST, the calendar resolved, the stage graph built with petgraph.
//!
//! The runtime only ever sees a [`CompiledPolicy`]; it never parses anything.

mod build;
mod drawing;
mod load;

pub(crate) use build::STAGE;
pub use drawing::{StageBox, StageGraph, TransitionArrow};
pub use load::{
    LoadError, calendar_file, load_policy, load_policy_file, load_policy_on_calendar,
    read_policy_file,
};

use crate::calendar::Calendar;
use crate::check::{Source, Span};
use crate::expr::{Expr, ExprEngine};
use crate::policy::Duration;
use petgraph::graph::DiGraph;
use serde_json::Value;
use std::sync::Arc;

/// A stage of a compiled policy: made by the policy (its `start()`, `stage_id`, a transition's
/// `to`), and meaningful for that policy only. Its `index()` is the stage's place in `stages()`.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::StageId;
/// let compensate: StageId = policy.stage_id("compensate").unwrap();
/// assert_eq!(policy.stage(compensate).requires, ["payment_receipt"]);
/// assert_eq!(policy.stages()[compensate.index()].name, "compensate");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StageId(usize);

impl StageId {
    /// The stage's place in [`CompiledPolicy::stages`].
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.start().index(), 0);
    /// ```
    pub fn index(self) -> usize {
        self.0
    }
}

/// A tier of a compiled policy (its place in `tiers()`, lowest first), made by the policy and
/// meaningful for that policy only.
///
/// ```
/// use ombud_engine::policy::TierId;
/// let text = "{policy: p, calendar: weekdays, tiers: [agent, lead], start: s, \
///             stages: {s: {owner: lead, on: {x: e}}, e: {terminal: true}}}";
/// let (policy, _) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
/// let owner: TierId = policy.stages()[0].owner[0].value;
/// assert_eq!((owner.index(), policy.tier(owner)), (1, "lead"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TierId(usize);

impl TierId {
    /// The tier's place in [`CompiledPolicy::tiers`] (0 = lowest).
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.tier_id("supervisor").map(|t| t.index()), Some(1));
    /// ```
    pub fn index(self) -> usize {
        self.0
    }
}

/// A ladder of a compiled policy (its place in `ladders()`), made by the policy and meaningful
/// for that policy only.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::LadderId;
/// let emergency = policy.stage(policy.stage_id("emergency").unwrap());
/// let urgent: LadderId = emergency.ladder.unwrap();
/// assert_eq!(policy.ladder(urgent).name, "urgent");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LadderId(usize);

impl LadderId {
    /// The ladder's place in [`CompiledPolicy::ladders`].
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let standard = policy.stages()[0].ladder.unwrap();
    /// assert_eq!(policy.ladders()[standard.index()].name, "standard");
    /// ```
    pub fn index(self) -> usize {
        self.0
    }
}

/// A validated, compiled policy. Immutable and `Send + Sync`; share it behind an [`Arc`].
/// Read it through its accessors (`stages()`, `tiers()`, …); [`Engine`](crate::Engine) runs it.
///
/// ```
/// use ombud_engine::Engine;
/// use std::sync::Arc;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// let (policy, _warnings) = ombud_engine::load_policy_file(path.as_ref())?;
/// assert_eq!((policy.id(), policy.version()), ("service-complaints", "2026.2"));
/// assert_eq!(policy.stage(policy.start()).name, "intake");
/// let engine = Engine::new(Arc::new(policy));
/// assert_eq!(engine.policy().calendar().id(), "cn-mainland");
/// # Ok::<(), ombud_engine::LoadError>(())
/// ```
#[derive(Debug)]
pub struct CompiledPolicy {
    /// `policy:` id.
    pub(crate) id: String,
    /// `version:`.
    pub(crate) version: String,
    /// `title:`, if given.
    pub(crate) title: Option<String>,
    /// Lowercase hex SHA-256 of the policy's source text; tickets pin it.
    pub(crate) digest: String,
    /// The calendar deadlines are counted on (with the policy's hours/zone/cutoff applied).
    pub(crate) calendar: Arc<Calendar>,
    /// Where the policy names its calendar (the `calendar:` value, or its `id:`), for
    /// diagnostics about the calendar such as [`crate::check::calendar_coverage`].
    pub(crate) calendar_span: Span,
    /// The policy's file name and text, for diagnostics found after compiling.
    pub(crate) source: Arc<Source>,
    /// The sandbox every expression below was compiled with and must be evaluated with.
    pub(crate) exprs: ExprEngine,
    /// Declared ticket fields, in file order.
    pub(crate) fields: Vec<FieldDef>,
    /// Computed fields, in file order (a later rule may read an earlier derived value).
    pub(crate) derived: Vec<DeriveDef>,
    /// Responsibility tiers, lowest first.
    pub(crate) tiers: Vec<String>,
    /// Joint handling groups.
    pub(crate) groups: Vec<GroupDef>,
    /// Escalation ladders.
    pub(crate) ladders: Vec<LadderDef>,
    /// The stage every ticket starts in.
    pub(crate) start: StageId,
    /// Stages, in file order.
    pub(crate) stages: Vec<StageDef>,
    /// Clocks that run beside the stages.
    pub(crate) obligations: Vec<ObligationDef>,
    /// Events that stop and resume the current stage's clock.
    pub(crate) pauses: Vec<PauseRule>,
    /// `events:`, when the policy declares the events it uses.
    pub(crate) events: Option<Vec<String>>,
    /// Stage graph: node weight = stage id; edges = transitions (named events and autos).
    pub(crate) graph: DiGraph<StageId, EdgeLabel>,
}

impl CompiledPolicy {
    /// The `policy:` id.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.id(), "service-complaints");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `version:` (empty when the policy gives none).
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.version(), "2026.2");
    /// ```
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The `title:`, if given.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.title(), Some("Service complaint handling (reference)"));
    /// ```
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The lowercase hex SHA-256 of the policy's source text; tickets pin it.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.digest().len(), 64);
    /// ```
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The calendar deadlines are counted on (with the policy's hours, zone and cutoff applied).
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.calendar().tz(), chrono_tz::Asia::Shanghai);
    /// ```
    pub fn calendar(&self) -> &Arc<Calendar> {
        &self.calendar
    }

    /// The declared ticket fields, in file order.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.fields()[0].name, "text");
    /// ```
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The computed fields, in the order they are computed (file order).
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let names: Vec<&str> = policy.derived().iter().map(|d| d.name.as_str()).collect();
    /// assert_eq!(names, ["category", "severity", "priority"]);
    /// ```
    pub fn derived(&self) -> &[DeriveDef] {
        &self.derived
    }

    /// The responsibility tiers, lowest first.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.tiers(), ["frontline", "supervisor", "service_center", "management"]);
    /// ```
    pub fn tiers(&self) -> &[String] {
        &self.tiers
    }

    /// The joint handling groups.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.groups()[0].name, "joint");
    /// ```
    pub fn groups(&self) -> &[GroupDef] {
        &self.groups
    }

    /// The escalation ladders.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.ladders()[0].name, "standard");
    /// ```
    pub fn ladders(&self) -> &[LadderDef] {
        &self.ladders
    }

    /// The stage every ticket starts in.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.stage(policy.start()).name, "intake");
    /// ```
    pub fn start(&self) -> StageId {
        self.start
    }

    /// The stages, in file order.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.stages().len(), 9);
    /// ```
    pub fn stages(&self) -> &[StageDef] {
        &self.stages
    }

    /// The clocks that run beside the stages.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.obligations()[0].name, "public_statement");
    /// ```
    pub fn obligations(&self) -> &[ObligationDef] {
        &self.obligations
    }

    /// The events that stop and resume the current stage's clock.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.pauses()[0].on, "awaiting_complainant");
    /// ```
    pub fn pauses(&self) -> &[PauseRule] {
        &self.pauses
    }

    /// The transitions of the stage graph (named events and automatic ones): from, to, label.
    ///
    /// ```
    /// use ombud_engine::policy::EdgeLabel;
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let autos: Vec<&str> = policy
    ///     .edges()
    ///     .filter_map(|(from, to, label)| match label {
    ///         EdgeLabel::Auto { .. } => Some(policy.stage(to).name.as_str()),
    ///         EdgeLabel::Event { .. } => None,
    ///     })
    ///     .collect();
    /// assert_eq!(autos, ["emergency", "contingency"]);
    /// ```
    pub fn edges(&self) -> impl Iterator<Item = (StageId, StageId, &EdgeLabel)> {
        self.graph
            .raw_edges()
            .iter()
            .map(|e| (StageId(e.source().index()), StageId(e.target().index()), &e.weight))
    }

    /// The id of the stage named `name`.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// use ombud_engine::policy::Duration;
    /// let verify = &policy.stage(policy.stage_id("verify").unwrap());
    /// assert_eq!(policy.tier(verify.owner[0].value), "frontline");
    /// assert_eq!(verify.due[0].value, Duration::Wall { seconds: 24 * 3600 });
    /// assert_eq!(policy.stage_id("verification"), None);
    /// ```
    pub fn stage_id(&self, name: &str) -> Option<StageId> {
        self.stages.iter().position(|s| s.name == name).map(StageId)
    }

    /// The stage `id` names.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let handle = policy.stage_id("handle").unwrap();
    /// assert_eq!(policy.stage(handle).name, "handle");
    /// ```
    pub fn stage(&self, id: StageId) -> &StageDef {
        // INVARIANT: a `StageId` is made by the policy whose stage it names (see `StageId`);
        // the policy's own ids are always in range.
        &self.stages[id.0]
    }

    /// The ladder `id` names.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let ladder = policy.stages()[0].ladder.unwrap();
    /// assert_eq!(policy.ladder(ladder).steps.len(), 3);
    /// ```
    pub fn ladder(&self, id: LadderId) -> &LadderDef {
        // INVARIANT: as for `stage`.
        &self.ladders[id.0]
    }

    /// The name of tier `id`.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// assert_eq!(policy.tier(policy.tier_id("management").unwrap()), "management");
    /// ```
    pub fn tier(&self, id: TierId) -> &str {
        // INVARIANT: as for `stage`.
        &self.tiers[id.0]
    }

    /// The tier one above `id`, or `id` itself at the top.
    pub(crate) fn tier_above(&self, id: TierId) -> TierId {
        TierId((id.0 + 1).min(self.tiers.len().saturating_sub(1)))
    }

    /// The id of the tier named `name`.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let supervisor = policy.tier_id("supervisor").unwrap();
    /// assert!(supervisor < policy.tier_id("management").unwrap()); // lowest first
    /// assert_eq!(policy.groups()[0].member_tier, supervisor);
    /// assert_eq!(policy.tier_id("director"), None);
    /// ```
    pub fn tier_id(&self, name: &str) -> Option<TierId> {
        self.tiers.iter().position(|t| t == name).map(TierId)
    }

    /// The declared field named `name`.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// use ombud_engine::policy::FieldType;
    /// let amount = policy.field("claim_amount").unwrap();
    /// assert_eq!((&amount.ty, &amount.default), (&FieldType::Number, &Some(0.into())));
    /// assert!(policy.field("severity").is_none()); // derived, not declared
    /// ```
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A declared ticket field.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let departments = policy.field("departments").unwrap();
/// assert_eq!(departments.default, Some(serde_json::json!([])));
/// assert_eq!(policy.field("category").unwrap().default, None); // no `default:` written
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// Field name as expressions see it.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// Value used when a ticket does not give one (`None`: the field is absent → the type's
    /// neutral value: "", 0, false, [], {}; an enum without a default is "", which is none of its
    /// values).
    pub default: Option<Value>,
    /// Whether a ticket must give it (`required: true`): opening without it is refused.
    pub required: bool,
}

/// The type of a field.
///
/// ```
/// use ombud_engine::policy::FieldType;
/// let text = "{policy: p, calendar: weekdays, tiers: [a], start: s, \
///             fields: {level: {type: enum, values: [low, high]}, count: {type: int}}, \
///             stages: {s: {owner: a, on: {x: e}}, e: {terminal: true}}}";
/// let (policy, _) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
/// let types: Vec<&FieldType> = policy.fields().iter().map(|f| &f.ty).collect();
/// assert_eq!(types, [&FieldType::Enum(vec!["low".into(), "high".into()]), &FieldType::Int]);
/// ```
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
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let names: Vec<&str> = policy.derived().iter().map(|d| d.name.as_str()).collect();
/// assert_eq!(names, ["category", "severity", "priority"]); // computed in this order
/// let severity = &policy.derived()[1];
/// assert_eq!(severity.rules.last().unwrap().value, "general");
/// ```
#[derive(Debug, Clone)]
pub struct DeriveDef {
    /// The field it sets (may also be a declared field: a value given on the ticket wins).
    pub name: String,
    /// Rules in order; the first whose conditions hold gives the value.
    pub rules: Vec<DeriveRule>,
}

/// One classification rule. With both `keywords` and `when`, both must hold; with neither, it
/// always matches (a default).
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let safety = &policy.derived()[0].rules[0];
/// assert_eq!(safety.value, "safety");
/// assert!(safety.keywords.iter().any(|k| k == "hazard") && safety.when.is_none());
/// let major_claim = &policy.derived()[1].rules[1];
/// assert_eq!(major_claim.when.as_ref().unwrap().source(), "claim_amount >= 10000.0");
/// ```
#[derive(Debug, Clone)]
pub struct DeriveRule {
    /// The value given when the rule matches.
    pub value: Value,
    /// Matches when any keyword occurs in the fields searched: in Latin-script text as a whole
    /// word or phrase, case-insensitive and across inflections (English Snowball stems); in CJK
    /// text as a substring.
    pub keywords: Vec<String>,
    /// Words that veto the rule when any occurs (matched as keywords are).
    pub unless: Vec<String>,
    /// The fields searched (`in:`); empty: every string field.
    pub within: Vec<String>,
    /// Extra condition.
    pub when: Option<Expr>,
}

/// How a joint group completes a stage.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::Completion;
/// assert_eq!(policy.groups()[0].complete, Completion::All);
/// // Written in a policy, and serialised, in lowercase.
/// assert_eq!(serde_json::json!(Completion::Lead), "lead");
/// ```
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
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let joint = &policy.groups()[0];
/// assert_eq!(policy.tier(joint.lead), "management");
/// assert_eq!(joint.when.as_ref().unwrap().source(), "departments.len() > 1");
/// let covered: Vec<&str> = joint.stages.iter().map(|&s| &*policy.stage(s).name).collect();
/// assert_eq!(covered, ["verify", "handle"]);
/// ```
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
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let standard = &policy.ladders()[0];
/// assert_eq!(standard.name, "standard");
/// let at: Vec<&str> = standard.steps.iter().map(|s| s.at_text.as_str()).collect();
/// assert_eq!(at, ["80%", "100%", "deadline + 1 working day"]);
/// ```
#[derive(Debug, Clone)]
pub struct LadderDef {
    /// Ladder name.
    pub name: String,
    /// Steps in firing order.
    pub steps: Vec<LadderStep>,
}

/// When a ladder step fires.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::{Duration, StepAt};
/// let steps = &policy.ladders()[0].steps;
/// assert_eq!(steps[0].at, StepAt::Percent(80.0));
/// let one_day_late = StepAt::Offset { before: false, by: Duration::WorkingDays(1) };
/// assert_eq!(steps[2].at, one_day_late);
/// ```
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
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::LadderAction;
/// let urgent = policy.ladder(policy.stages()[1].ladder.unwrap());
/// let actions: Vec<LadderAction> = urgent.steps.iter().map(|s| s.action).collect();
/// assert_eq!(actions, [LadderAction::Notify, LadderAction::Escalate]);
/// ```
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
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::TierTarget::{self, Next, Owner};
/// let steps = &policy.ladders()[0].steps;
/// assert_eq!((steps[0].notify, steps[1].to), (Some(Owner), Some(Next)));
/// let management = policy.tier_id("management").unwrap();
/// assert_eq!(steps[2].to, Some(TierTarget::Tier(management)));
/// ```
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
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// // `{ at: 100%, do: escalate, to: next, mark: performance }`
/// let overdue = &policy.ladders()[0].steps[1];
/// assert_eq!(overdue.at_text, "100%");
/// assert_eq!(overdue.mark.as_deref(), Some("performance"));
/// assert!(overdue.notify.is_none() && overdue.when.is_none());
/// ```
#[derive(Debug, Clone)]
pub struct LadderStep {
    /// When it fires.
    pub at: StepAt,
    /// The `at:` text as written, for timelines.
    pub at_text: String,
    /// What it does.
    pub action: LadderAction,
    /// Target tier for escalate/reassign; for a notify step without `notify`, the tier notified.
    pub to: Option<TierTarget>,
    /// Who is notified (`owner` or a tier), if any.
    pub notify: Option<TierTarget>,
    /// Performance mark recorded against the owner (e.g. `performance`).
    pub mark: Option<String>,
    /// Fires only if this holds at firing time.
    pub when: Option<Expr>,
}

/// A value chosen by the first matching condition; the last entry has no condition.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let handle = policy.stage(policy.stage_id("handle").unwrap());
/// let due: Vec<(Option<&str>, String)> =
///     handle.due.iter().map(|c| (c.when.as_ref().map(|w| w.source()), c.value.to_string())).collect();
/// assert_eq!(due, [
///     (Some(r#"severity == "major""#), "7 working days".to_string()),
///     (None, "3 working days".to_string()),
/// ]);
/// ```
#[derive(Debug, Clone)]
pub struct Conditional<T> {
    /// Condition; `None` always matches.
    pub when: Option<Expr>,
    /// The value.
    pub value: T,
}

/// A stage of the procedure.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let feedback = &policy.stage(policy.stage_id("feedback").unwrap());
/// assert_eq!(feedback.requires, ["result_notice", "phone_confirmation"]);
/// // confirmed → archive, disputed → handle, arbitration and court mediation → external
/// assert_eq!(feedback.on.len(), 4);
/// assert_eq!(policy.ladder(feedback.ladder.unwrap()).name, "standard"); // the default
/// assert!(!feedback.terminal);
/// ```
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
    /// Events that extend the stage's clock.
    pub extensions: Vec<Extension>,
}

/// An extension of a stage's or an obligation's clock: an event that moves its deadline later.
///
/// ```
/// use ombud_engine::policy::{Duration, ExtendTo};
/// let text = "{policy: p, calendar: cn-mainland, tiers: [a], start: s, stages: {s: {owner: a, \
///             due: 15 working days, on: {x: e}, extensions: [{on: extend, by: 15 working days, \
///             requires: [approval]}]}, e: {terminal: true}}}";
/// let (policy, _) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
/// let ext = &policy.stages()[0].extensions[0];
/// assert_eq!((ext.on.as_str(), ext.max), ("extend", 1));
/// assert_eq!(ext.change, ExtendTo::By(Duration::WorkingDays(15)));
/// assert_eq!(ext.requires, ["approval"]);
/// ```
#[derive(Debug, Clone)]
pub struct Extension {
    /// The event that extends the clock.
    pub on: String,
    /// How the deadline moves.
    pub change: ExtendTo,
    /// Artifacts that must be attached first.
    pub requires: Vec<String>,
    /// How many times this entry may extend one clock (at least 1).
    pub max: u32,
    /// The entry applies only when this holds.
    pub when: Option<Expr>,
}

/// How an [`Extension`] moves a deadline.
///
/// ```
/// use ombud_engine::policy::{Duration, ExtendTo};
/// assert_eq!(ExtendTo::To(Duration::CalendarDays(30)).to_string(), "to 30 calendar days");
/// assert_eq!(ExtendTo::By(Duration::WorkingDays(15)).to_string(), "by 15 working days");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendTo {
    /// `by:` — this much more, counted from the current deadline.
    By(Duration),
    /// `to:` — the clock's whole limit, counted from the clock's start.
    To(Duration),
}

impl std::fmt::Display for ExtendTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtendTo::By(d) => write!(f, "by {d}"),
            ExtendTo::To(d) => write!(f, "to {d}"),
        }
    }
}

/// A transition on a named event.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let handle = &policy.stage(policy.stage_id("handle").unwrap());
/// let pay = handle.on.iter().find(|t| t.event == "compensation_needed").unwrap();
/// assert_eq!(policy.stage(pay.to).name, "compensate");
/// assert_eq!(pay.when.as_ref().map(|w| w.source()), Some("liability_clear || mass_complaint"));
/// ```
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
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let [threat, mass] = &policy.stage(policy.start()).auto[..] else { panic!("two autos") };
/// assert_eq!(policy.stage(threat.to).name, "emergency");
/// assert_eq!(threat.when.source(), "threat");
/// assert_eq!(policy.stage(mass.to).name, "contingency");
/// ```
#[derive(Debug, Clone)]
pub struct AutoTransition {
    /// Target stage.
    pub to: StageId,
    /// Condition.
    pub when: Expr,
}

/// A clock that runs beside the stages (e.g. the 72-hour public statement).
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let statement = &policy.obligations()[0];
/// assert_eq!(statement.name, "public_statement");
/// assert_eq!(statement.due.to_string(), "72h");
/// assert_eq!(policy.tier(statement.owner), "management");
/// assert_eq!(statement.done_on, "statement_published");
/// ```
#[derive(Debug, Clone)]
pub struct ObligationDef {
    /// Obligation name.
    pub name: String,
    /// Starts when this first holds (`None`, without `start_on`: at open).
    pub when: Option<Expr>,
    /// Starts when this event is accepted (once per ticket).
    pub start_on: Option<String>,
    /// Time limit from the moment it starts.
    pub due: Duration,
    /// Responsible tier.
    pub owner: TierId,
    /// The event that discharges it.
    pub done_on: String,
    /// The ladder its clock runs (`None`: no ladder; its breach is recorded and nothing more).
    pub ladder: Option<LadderId>,
    /// Events that extend its clock while it is open.
    pub extensions: Vec<Extension>,
}

/// How a paused clock resumes.
///
/// ```
/// use ombud_engine::policy::ResumeMode;
/// let text = "{policy: p, calendar: weekdays, tiers: [a], start: s, \
///             stages: {s: {owner: a, due: 2h, on: {x: e}}, e: {terminal: true}}, \
///             pause: [{on: hold, resume_on: go, resume: restart}]}";
/// let (policy, _) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
/// assert_eq!(policy.pauses()[0].resume, ResumeMode::Restart);
/// assert_eq!(serde_json::to_string(&ResumeMode::Remaining).unwrap(), r#""remaining""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResumeMode {
    /// Keep the working time that remained when paused.
    Remaining,
    /// Grant the full budget again.
    Restart,
}

/// A pause rule: `on` stops the current stage's clock, `resume_on` restarts it.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::{PauseRule, ResumeMode};
/// let expected = PauseRule {
///     on: "awaiting_complainant".into(),
///     resume_on: "complainant_replied".into(),
///     resume: ResumeMode::Remaining,
///     stages: vec![],
/// };
/// assert_eq!(policy.pauses(), [expected]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseRule {
    /// Event that pauses.
    pub on: String,
    /// Event that resumes.
    pub resume_on: String,
    /// How the budget resumes.
    pub resume: ResumeMode,
    /// The stages in which `on` pauses (empty: every stage).
    pub stages: Vec<StageId>,
}

/// Label of an edge in the stage graph.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::EdgeLabel;
/// assert_eq!(policy.edges().count(), 15);
/// let autos: Vec<&EdgeLabel> = policy
///     .edges()
///     .map(|(_, _, label)| label)
///     .filter(|e| matches!(e, EdgeLabel::Auto { .. }))
///     .collect();
/// assert_eq!(
///     autos,
///     [
///         &EdgeLabel::Auto { condition: "threat".into() },
///         &EdgeLabel::Auto { condition: "mass_complaint".into() }
///     ]
/// );
/// ```
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
