//! The policy language: model, conversion from the YAML tree (`crate::yaml`) and durations.

pub(crate) mod convert;
mod duration;
pub(crate) mod model;
pub(crate) mod schema;

pub use crate::compile::{
    AutoTransition, CompiledPolicy, Completion, Conditional, DeriveDef, DeriveRule, EdgeLabel,
    ExtendTo, Extension, FieldDef, FieldType, GroupDef, LadderAction, LadderDef, LadderId,
    LadderStep, LoadError, ObligationDef, PauseRule, ResumeMode, StageBox, StageDef, StageGraph,
    StageId, StepAt, TierId, TierTarget, Transition, TransitionArrow, calendar_file, load_policy,
    load_policy_file, load_policy_on_calendar, read_policy_file,
};
pub use crate::expr::Expr;
pub use duration::{DURATION_FORMS, Duration, DurationError};
pub use schema::{json_schema, json_schema_text};
