//! The HTTP API: every route, the role it needs, and its handler.
//!
//! Routes are registered through one table ([`routes`]), which also attaches each route's role
//! check; the table is what `server/openapi.yaml` is tested against, route by route.

use crate::auth::{self, Principal, Role};
use crate::error::ApiError;
use crate::outbox::{self, DeliveryFilter, NewWebhook};
use crate::tickets::{self, MigrateRequest, QueueFilter};
use crate::{AppState, engine, login_limit};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, on};
use axum::{Extension, Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Instant;

/// One route: method, path (axum's `{param}` syntax, as OpenAPI writes it) and the role it needs
/// (`None`: no token).
///
/// ```
/// use ombud_server::{Role, RouteInfo};
/// let route = RouteInfo { method: axum::http::Method::POST, path: "/v1/tickets", role: Some(Role::Agent) };
/// assert!(route.role > Some(Role::Viewer));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    /// HTTP method.
    pub method: Method,
    /// Path.
    pub path: &'static str,
    /// The least role allowed, or `None` for a route that needs no token.
    pub role: Option<Role>,
}

struct Table {
    router: Router<AppState>,
    routes: Vec<RouteInfo>,
    state: AppState,
}

impl Table {
    fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        role: Option<Role>,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        // INVARIANT: the table names GET, POST and DELETE only, which all have a filter.
        #[expect(clippy::expect_used, reason = "the table's methods all have a filter")]
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        let mut route = on(filter, handler);
        if let Some(role) = role {
            route = route.route_layer(middleware::from_fn_with_state(
                self.state.clone(),
                move |state: State<AppState>, req: Request, next: Next| {
                    authorize(state, role, req, next)
                },
            ));
        }
        self.router = self.router.route(path, route);
        self.routes.push(RouteInfo { method, path, role });
        self
    }
}

/// The router with every route, and the list of routes with their roles.
pub fn routes(state: AppState) -> (Router, Vec<RouteInfo>) {
    use Method as M;
    use Role::{Admin, Agent, Viewer};
    let table = Table { router: Router::new(), routes: Vec::new(), state: state.clone() }
        .add(M::GET, "/", None, home)
        .add(M::GET, "/healthz", None, healthz)
        .add(M::GET, "/metrics", Some(Viewer), metrics)
        .add(M::GET, "/v1/openapi.yaml", Some(Viewer), openapi)
        .add(M::GET, "/v1/me", Some(Viewer), me)
        .add(M::GET, "/v1/policies", Some(Viewer), list_policies)
        .add(M::POST, "/v1/policies", Some(Admin), deploy_policy)
        .add(M::GET, "/v1/policies/{policy}", Some(Viewer), policy_versions)
        .add(M::GET, "/v1/policies/{policy}/versions/{version}", Some(Viewer), policy_source)
        .add(M::POST, "/v1/policies/{policy}/migrate", Some(Admin), migrate)
        .add(M::GET, "/v1/calendars", Some(Viewer), list_calendars)
        .add(M::POST, "/v1/calendars", Some(Admin), deploy_calendar)
        .add(M::GET, "/v1/tickets", Some(Viewer), queue)
        .add(M::POST, "/v1/tickets", Some(Agent), open_ticket)
        .add(M::GET, "/v1/tickets/{id}", Some(Viewer), read_ticket)
        .add(M::POST, "/v1/tickets/{id}/events", Some(Agent), send_event)
        .add(M::GET, "/v1/ledger", Some(Viewer), ledger)
        .add(M::GET, "/v1/ledger/tickets", Some(Viewer), ledger_tickets)
        .add(M::GET, "/v1/reports/{period}", Some(Viewer), report)
        .add(M::GET, "/v1/deliveries", Some(Viewer), deliveries)
        .add(M::POST, "/v1/deliveries/{id}/retry", Some(Admin), retry_delivery)
        .add(M::GET, "/v1/webhooks", Some(Admin), list_webhooks)
        .add(M::POST, "/v1/webhooks", Some(Admin), create_webhook)
        .add(M::DELETE, "/v1/webhooks/{id}", Some(Admin), delete_webhook)
        .add(M::GET, "/v1/tokens", Some(Admin), list_tokens)
        .add(M::POST, "/v1/tokens", Some(Admin), create_token)
        .add(M::DELETE, "/v1/tokens/{id}", Some(Admin), revoke_token);
    let limit = state.config.max_body_bytes;
    let router = table
        .router
        .merge(crate::board::routes())
        .fallback(|| async { ApiError::not_found("this route") })
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(Extension(Limit(limit)))
        .with_state(state);
    (router, table.routes)
}

