//! The board's sessions over plain HTTP, on SQLite and PostgreSQL: the login needs its form
//! token, the session cookie is `HttpOnly` and `SameSite=Strict` and opens no API route, every
//! form needs the session's CSRF token and the role the API needs, a refused form changes
//! nothing, logging out or revoking the token ends the session, the language follows
//! `Accept-Language`, wrong tokens are limited per address (429 with a message in the
//! page's language), and every cookie carries `Secure` exactly behind an HTTPS proxy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

mod common;

use common::{Db, Running, client_from, config, limited};
use ombud_server::Config;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

struct Browser {
    http: reqwest::Client,
    base: String,
}

struct Answer {
    status: u16,
    location: String,
    set_cookies: Vec<String>,
    retry_after: String,
    body: String,
}

impl Browser {
    async fn send(
        &self,
        method: &str,
        path: &str,
        cookies: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !cookies.is_empty() {
            req = req.header(COOKIE, cookies);
        }
        if let Some(f) = form {
            req = req.form(f);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let set_cookies = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        Answer { status, location, set_cookies, retry_after, body: resp.text().await.unwrap() }
    }
}

/// The value of cookie `name` set by an answer, and the whole `Set-Cookie` line.
fn cookie(a: &Answer, name: &str) -> (String, String) {
    let line = a
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", a.set_cookies))
        .clone();
    let value = line.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    (value, line)
}

/// The value of the hidden input `name` in a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body.find(&marker).unwrap_or_else(|| panic!("no {name} in the page")) + marker.len();
    body[at..].split('"').next().unwrap().to_string()
}

/// Logs in with `token`: the session cookie header.
async fn log_in(b: &Browser, token: &str) -> String {
    let (_, done) = try_token(b, token, "en").await;
    assert_eq!((done.status, done.location.as_str()), (303, "/board"));
    format!("ombud_session={}", cookie(&done, "ombud_session").0)
}

/// Gets the login form and posts `token` with it, in `language`: the form and the answer.
async fn try_token(b: &Browser, token: &str, language: &str) -> (Answer, Answer) {
    let page = b.send("GET", "/board/login", "", None).await;
    let (login, _) = cookie(&page, "ombud_login");
    let form_token = hidden(&page.body, "form_token");
    let done = b
        .send(
            "POST",
            "/board/login",
            &format!("ombud_login={login}; ombud_lang={language}"),
            Some(&[("token", token), ("form_token", &form_token)]),
        )
        .await;
    (page, done)
}

