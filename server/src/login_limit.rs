//! The limit on failed logins: wrong tokens presented to the API (`Authorization: Bearer`) or
//! pasted into the board's login form.
//!
//! Each instance counts, in memory, the failures of the last [`LoginLimit::window`] per client
//! address and in all. An address with [`LoginLimit::per_address`] failures in the window is
//! refused (429, without its token being looked at) until its oldest failure leaves the window.
//! When the instance has counted [`LoginLimit::global`] failures in the window, every address
//! is refused the same way except those that presented a valid token within the window, so
//! the staff and integrations already at work go on while a spread of addresses is guessing.
//! A success clears no count (not even its own address's: an address shared behind a NAT
//! could otherwise reset a guesser's count).
//!
//! Memory is bounded: an address is counted only while its failures are in the window, and
//! while the global limit is reached only addresses that presented a valid token add failures.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failed logins are allowed, per client address and in all, in a sliding window.
///
/// ```
/// let limit = ombud_server::LoginLimit::default();
/// assert_eq!((limit.per_address, limit.global), (10, 1000));
/// assert_eq!(limit.window, std::time::Duration::from_secs(15 * 60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimit {
    /// Failures one client address may have in the window.
    pub per_address: u32,
    /// Failures all addresses together may have in the window.
    pub global: u32,
    /// The window.
    pub window: Duration,
}

impl Default for LoginLimit {
    fn default() -> Self {
        LoginLimit { per_address: 10, global: 1000, window: Duration::from_secs(15 * 60) }
    }
}

/// The failures and recent successes of an instance.
pub(crate) struct Limiter {
    limit: LoginLimit,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Each address's failures in the window, oldest first.
    by_address: HashMap<IpAddr, VecDeque<Instant>>,
    /// Every failure in the window, oldest first.
    all: VecDeque<Instant>,
    /// When each address last presented a valid token.
    trusted: HashMap<IpAddr, Instant>,
    /// The size of `trusted` above which its stale entries are swept.
    sweep_trusted_at: usize,
}

/// Drops the instants that left the window from the front of `q`.
fn expire(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

/// How long until `oldest` leaves the window, in whole seconds (at least 1).
fn wait(oldest: Option<&Instant>, now: Instant, window: Duration) -> u64 {
    let left = oldest.map_or(Duration::ZERO, |t| window.saturating_sub(now.duration_since(*t)));
    left.as_secs().saturating_add(u64::from(left.subsec_nanos() > 0)).max(1)
}

impl Limiter {
    pub(crate) fn new(limit: LoginLimit) -> Limiter {
        Limiter { limit, inner: Mutex::new(Inner { sweep_trusted_at: 1024, ..Inner::default() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the counts consistent (each step is one push or
        // pop), so a poisoned lock is used as it is.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(seconds to wait)` when `addr` may not try a token now.
    pub(crate) fn check(&self, addr: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let window = self.limit.window;
        let mut inner = self.lock();
        if let Some(q) = inner.by_address.get_mut(&addr) {
            expire(q, now, window);
            if q.len() >= self.limit.per_address as usize {
                return Err(wait(q.front(), now, window));
            }
        }
        expire(&mut inner.all, now, window);
        let trusted = inner.trusted.get(&addr).is_some_and(|t| now.duration_since(*t) < window);
        if inner.all.len() >= self.limit.global as usize && !trusted {
            return Err(wait(inner.all.front(), now, window));
        }
        Ok(())
    }

    /// Counts a wrong token from `addr`.
    pub(crate) fn failed(&self, addr: IpAddr) {
        let now = Instant::now();
        let window = self.limit.window;
        let mut inner = self.lock();
        expire(&mut inner.all, now, window);
        inner.all.push_back(now);
        let q = inner.by_address.entry(addr).or_default();
        expire(q, now, window);
        q.push_back(now);
        // Every address with a failure in the window has one in `all`: more addresses than
        // that means some have none left.
        if inner.by_address.len() > inner.all.len() {
            inner.by_address.retain(|_, q| {
                expire(q, now, window);
                !q.is_empty()
            });
        }
    }

    /// Notes that `addr` presented a valid token.
    pub(crate) fn succeeded(&self, addr: IpAddr) {
        let now = Instant::now();
        let window = self.limit.window;
        let mut inner = self.lock();
        inner.trusted.insert(addr, now);
        if inner.trusted.len() > inner.sweep_trusted_at {
            inner.trusted.retain(|_, t| now.duration_since(*t) < window);
            inner.sweep_trusted_at = (inner.trusted.len() * 2).max(1024);
        }
    }
}

/// The address a request came from: behind an HTTPS proxy ([`crate::Config::behind_https_proxy`])
/// the last address of `X-Forwarded-For` (the one the proxy appended), else the connection's
/// peer.
pub(crate) fn client_address(state: &AppState, headers: &HeaderMap, ext: &Extensions) -> IpAddr {
    if state.config.behind_https_proxy
        && let Some(ip) = forwarded_for(headers)
    {
        return ip;
    }
    // The server is always served with its connection info; without it (never), every request
    // counts as one address.
    ext.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// The last address of the last `X-Forwarded-For` header (with or without a port).
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    let entry = last.rsplit(',').next()?.trim();
    entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// The address a request came from, as an extractor (see [`client_address`]).
pub(crate) struct Client(pub(crate) IpAddr);

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Client(client_address(state, &parts.headers, &parts.extensions)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_address: u32, global: u32) -> Limiter {
        Limiter::new(LoginLimit { per_address, global, window: Duration::from_secs(3600) })
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn an_address_is_refused_after_its_failures_and_others_are_not() {
        let l = limiter(3, 100);
        for _ in 0..3 {
            assert_eq!(l.check(ip(1)), Ok(()));
            l.failed(ip(1));
        }
        let Err(wait) = l.check(ip(1)) else { panic!("a fourth try was allowed") };
        assert!((3599..=3600).contains(&wait), "{wait}");
        assert_eq!(l.check(ip(2)), Ok(()));
        l.succeeded(ip(2));
        assert!(l.check(ip(1)).is_err(), "another address's success reset the count");
    }

    #[test]
    fn the_global_limit_spares_only_addresses_that_succeeded() {
        let l = limiter(2, 3);
        l.succeeded(ip(9));
        l.failed(ip(1));
        l.failed(ip(1));
        l.failed(ip(2));
        assert!(l.check(ip(3)).is_err());
        assert!(l.check(ip(2)).is_err());
        assert_eq!(l.check(ip(9)), Ok(()));
    }

    #[test]
    fn failures_leave_the_window() {
        let l = Limiter::new(LoginLimit { per_address: 1, global: 1, window: Duration::ZERO });
        l.failed(ip(1));
        assert_eq!(l.check(ip(1)), Ok(()));
        assert_eq!(l.check(ip(2)), Ok(()));
    }
}