/// Lets the request through when its token's role is at least `role`: 401 without a valid
/// token, 403 with one whose role is lower, 429 (without looking at the token) when its address
/// has tried too many wrong tokens (`login_limit`).
async fn authorize(
    State(state): State<AppState>,
    role: Role,
    mut req: Request,
    next: Next,
) -> Response {
    let client = login_limit::client_address(&state, req.headers(), req.extensions());
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let refused = match state.limiter.check(client) {
        Err(seconds) => ApiError::too_many_attempts(seconds),
        Ok(()) => match auth::authenticate(&state.store, header).await {
            Err(e) => {
                if header.is_some() && e.status() == StatusCode::UNAUTHORIZED {
                    state.limiter.failed(client);
                }
                e
            }
            Ok(p) => {
                state.limiter.succeeded(client);
                if p.role < role {
                    ApiError::forbidden(role.as_str())
                } else {
                    req.extensions_mut().insert(p);
                    return next.run(req).await;
                }
            }
        },
    };
    drain(req.into_body(), state.config.max_body_bytes).await;
    refused.into_response()
}

/// Counts the request and its latency by route.
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    state.metrics.request(&route, &method, response.status(), start.elapsed().as_secs_f64());
    response
}

/// A JSON body of type `T`; 400 when it is not, 413 when it is over the size limit.
struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = raw_body(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("the body is not the expected JSON: {e}")))
    }
}

/// The body, at most [`Limit`] bytes; 413 over it.
///
/// An oversized body is still read (and dropped) up to four times the limit before the answer:
/// a client that sends its whole body before reading the answer then gets the 413 rather than a
/// connection reset. Bodies declared larger than that are refused without reading.
async fn raw_body<S: Send + Sync>(req: Request, _state: &S) -> Result<Bytes, ApiError> {
    let limit = req.extensions().get::<Limit>().map_or(usize::MAX, |l| l.0);
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the body is over the server's size limit",
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit.saturating_mul(4)) {
        return Err(too_large());
    }
    let mut chunks = req.into_body().into_data_stream();
    let mut body = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        seen = seen.saturating_add(chunk.len());
        if seen <= limit {
            body.extend_from_slice(&chunk);
        } else if seen > limit.saturating_mul(4) {
            break;
        }
    }
    if seen > limit { Err(too_large()) } else { Ok(Bytes::from(body)) }
}

/// Reads and drops what is left of a refused request's body (at most four times the body
/// limit), so that the client, still sending, reads the answer instead of a connection reset.
async fn drain(body: Body, limit: usize) {
    let mut chunks = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = chunks.next().await {
        seen = seen.saturating_add(chunk.len());
        if seen > limit.saturating_mul(4) {
            break;
        }
    }
}

/// The request body limit, put in every request's extensions.
#[derive(Clone, Copy)]
struct Limit(usize);

/// Query parameters of type `T`; 400 when they do not fit.
struct Params<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Params(q))
            .map_err(|r| ApiError::bad_request(r.body_text()))
    }
}

type Answer = Result<Response, ApiError>;

fn json(status: StatusCode, value: Value) -> Response {
    (status, Json(value)).into_response()
}

