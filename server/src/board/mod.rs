//! The board: the web page the complaint centre's staff work from, served by the same process
//! under `/board`, in English and Chinese.
//!
//! Pages are rendered on the server from askama templates (`server/templates/`); a little plain
//! JavaScript (`server/static/board.js`) refreshes the queue and submits filters. Everything
//! the page loads comes from the server itself, so it works without any other network.
//!
//! - `session`: logging in with a token, cookie sessions, CSRF tokens
//! - `i18n`: the languages and every text
//! - `pages`: the handlers, one per page or form

mod graph;
mod i18n;
mod pages;
mod session;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The board's routes (HTML pages and forms; no bearer token: a cookie session).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(pages::queue))
        .route("/board/login", get(pages::login_form).post(pages::login))
        .route("/board/logout", post(pages::logout))
        .route("/board/lang/{code}", get(pages::switch_language))
        .route("/board/tickets/{id}", get(pages::ticket))
        .route("/board/tickets/{id}/events", post(pages::send_event))
        .route("/board/policies", get(pages::policies))
        .route("/board/report", get(pages::report))
        .route("/board/deliveries/{id}/retry", post(pages::retry_delivery))
        .route("/board/admin", get(pages::admin))
        .route("/board/admin/tokens", post(pages::issue_token))
        .route("/board/admin/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/board/static/board.css", get(pages::stylesheet))
        .route("/board/static/board.js", get(pages::script))
}