async fn board_sessions(db: Db) {
    let s = Running::start(config(&db)).await;
    let admin = s.admin();
    let agent = s.token(&admin, "agent", "li.wei").await;
    let viewer = s.token(&admin, "viewer", "auditor").await;
    let b = Browser {
        http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
        base: s.base.clone(),
    };
    let (st, _) = s
        .call(
            "POST",
            "/v1/tickets",
            Some(&agent),
            Some(json!({"policy": "service-complaints", "id": "T-1", "fields": {"text": "late repair"}})),
        )
        .await;
    assert_eq!(st.as_u16(), 201);

    // Without a session, the board sends you to the login; the server's address leads there.
    assert_eq!(b.send("GET", "/", "", None).await.location, "/board");
    let a = b.send("GET", "/board", "", None).await;
    assert_eq!((a.status, a.location.as_str()), (303, "/board/login"));

    // The login form needs its own token back, from its cookie.
    let page = b.send("GET", "/board/login", "", None).await;
    let (login, line) = cookie(&page, "ombud_login");
    assert!(line.contains("HttpOnly") && line.contains("SameSite=Strict"), "{line}");
    let form_token = hidden(&page.body, "form_token");
    assert_eq!(login, form_token);
    let forged = b
        .send("POST", "/board/login", "", Some(&[("token", &agent), ("form_token", &form_token)]))
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.set_cookies.iter().all(|c| !c.starts_with("ombud_session")));
    let wrong = b
        .send(
            "POST",
            "/board/login",
            &format!("ombud_login={login}"),
            Some(&[("token", "ombud_0000_1111"), ("form_token", &form_token)]),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let done = b
        .send(
            "POST",
            "/board/login",
            &format!("ombud_login={login}"),
            Some(&[("token", &agent), ("form_token", &form_token)]),
        )
        .await;
    assert_eq!((done.status, done.location.as_str()), (303, "/board"));
    let (session, line) = cookie(&done, "ombud_session");
    assert!(line.contains("HttpOnly") && line.contains("SameSite=Strict"), "{line}");
    let agent_cookie = format!("ombud_session={session}");

    // The session opens the board, never the API (which keeps bearer tokens).
    let queue = b.send("GET", "/board", &agent_cookie, None).await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("T-1"));
    assert_eq!(b.send("GET", "/v1/tickets", &agent_cookie, None).await.status, 401);

    // A form without the session's CSRF token is refused and changes nothing.
    let ticket = b.send("GET", "/board/tickets/T-1", &agent_cookie, None).await;
    // Each deadline is shown with the engine's explanation: the counting, the ladder steps
    // with the rule that placed each.
    for part in [
        "stage `intake`, held by service_center: running",
        "1h from ",
        "elapsed time: the calendar plays no part",
        "flag at 80%: 80 % of the time",
    ] {
        assert!(ticket.body.contains(part), "{part} missing from the ticket page");
    }
    let csrf = hidden(&ticket.body, "csrf");
    let pairs = [("csrf", "0000"), ("event_id", "e-1"), ("event", "registered")];
    let refused = b.send("POST", "/board/tickets/T-1/events", &agent_cookie, Some(&pairs)).await;
    assert_eq!(refused.status, 403);
    let (_, t) = s.call("GET", "/v1/tickets/T-1", Some(&agent), None).await;
    assert_eq!(t["stage"], "intake");

    // A viewer's session, even with its own CSRF token, may not send events.
    let viewer_cookie = log_in(&b, &viewer).await;
    let viewer_page = b.send("GET", "/board/tickets/T-1", &viewer_cookie, None).await;
    assert!(!viewer_page.body.contains("data-event="), "a viewer sees no event buttons");
    let viewer_csrf = hidden(&viewer_page.body, "csrf");
    let pairs = [("csrf", viewer_csrf.as_str()), ("event_id", "e-1"), ("event", "registered")];
    let refused = b.send("POST", "/board/tickets/T-1/events", &viewer_cookie, Some(&pairs)).await;
    assert_eq!(refused.status, 403);
    let (_, t) = s.call("GET", "/v1/tickets/T-1", Some(&agent), None).await;
    assert_eq!(t["stage"], "intake");

    // The agent's form goes through, recorded as sent by the agent's token.
    let pairs = [("csrf", csrf.as_str()), ("event_id", "e-1"), ("event", "registered")];
    let ok = b.send("POST", "/board/tickets/T-1/events", &agent_cookie, Some(&pairs)).await;
    assert_eq!((ok.status, ok.location.as_str()), (303, "/board/tickets/T-1"));
    let (_, t) = s.call("GET", "/v1/tickets/T-1", Some(&agent), None).await;
    assert_eq!(t["stage"], "verify");
    let registered =
        t["timeline"].as_array().unwrap().iter().find(|r| r["kind"] == "event").unwrap();
    assert!(registered["detail"].as_str().unwrap().contains("registered"), "{registered}");
    // A refused event is shown on the page, 422, and changes nothing.
    let early = [("csrf", csrf.as_str()), ("event_id", "e-2"), ("event", "report_filed")];
    let refused = b.send("POST", "/board/tickets/T-1/events", &agent_cookie, Some(&early)).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("missing_artifacts"), "the refusal's code is shown");
    let (_, again) = s.call("GET", "/v1/tickets/T-1", Some(&agent), None).await;
    assert_eq!(again["timeline"], t["timeline"]);

    // Retrying a delivery and issuing tokens are the admin's.
    let admin_only = [("csrf", csrf.as_str()), ("name", "x"), ("role", "admin")];
    assert_eq!(
        b.send("POST", "/board/admin/tokens", &agent_cookie, Some(&admin_only)).await.status,
        403
    );

    // The language follows Accept-Language.
    let zh = b
        .http
        .get(format!("{}/board", s.base))
        .header(COOKIE, &agent_cookie)
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("工单队列"));

    // Logging out ends the session; revoking a token ends its sessions.
    let out =
        b.send("POST", "/board/logout", &agent_cookie, Some(&[("csrf", csrf.as_str())])).await;
    assert_eq!((out.status, out.location.as_str()), (303, "/board/login"));
    assert_eq!(b.send("GET", "/board", &agent_cookie, None).await.location, "/board/login");
    assert_eq!(b.send("GET", "/board", &viewer_cookie, None).await.status, 200);
    let (_, list) = s.call("GET", "/v1/tokens", Some(&admin), None).await;
    let viewer_id =
        list["tokens"].as_array().unwrap().iter().find(|t| t["name"] == "auditor").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    let (st, _) = s.call("DELETE", &format!("/v1/tokens/{viewer_id}"), Some(&admin), None).await;
    assert_eq!(st.as_u16(), 204);
    assert_eq!(b.send("GET", "/board", &viewer_cookie, None).await.location, "/board/login");
    s.server.shutdown().await;
}

