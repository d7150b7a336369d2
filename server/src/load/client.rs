//! The load generator's HTTP client: requests go to any live instance and are sent again, the
//! same request with the same id, when the answer is lost (a connection refused or cut, a
//! timeout, a 5xx, a `busy` conflict) — as a client of an idempotent API does. A request is
//! given up only when the run's time is up.

use serde_json::Value;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The instances' URLs; `None` while an instance is down.
#[derive(Debug, Default)]
pub(crate) struct Endpoints {
    urls: RwLock<Vec<Option<String>>>,
}

impl Endpoints {
    pub(crate) fn new(urls: Vec<String>) -> Endpoints {
        Endpoints { urls: RwLock::new(urls.into_iter().map(Some).collect()) }
    }

    /// Marks instance `i` down (`None`) or up at `url`.
    pub(crate) fn set(&self, i: usize, url: Option<String>) {
        if let Ok(mut urls) = self.urls.write()
            && let Some(slot) = urls.get_mut(i)
        {
            *slot = url;
        }
    }

    /// A live instance, the `hint`-th one counting only live ones.
    pub(crate) fn pick(&self, hint: usize) -> Option<String> {
        let urls = self.urls.read().ok()?;
        let live: Vec<&String> = urls.iter().flatten().collect();
        if live.is_empty() { None } else { Some(live[hint % live.len()].clone()) }
    }
}

/// An answer: status, body, and how long it took from the first attempt.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) latency: Duration,
}

/// A client of the instances.
pub(crate) struct Api {
    http: reqwest::Client,
    token: String,
    endpoints: std::sync::Arc<Endpoints>,
    deadline: Instant,
    /// Attempts sent again after a lost answer.
    pub(crate) resent: AtomicU64,
}

impl Api {
    pub(crate) fn new(
        token: &str,
        endpoints: std::sync::Arc<Endpoints>,
        deadline: Instant,
    ) -> Result<Api, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Api { http, token: token.to_string(), endpoints, deadline, resent: AtomicU64::new(0) })
    }

    /// A client with another token.
    pub(crate) fn with_token(&self, token: &str) -> Api {
        Api {
            http: self.http.clone(),
            token: token.to_string(),
            endpoints: self.endpoints.clone(),
            deadline: self.deadline,
            resent: AtomicU64::new(0),
        }
    }

    /// Sends a request (to the `hint`-th live instance first) until it is answered.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&str>,
        hint: usize,
    ) -> Result<Answer, String> {
        let started = Instant::now();
        let mut attempt = 0usize;
        loop {
            if Instant::now() > self.deadline {
                return Err(format!("{method} {path}: no answer before the run's time was up"));
            }
            let lost = match self.endpoints.pick(hint + attempt) {
                None => "no instance is up".to_string(),
                Some(url) => match self.once(method.clone(), &url, path, body).await {
                    Ok((status, body)) if !lost_answer(status, &body) => {
                        return Ok(Answer { status, body, latency: started.elapsed() });
                    }
                    Ok((status, body)) => format!("{status} {body}"),
                    Err(e) => e,
                },
            };
            attempt += 1;
            self.resent.fetch_add(1, Ordering::Relaxed);
            if attempt.is_multiple_of(50) {
                eprintln!("note: {method} {path}: still trying ({lost})");
            }
            let wait = Duration::from_millis(10u64 << attempt.min(5));
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(
        &self,
        method: reqwest::Method,
        url: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<(u16, Value), String> {
        let mut req = self.http.request(method, format!("{url}{path}")).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok((status, value))
    }

    /// A GET whose body is text (exports).
    pub(crate) async fn text(&self, path: &str) -> Result<String, String> {
        let url = self.endpoints.pick(0).ok_or("no instance is up")?;
        let resp = self
            .http
            .get(format!("{url}{path}"))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(600))
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("GET {path}: {}", resp.status()));
        }
        resp.text().await.map_err(|e| format!("GET {path}: {e}"))
    }
}

/// Whether an answer says nothing about the request's fate, so the same request goes again.
fn lost_answer(status: u16, body: &Value) -> bool {
    status >= 500 || (status == 409 && body["code"] == "busy")
}
