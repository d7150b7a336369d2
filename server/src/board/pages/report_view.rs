//! The quarterly report and the dead letters of the outbox.

use super::*;

#[derive(Deserialize, Default)]
pub(crate) struct ReportForm {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    period: String,
}

#[derive(Template)]
#[template(path = "report.html")]
pub(crate) struct ReportPage {
    c: Chrome,
    policies: Vec<String>,
    policy: String,
    period: String,
    report: Option<engine::Report>,
    failure: Option<String>,
    dead: Vec<DeadLetter>,
    retried: bool,
}

impl ReportPage {
    /// The report's count tables with their titles.
    fn tables(&self) -> Vec<(&'static str, &[engine::Count])> {
        let (Some(r), t) = (&self.report, self.c.t) else { return Vec::new() };
        vec![
            (t.by_category, &r.by_category),
            (t.by_channel, &r.by_channel),
            (t.by_severity, &r.by_severity),
            (t.by_department, &r.by_department),
            (t.escalations_by_tier, &r.escalations_by_tier),
            (t.marks_by_tier, &r.marks_by_tier),
        ]
    }
}

/// A dead webhook delivery.
pub struct DeadLetter {
    /// Delivery id.
    pub id: String,
    /// Ticket.
    pub ticket: String,
    /// Action kind.
    pub kind: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last error.
    pub last_error: String,
    /// When it was queued.
    pub created: String,
}

/// `2026-Q3` for the quarter `now` falls in on the policy's calendar, in whose zone a report's
/// periods are counted: in Shanghai the quarter turns eight hours before it does in UTC.
pub(crate) fn this_quarter(engine: Option<&Engine>, now: DateTime<Utc>) -> String {
    let today = engine
        .map_or(now.date_naive(), |e| now.with_timezone(&e.policy().calendar().tz()).date_naive());
    format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1)
}

/// A share as a percentage (`87.5%`), or `–`.
pub fn percent(rate: &Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// A share as a percentage (`87.5%`).
pub fn share(share: &f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Hours to one decimal, or `–`.
pub fn hours(h: &Option<f64>) -> String {
    h.map_or_else(|| "–".to_string(), |h| format!("{h:.1}"))
}

pub(crate) async fn report(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Query(form): Query<ReportForm>,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    let lang = Lang::of(&jar, &headers);
    let c = Chrome::new(lang, &uri, Some(&s), "report");
    let engines = match current_engines(&state).await {
        Ok(e) => e,
        Err(e) => return Err(error_page(c, &e)),
    };
    let policies: Vec<String> = engines.iter().map(|(p, _)| p.clone()).collect();
    let policy = some(&form.policy).or_else(|| policies.first().cloned()).unwrap_or_default();
    let period = some(&form.period).unwrap_or_else(|| {
        let engine = engines.iter().find(|(p, _)| *p == policy).map(|(_, e)| e.as_ref());
        this_quarter(engine, Utc::now())
    });
    let (mut report, mut failure) = (None, None);
    if !policy.is_empty() {
        match period.parse::<engine::Period>() {
            Err(e) => failure = Some(e.to_string()),
            Ok(p) => {
                let params = ReportParams {
                    policy: policy.clone(),
                    version: None,
                    seed: None,
                    repeat_window_days: None,
                };
                match crate::export::build_report(&state, params, p).await {
                    Ok(r) => report = Some(r),
                    Err(e) => failure = Some(text(&e.body()["message"])),
                }
            }
        }
    }
    let dead = match outbox::list(&state, DeliveryFilter::default()).await {
        Ok(v) => v["deliveries"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| DeadLetter {
                id: text(&d["id"]),
                ticket: text(&d["ticket"]),
                kind: text(&d["kind"]),
                attempts: d["attempts"].as_i64().unwrap_or(0),
                last_error: text(&d["last_error"]),
                created: instant(&d["created_at"])
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        Err(e) => return Err(error_page(c, &e)),
    };
    let retried = uri.query().is_some_and(|q| q.contains("retried=1"));
    let page = ReportPage { c, policies, policy, period, report, failure, dead, retried };
    Ok(render(&page, StatusCode::OK))
}

pub(crate) async fn retry_delivery(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let lang = Lang::of(&jar, &headers);
    let s = may_post(&state, &jar, lang, &uri, &form.csrf, Role::Admin).await?;
    match outbox::retry(&state, &id).await {
        Ok(true) => Ok(Redirect::to("/board/report?retried=1").into_response()),
        Ok(false) => Err(error_page(
            Chrome::new(lang, &uri, Some(&s), "report"),
            &ApiError::not_found(&format!("dead delivery `{id}`")),
        )),
        Err(e) => Err(error_page(Chrome::new(lang, &uri, Some(&s), "report"), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The board's default period is the quarter of today where the policy's calendar is: in
    /// the last eight hours of 31 March UTC, Shanghai is already in the second quarter, and a
    /// ticket opened then belongs to it in the report.
    #[test]
    fn the_default_quarter_turns_in_the_calendar_zone() {
        let policy = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
        let shanghai = engine::compile_policy("p.yaml", policy, None).unwrap().engine;
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(this_quarter(Some(&shanghai), at("2027-03-31T15:59:59Z")), "2027-Q1");
        assert_eq!(this_quarter(Some(&shanghai), at("2027-03-31T16:00:00Z")), "2027-Q2");
        assert_eq!(this_quarter(None, at("2027-03-31T16:00:00Z")), "2027-Q1");
        assert_eq!(this_quarter(Some(&shanghai), at("2027-12-31T16:00:00Z")), "2028-Q1");
    }
}