async fn board_logins_are_limited(db: Db) {
    let s = Running::start(limited(&db, 2, 100)).await;
    let admin = s.admin();
    let here = Browser { http: client_from([127, 0, 0, 1]), base: s.base.clone() };
    let there = Browser { http: client_from([127, 0, 0, 2]), base: s.base.clone() };
    for _ in 0..2 {
        let (_, refused) = try_token(&here, "ombud_000000000000_0000", "en").await;
        assert_eq!((refused.status, refused.retry_after.as_str()), (401, ""));
        assert!(refused.body.contains("id=\"login-refused\""));
    }
    // The third try, even with the right token, gets the login page again: 429, why, and when.
    let (_, limited) = try_token(&here, &admin, "en").await;
    assert_eq!(limited.status, 429);
    let retry: u64 = limited.retry_after.parse().unwrap();
    assert!((3590..=3600).contains(&retry), "Retry-After: {retry}");
    assert!(limited.set_cookies.iter().all(|c| !c.starts_with("ombud_session")));
    assert!(limited.body.contains("id=\"login-limited\""), "{}", limited.body);
    assert!(
        limited
            .body
            .contains("Too many wrong tokens were tried from your address. Try again in 1h.")
    );
    assert!(limited.body.contains("name=\"form_token\""), "the form is still there");
    let (_, zh) = try_token(&here, &admin, "zh").await;
    assert_eq!(zh.status, 429);
    assert!(zh.body.contains("您所在地址尝试的错误令牌过多，请在1小时后重试。"), "{}", zh.body);
    // The API counts the same failures: the address may not try a bearer token either.
    let api = here.http.get(format!("{}/v1/me", s.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(api.status().as_u16(), 429);
    // Another address logs in.
    log_in(&there, &admin).await;
    s.server.shutdown().await;
}

/// Whether a `Set-Cookie` line has the `Secure` attribute.
fn is_secure(line: &str) -> bool {
    line.split(';').skip(1).any(|a| a.trim().eq_ignore_ascii_case("secure"))
}

/// Every `Set-Cookie` line of a visit: the login form, logging in, switching the language,
/// logging out.
async fn visit_cookies(db: &Db, behind_https_proxy: bool) -> Vec<String> {
    let s =
        Running::start(Config { behind_https_proxy, new_admin_token: true, ..config(db) }).await;
    let admin = s.admin();
    let b = Browser { http: client_from([127, 0, 0, 1]), base: s.base.clone() };
    let (page, done) = try_token(&b, &admin, "en").await;
    assert_eq!(done.status, 303);
    let session = format!("ombud_session={}", cookie(&done, "ombud_session").0);
    let lang = b.send("GET", "/board/lang/zh?back=/board", &session, None).await;
    let csrf = hidden(&b.send("GET", "/board", &session, None).await.body, "csrf");
    let out = b.send("POST", "/board/logout", &session, Some(&[("csrf", csrf.as_str())])).await;
    assert_eq!((out.status, out.location.as_str()), (303, "/board/login"));
    s.server.shutdown().await;
    let lines: Vec<String> =
        [page, done, lang, out].into_iter().flat_map(|a| a.set_cookies).collect();
    // The form's cookie, its removal and the session's; the language; the session's removal.
    for name in ["ombud_login=", "ombud_session=", "ombud_lang="] {
        assert!(lines.iter().any(|l| l.starts_with(name)), "no {name} in {lines:?}");
    }
    assert_eq!(lines.len(), 5, "{lines:?}");
    lines
}

async fn cookies_are_secure_exactly_behind_an_https_proxy(db: Db) {
    let plain = visit_cookies(&db, false).await;
    assert!(plain.iter().all(|l| !is_secure(l)), "{plain:?}");
    let behind = visit_cookies(&db, true).await;
    assert!(behind.iter().all(|l| is_secure(l)), "{behind:?}");
}

on_both!(
    board_sessions,
    board_logins_are_limited,
    cookies_are_secure_exactly_behind_an_https_proxy
);