/// The server's address leads to the board.
async fn home() -> Redirect {
    Redirect::to("/board")
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.store.read).await {
        Ok(_) => json(StatusCode::OK, json!({"status": "ok"})),
        Err(e) => {
            eprintln!("error: health check: {e}");
            json(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "database unavailable"}))
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Answer {
    let text = state.metrics.render(&state.store).await?;
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], include_str!("../openapi.yaml")).into_response()
}

async fn me(Extension(p): Extension<Principal>) -> Response {
    json(StatusCode::OK, json!({"token": p.token, "name": p.name, "role": p.role}))
}

async fn list_policies(State(state): State<AppState>) -> Answer {
    let versions = state.policies.versions(&state.store, None).await?;
    Ok(json(StatusCode::OK, json!({ "policies": versions })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployParams {
    /// The file name diagnostics show.
    name: Option<String>,
    /// Lint and compile only.
    #[serde(default)]
    dry_run: bool,
}

async fn deploy_policy(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Params(params): Params<DeployParams>,
    req: Request,
) -> Answer {
    let bytes = raw_body(req, &state).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_request("the policy is not UTF-8 text"))?;
    let name = params.name.unwrap_or_else(|| "policy.yaml".into());
    if params.dry_run {
        let (name, text) = (name.clone(), text.to_string());
        let compiled =
            tokio::task::spawn_blocking(move || engine::compile_policy(&name, &text, None))
                .await
                .map_err(ApiError::internal)?
                .map_err(|d| ApiError::invalid_policy(&d))?;
        return Ok(json(
            StatusCode::OK,
            json!({
                "policy": compiled.id,
                "version": compiled.version,
                "digest": compiled.digest,
                "created": false,
                "warnings": engine::diagnostics_json(&compiled.warnings),
            }),
        ));
    }
    let deployed =
        state.policies.deploy(&state.store, &name, text, &p.name).await.map_err(ApiError::from)?;
    let status = if deployed.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json(status, serde_json::to_value(deployed)?))
}

/// Query of `POST /v1/calendars`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarParams {
    /// The file name diagnostics show.
    name: Option<String>,
    /// Answer what deploying would do to open tickets; change nothing.
    #[serde(default)]
    preview: bool,
}

async fn deploy_calendar(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Params(params): Params<CalendarParams>,
    req: Request,
) -> Answer {
    let bytes = raw_body(req, &state).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_request("the calendar is not UTF-8 text"))?;
    let name = params.name.unwrap_or_else(|| "calendar.yaml".into());
    let answer = crate::calendars::deploy(&state, &name, text, &p.name, params.preview).await?;
    let created = answer.get("created").and_then(Value::as_bool).unwrap_or(false);
    Ok(json(if created { StatusCode::CREATED } else { StatusCode::OK }, answer))
}

async fn list_calendars(State(state): State<AppState>) -> Answer {
    Ok(json(StatusCode::OK, json!({ "calendars": crate::calendars::list(&state.store).await? })))
}

async fn policy_versions(State(state): State<AppState>, Path(policy): Path<String>) -> Answer {
    let versions = state.policies.versions(&state.store, Some(&policy)).await?;
    if versions.is_empty() {
        return Err(ApiError::not_found(&format!("policy `{policy}`")));
    }
    Ok(json(StatusCode::OK, json!({ "policy": policy, "versions": versions })))
}

async fn policy_source(
    State(state): State<AppState>,
    Path((policy, version)): Path<(String, String)>,
) -> Answer {
    let source = state.policies.source(&state.store, &policy, &version).await?;
    Ok(([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], source).into_response())
}

async fn migrate(
    State(state): State<AppState>,
    Path(policy): Path<String>,
    JsonBody(req): JsonBody<MigrateRequest>,
) -> Answer {
    Ok(json(StatusCode::OK, tickets::migrate(&state, &policy, req).await?))
}

