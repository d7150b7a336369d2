//! One call's working state: the rows, actions and condition errors it produces, and the
//! rhai scope its conditions share.

use super::Engine;
use crate::calendar::OutOfRange;
use crate::compile::CompiledPolicy;
use crate::compile::STAGE;
use crate::expr::{Expr, ExprError, With};
use crate::runtime::{
    Action, ActionKind, ConditionError, FieldMap, Outcome, Rejection, RowKind, Text, TimelineRow,
};
use crate::timefmt;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::cell::RefCell;

/// One call's working state: the rows and actions it produces.
pub(super) struct Run<'e> {
    pub(super) engine: &'e Engine,
    pub(super) rows: Vec<TimelineRow>,
    pub(super) actions: Vec<Action>,
    pub(super) scope: RefCell<rhai::Scope<'static>>,
    /// Conditions that failed to evaluate (and counted as false), each once.
    pub(super) condition_errors: RefCell<Vec<ConditionError>>,
    /// The stage conditions read as `stage`: the ticket's, kept current by [`Run::at_stage`].
    stage: RefCell<Text>,
    /// The first instant of this call that falls outside the instants the engine keeps: the
    /// call is refused (`out_of_range`), whatever else it did.
    pub(super) out_of_range: RefCell<Option<OutOfRange>>,
}

impl<'e> Run<'e> {
    pub(super) fn new(engine: &'e Engine) -> Self {
        Run {
            engine,
            rows: Vec::new(),
            actions: Vec::new(),
            scope: RefCell::new(rhai::Scope::new()),
            condition_errors: RefCell::new(Vec::new()),
            stage: RefCell::new(Text::default()),
            out_of_range: RefCell::new(None),
        }
    }

    /// Conditions read `stage` as `name` from now on (the ticket's stage, as it changes).
    pub(super) fn at_stage(&self, name: &str) {
        if self.stage.borrow().as_str() == name {
            return;
        }
        *self.stage.borrow_mut() = Text::from(name);
        if self.scope.borrow().contains(STAGE) {
            self.field_set(STAGE, &Value::String(name.to_string()));
        }
    }

    /// Notes an instant this call cannot keep; the first one is what the call is refused with.
    pub(super) fn beyond_range(&self, e: OutOfRange) {
        self.out_of_range.borrow_mut().get_or_insert(e);
    }

    /// The refusal for an instant this call could not keep, if there was one.
    pub(super) fn range_refusal(&self) -> Option<Rejection> {
        self.out_of_range.borrow().as_ref().map(Rejection::out_of_range)
    }

    pub(super) fn policy(&self) -> &'e CompiledPolicy {
        &self.engine.policy
    }

    /// The outcome of this call, with the wake-up the last `fire_due` found (nothing may change
    /// the ticket's stage, clocks or obligations in between).
    pub(super) fn finish_with(self, next_wakeup: Option<DateTime<Utc>>) -> Outcome {
        Outcome {
            rows: self.rows,
            actions: self.actions,
            next_wakeup,
            condition_errors: self.condition_errors.into_inner(),
        }
    }

    /// `t` as timeline text shows it (`Thu 26 Feb 2026 24:00`), in the calendar's zone.
    pub(super) fn human(&self, t: DateTime<Utc>) -> timefmt::Human {
        timefmt::Human { tz: self.policy().calendar.tz(), t }
    }

    pub(super) fn push(&mut self, row: TimelineRow) {
        self.rows.push(row);
    }

    pub(super) fn row(
        &mut self,
        at: DateTime<Utc>,
        kind: RowKind,
        stage: Option<&str>,
        tier: Option<&str>,
        detail: impl Into<Text>,
    ) {
        self.push(TimelineRow {
            at,
            kind,
            stage: stage.map(Text::from),
            tier: tier.map(Text::from),
            detail: detail.into(),
            due: None,
            previous_due: None,
            provisional: false,
        });
    }

    pub(super) fn action(
        &mut self,
        at: DateTime<Utc>,
        kind: ActionKind,
        subject: &str,
        tier: Option<&str>,
        mark: Option<&str>,
    ) {
        self.actions.push(Action {
            at,
            kind,
            subject: Text::from(subject),
            tier: tier.map(Text::from),
            mark: mark.map(Text::from),
            against: None,
            assignee: None,
        });
    }

    /// Evaluates a condition; a condition that cannot be evaluated counts as false, and is
    /// reported in the outcome's `condition_errors`.
    pub(super) fn holds(&self, expr: &Expr, fields: &FieldMap) -> bool {
        self.eval(expr, fields).unwrap_or_else(|e| {
            let condition = expr.source().to_string();
            self.condition_error(ConditionError { condition, message: e.message });
            false
        })
    }

    /// Notes a condition that could not be evaluated, once per call.
    pub(super) fn condition_error(&self, error: ConditionError) {
        let mut errors = self.condition_errors.borrow_mut();
        if !errors.contains(&error) {
            errors.push(error);
        }
    }

    pub(super) fn guard(&self, expr: &Expr, fields: &FieldMap) -> Result<bool, Rejection> {
        self.eval(expr, fields).map_err(|e| Rejection::Evaluation {
            condition: expr.source().to_string(),
            message: e.message,
        })
    }

    /// Evaluates in this call's scope, which binds each name the first time a condition reads it
    /// (see [`Expr::variables`]); every change to `fields` goes through [`Run::field_set`] or
    /// [`Run::fields_changed`].
    pub(super) fn eval(&self, expr: &Expr, fields: &FieldMap) -> Result<bool, ExprError> {
        let mut scope = self.scope.borrow_mut();
        if expr.variables().binary_search_by(|v| v.as_str().cmp(STAGE)).is_ok() {
            let value = Value::String(self.stage.borrow().to_string());
            let vars = With { vars: fields, name: STAGE, value: &value };
            return self.policy().exprs.eval_bool_lazy(expr, &vars, &mut scope);
        }
        self.policy().exprs.eval_bool_lazy(expr, fields, &mut scope)
    }

    /// Updates one bound variable after `fields[name]` changed.
    pub(super) fn field_set(&self, name: &str, value: &Value) {
        let mut scope = self.scope.borrow_mut();
        if scope.contains(name) {
            scope.set_value(name.to_string(), crate::expr::to_dynamic(value));
        }
    }

    /// Unbinds everything after `fields` changed wholesale.
    pub(super) fn fields_changed(&self) {
        self.scope.borrow_mut().clear();
    }
}
