//! Errors: why the server could not start ([`Error`]) and what a request is answered when it
//! fails ([`ApiError`]: a status and a JSON body `{"code": …, "message": …}`).

use crate::engine::{Diagnostic, Rejection, diagnostics_json, rejection_json};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Why the server could not start or stopped.
///
/// ```
/// let e = ombud_server::Error::Other("the database is read-only".into());
/// assert_eq!(e.to_string(), "the database is read-only");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A schema migration failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The listen address could not be bound, or another I/O error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A policy to deploy at start has errors (each located).
    #[error("policy `{file}` has errors")]
    Policy {
        /// The file.
        file: String,
        /// Its diagnostics.
        diagnostics: Vec<Diagnostic>,
    },
    /// Something else, described.
    #[error("{0}")]
    Other(String),
}

/// A failed request: the status and the JSON body.
///
/// ```
/// use axum::response::IntoResponse;
/// let response = ombud_server::ApiError::not_found("ticket `T-9`").into_response();
/// assert_eq!(response.status(), 404);
/// ```
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    /// Seconds for the `Retry-After` header (429).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `status`, a stable `code` and a lowercase `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({"code": code, "message": message.into()}),
            retry_after: None,
        }
    }

    /// 400: the request is not JSON of the expected shape.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: `what` does not exist.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} does not exist"))
    }

    /// 401: no token, or not a valid one.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid token: `Authorization: Bearer <TOKEN>`",
        )
    }

    /// 429: too many wrong tokens from this address (or from all); `seconds` until a token
    /// may be tried again, in the `Retry-After` header and the body's `retry_after`.
    pub fn too_many_attempts(seconds: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many wrong tokens: try again in {seconds} seconds"),
        );
        e.body["retry_after"] = seconds.into();
        e.retry_after = Some(seconds);
        e
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(needed: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", format!("this needs the `{needed}` role"))
    }

    /// 422: the engine refused the input; the body is the refusal as the engine writes it,
    /// with its `code` and `message`.
    pub fn rejected(rejection: &Rejection) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: rejection_json(rejection),
            retry_after: None,
        }
    }

    /// 422 with `code` and `message`.
    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 422: a policy with errors, with every diagnostic in the engine's JSON shape.
    pub fn invalid_policy(diagnostics: &[Diagnostic]) -> Self {
        let errors = diagnostics.iter().filter(|d| crate::engine::is_error(d)).count();
        let mut e = Self::unprocessable(
            "invalid_policy",
            format!("the policy has {errors} error{}", if errors == 1 { "" } else { "s" }),
        );
        e.body["diagnostics"] = diagnostics_json(diagnostics);
        e
    }

    /// 422 `invalid_calendar` with the diagnostics (the engine's JSON shape).
    pub fn invalid_calendar(diagnostics: &[Diagnostic]) -> Self {
        let errors = diagnostics.iter().filter(|d| crate::engine::is_error(d)).count();
        let mut e = Self::unprocessable(
            "invalid_calendar",
            format!("the calendar has {errors} error{}", if errors == 1 { "" } else { "s" }),
        );
        e.body["diagnostics"] = diagnostics_json(diagnostics);
        e
    }

    /// 409 with `code` and `message`.
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 500: logged with its cause; the client is told only that it failed.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        eprintln!("error: {cause}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server failed; see its log")
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// An error answered with a stored body (a repeated request gets the first answer).
    pub(crate) fn stored(status: StatusCode, body: Value) -> Self {
        ApiError { status, body, retry_after: None }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(format_args!("database: {e}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(format_args!("json: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