async fn queue(State(state): State<AppState>, Params(filter): Params<QueueFilter>) -> Answer {
    Ok(json(StatusCode::OK, tickets::queue(&state, filter).await?))
}

async fn open_ticket(State(state): State<AppState>, JsonBody(body): JsonBody<Value>) -> Answer {
    let (status, view) = tickets::open(&state, body).await?;
    Ok(json(status, view))
}

async fn read_ticket(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    Ok(json(StatusCode::OK, tickets::read(&state, &id).await?))
}

async fn send_event(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Answer {
    let (status, outcome) = tickets::event(&state, &id, body, &p).await?;
    Ok(json(status, outcome))
}

/// Which part of the ledger to export.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerFilter {
    /// Only tickets of this policy.
    pub policy: Option<String>,
    /// Only tickets on this version of it.
    pub version: Option<String>,
}

const JSON_LINES: &str = "application/x-ndjson";

async fn ledger(State(state): State<AppState>, Params(f): Params<LedgerFilter>) -> Answer {
    let lines = crate::export::ledger_lines(&state, f);
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(JSON_LINES))], Body::from_stream(lines))
        .into_response())
}

async fn ledger_tickets(State(state): State<AppState>, Params(f): Params<LedgerFilter>) -> Answer {
    let lines = crate::export::stored_tickets(&state, f);
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(JSON_LINES))], Body::from_stream(lines))
        .into_response())
}

/// How to build a report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The policy whose tickets are reported (required).
    pub policy: String,
    /// The version whose rules the ledger is replayed under (default: the latest).
    pub version: Option<String>,
    /// Seed of the callback sample (default 1).
    pub seed: Option<u64>,
    /// The repeat-complaint window in days (default 30).
    pub repeat_window_days: Option<u32>,
}

async fn report(
    State(state): State<AppState>,
    Path(period): Path<String>,
    Params(p): Params<ReportParams>,
) -> Answer {
    let period: engine::Period = period.parse().map_err(ApiError::bad_request)?;
    let report = crate::export::report(&state, p, period).await?;
    Ok(json(StatusCode::OK, report))
}

async fn deliveries(State(state): State<AppState>, Params(f): Params<DeliveryFilter>) -> Answer {
    Ok(json(StatusCode::OK, outbox::list(&state, f).await?))
}

async fn retry_delivery(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    if outbox::retry(&state, &id).await? {
        Ok(json(StatusCode::OK, json!({"id": id, "status": "pending"})))
    } else {
        Err(ApiError::not_found(&format!("dead delivery `{id}`")))
    }
}

async fn list_webhooks(State(state): State<AppState>) -> Answer {
    Ok(json(StatusCode::OK, outbox::list_webhooks(&state).await?))
}

async fn create_webhook(
    State(state): State<AppState>,
    JsonBody(hook): JsonBody<NewWebhook>,
) -> Answer {
    Ok(json(StatusCode::CREATED, outbox::create_webhook(&state, hook).await?))
}

async fn delete_webhook(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    if outbox::delete_webhook(&state, &id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(&format!("webhook `{id}`")))
    }
}

async fn list_tokens(State(state): State<AppState>) -> Answer {
    Ok(json(StatusCode::OK, json!({ "tokens": auth::list(&state.store).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    role: String,
    name: String,
}

async fn create_token(State(state): State<AppState>, JsonBody(t): JsonBody<NewToken>) -> Answer {
    let role = auth::role_named(&t.role)?;
    if t.name.trim().is_empty() || t.name.len() > 128 {
        return Err(ApiError::unprocessable("invalid_name", "a token's name has 1 to 128 bytes"));
    }
    let token = auth::create(&state.store, role, t.name.trim()).await?;
    Ok(json(StatusCode::CREATED, serde_json::to_value(token)?))
}

async fn revoke_token(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    if auth::revoke(&state.store, &id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(&format!("token `{id}`")))
    }
}
