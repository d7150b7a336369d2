//! Ladders: each step's `at:` (a share, `deadline`, or an offset from it), its action and
//! targets, and the order of the steps.

use super::*;

impl<'t> Compiler<'t> {
    pub(super) fn step_at(&mut self, at: &At<String>) -> Option<StepAt> {
        let v = at.value.trim();
        let lead = at.value.len() - at.value.trim_start().len();
        if let Some(p) = v.strip_suffix('%') {
            return match p.trim().parse::<f64>() {
                Ok(x) if x > 0.0 && x.is_finite() => Some(StepAt::Percent(x)),
                _ => {
                    self.bad_at(at);
                    None
                }
            };
        }
        if let Some(rest) = v.strip_prefix("deadline") {
            let r = rest.trim_start();
            if r.is_empty() {
                return Some(StepAt::Offset { before: false, by: Duration::Wall { seconds: 0 } });
            }
            let before = match r.chars().next() {
                Some('+') => false,
                Some('-') => true,
                _ => {
                    self.bad_at(at);
                    return None;
                }
            };
            let dur_text = r.get(1..).unwrap_or("");
            let base = lead + "deadline".len() + (rest.len() - r.len()) + 1;
            let by = self.duration_in(at, base, dur_text)?;
            return Some(StepAt::Offset { before, by });
        }
        self.bad_at(at);
        None
    }

    fn bad_at(&mut self, at: &At<String>) {
        self.push(
            Diagnostic::error(DiagnosticCode::E0405, format!("invalid ladder step time `{}`", at.value))
                .with_span(at.span)
                .with_hint("write a share of the time limit (`80%`), `deadline`, or `deadline + 1 working day` / `deadline - 2h`"),
        );
    }

    pub(super) fn ladders(&mut self, doc: &PolicyFile, tiers: &[String]) -> Vec<LadderDef> {
        let mut out = Vec::new();
        for l in &doc.ladders {
            let mut steps: Vec<(LadderStep, Span)> = Vec::new();
            for s in &l.steps {
                let at = s.at.as_ref().and_then(|a| self.step_at(a));
                let to = s.to.as_ref().and_then(|t| self.target(tiers, t));
                let notify = s.notify.as_ref().and_then(|t| self.target(tiers, t));
                let when = s.when.as_ref().and_then(|w| self.expr(w));
                if let Some(a) = &s.action
                    && matches!(a.value, LadderAction::Escalate | LadderAction::Reassign)
                    && s.to.is_none()
                {
                    self.push(
                        Diagnostic::error(
                            DiagnosticCode::E0104,
                            "an escalate or reassign step has no `to`",
                        )
                        .with_span(a.span)
                        .with_hint("add `to: next`, `to: owner` or `to: <tier>`"),
                    );
                }
                let (Some(at), Some(action)) = (at, s.action.as_ref()) else { continue };
                let at_span = s.at.as_ref().map_or(s.span, |a| a.span);
                let at_text = s.at.as_ref().map_or("", |a| a.as_str());
                let step = (&at, action.value, at_text, at_span);
                if let Some(d) = ladder::step_order(&l.name.value, &steps, step) {
                    self.push(d);
                }
                let step = LadderStep {
                    at,
                    at_text: at_text.to_string(),
                    action: action.value,
                    to,
                    notify,
                    mark: s.mark.as_ref().map(|m| m.value.clone()),
                    when,
                };
                steps.push((step, at_span));
            }
            self.step_spans.push(steps.iter().map(|(_, span)| *span).collect());
            let steps = steps.into_iter().map(|(step, _)| step).collect();
            out.push(LadderDef { name: l.name.value.clone(), steps });
        }
        out
    }
}
