//! The board in a real browser: Debian's headless Chromium driven over WebDriver (chromedriver),
//! against a real server on SQLite. It logs in, reads the queue, opens a ticket, sends an event,
//! sees the timeline and the queue change, switches language, and checks what a viewer and an
//! admin see. Screenshots of every page in both languages go to `/tmp/ombud-board-shots/`
//! (or `OMBUD_BOARD_SHOTS`), outside the repository, for a person to look at.
//!
//! Needs `chromium` and `chromium-driver` (`.ci/run` installs them); without them the test
//! fails and says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

mod common;

use common::{Db, Running, config};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn browser_path() -> &'static str {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!(
                "the board's browser test needs Debian's chromium: \
                 apt-get install -y chromium chromium-driver fonts-noto-cjk (.ci/run installs them)"
            )
        })
}

/// Starts chromedriver on a free port of 127.0.0.1.
async fn start_driver() -> Driver {
    assert!(
        installed("chromedriver"),
        "the board's browser test needs chromedriver: \
         apt-get install -y chromium chromium-driver fonts-noto-cjk (.ci/run installs them)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver { child, port, _profile: tempfile::tempdir().unwrap() };
    let ready = common::eventually(20, || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
    })
    .await;
    assert!(ready, "chromedriver did not listen on 127.0.0.1:{port}");
    driver
}

async fn browser(driver: &Driver) -> Client {
    let profile = driver._profile.path().display().to_string();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": browser_path(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1360,1000", "--lang=en-US",
                format!("--user-data-dir={profile}"),
            ],
            "prefs": {"intl": {"accept_languages": "en-US,en"}},
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap_or_else(|e| panic!("starting headless chromium through chromedriver: {e}"))
}

/// Where the screenshots go.
fn shots() -> PathBuf {
    let dir = std::env::var_os("OMBUD_BOARD_SHOTS")
        .map_or_else(|| PathBuf::from("/tmp/ombud-board-shots"), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A screenshot of the whole page (the window grown to the page's height, at most 4000 px).
async fn shoot(c: &Client, name: &str) {
    let height = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(1000)
        .clamp(700, 4000);
    c.set_window_size(1360, u32::try_from(height).unwrap_or(1000) + 140).await.unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
    c.set_window_size(1360, 1000).await.unwrap();
}

/// Clicks `element` and waits for the page it leads to: the old document is marked, and the
/// new one is the first without the mark that has finished loading.
async fn follow(c: &Client, element: fantoccini::elements::Element) {
    c.execute("window.__ombudOld = true;", vec![]).await.unwrap();
    element.click().await.unwrap();
    for _ in 0..200 {
        let fresh = c
            .execute(
                "return window.__ombudOld === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if fresh {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no new page after a click");
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}

async fn path_of(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_string()
}

/// A policy with a limit long enough to lie beyond any calendar data bundled today: its
/// deadline is provisional.
const LONG: &str = "\
policy: long-review
version: '1'
calendar: cn-mainland
tiers: [reviewer, head]
start: review
stages:
  review: { owner: reviewer, due: 400 working days, on: { decided: done } }
  done: { terminal: true }
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_in_a_browser() {
    let driver = start_driver().await;
    let db = Db::sqlite();
    let s = Running::start(config(&db)).await;
    let admin = s.admin();
    let agent = s.token(&admin, "agent", "li.wei").await;
    let viewer = s.token(&admin, "viewer", "auditor").await;
    assert_eq!(s.deploy(&admin, LONG).await.0.as_u16(), 201);
    // A webhook nobody answers: its deliveries end as dead letters.
    let dead_port =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (st, _) = s
        .call(
            "POST",
            "/v1/webhooks",
            Some(&admin),
            Some(json!({"url": format!("http://127.0.0.1:{dead_port}/hook"), "kinds": ["flag"]})),
        )
        .await;
    assert_eq!(st.as_u16(), 201);
    let now = chrono::Utc::now();
    let ago = |minutes: i64| (now - chrono::TimeDelta::minutes(minutes)).to_rfc3339();
    // Received 70 minutes ago and not registered: intake (1 h) is overdue, flagged at 80 %,
    // escalated at 100 %.
    for (id, at, text) in [
        ("C-7001", ago(70), "rude staff at the counter"),
        ("C-7002", ago(2), "charged twice for one bill"),
    ] {
        let (st, body) = s
            .call(
                "POST",
                "/v1/tickets",
                Some(&agent),
                Some(json!({"policy": "service-complaints", "id": id, "at": at,
                            "fields": {"text": text, "channel": "app"}})),
            )
            .await;
        assert_eq!(st.as_u16(), 201, "{body}");
    }
    let (st, body) = s
        .call(
            "POST",
            "/v1/tickets",
            Some(&agent),
            Some(json!({"policy": "long-review", "id": "R-1", "at": ago(1)})),
        )
        .await;
    assert_eq!(st.as_u16(), 201, "{body}");
    // The timers fire the overdue ticket's flag (and its webhook delivery dies).
    let flagged = common::eventually(10, || async {
        let (_, t) = s.call("GET", "/v1/tickets/C-7001", Some(&agent), None).await;
        t["flagged"] == true
    })
    .await;
    assert!(flagged, "the timers flag the overdue ticket");
    let died = common::eventually(15, || async {
        let (_, d) = s.call("GET", "/v1/deliveries", Some(&agent), None).await;
        d["deliveries"].as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    assert!(died, "the unanswered webhook's delivery becomes a dead letter");

    let c = browser(&driver).await;
    let s = std::sync::Arc::new(s);
    // The walk runs as a task of its own: whatever it asserts, the browser is closed after it.
    let walked = tokio::spawn({
        let (c, s) = (c.clone(), s.clone());
        async move { walk(&c, &s, &agent, &viewer, &admin).await }
    })
    .await;
    let _ = c.close().await;
    if let Err(e) = walked {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The walk through the board; any failure is returned after the browser is closed.
async fn walk(c: &Client, s: &Running, agent: &str, viewer: &str, admin: &str) {
    let base = &s.base;
    // The server's address leads to the board, which asks to log in.
    c.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(path_of(c).await, "/board/login");
    assert_eq!(text_of(c, "h1").await, "Log in to the complaint desk");
    shoot(c, "login-en").await;
    // A wrong token is refused on the page.
    c.find(Locator::Id("token")).await.unwrap().send_keys("ombud_nope_nope").await.unwrap();
    follow(c, c.find(Locator::Id("login")).await.unwrap()).await;
    assert!(text_of(c, "#login-refused").await.contains("not valid"));
    // The agent logs in and sees the queue: the red-flagged, overdue ticket first.
    c.find(Locator::Id("token")).await.unwrap().send_keys(agent).await.unwrap();
    follow(c, c.find(Locator::Id("login")).await.unwrap()).await;
    assert_eq!(path_of(c).await, "/board");
    assert!(text_of(c, "header .user").await.contains("li.wei"));
    let rows = c.find_all(Locator::Css("table.queue tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 3, "three open tickets");
    let first = c.find(Locator::Css("table.queue tbody tr")).await.unwrap();
    assert_eq!(first.attr("data-ticket").await.unwrap().as_deref(), Some("C-7001"));
    let class = first.attr("class").await.unwrap().unwrap_or_default();
    assert!(class.contains("flagged") && class.contains("overdue"), "{class}");
    assert!(first.text().await.unwrap().contains("overdue by"));
    // The escalation moved it from the service centre to the management tier's section.
    let section = c
        .find(Locator::Css("tr[data-ticket='C-7001']"))
        .await
        .unwrap()
        .find(Locator::XPath("ancestor::section"))
        .await
        .unwrap();
    assert_eq!(section.attr("id").await.unwrap().as_deref(), Some("tier-management"));
    // The far deadline is marked provisional, with its tooltip.
    let star = c.find(Locator::Css("tr[data-ticket='R-1'] abbr.prov")).await.unwrap();
    assert!(star.attr("title").await.unwrap().unwrap_or_default().contains("Provisional"));
    // The deadline shows weekday and local time.
    let deadline = text_of(c, "tr[data-ticket='C-7002'] td.when time").await;
    assert!(
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().any(|d| deadline.starts_with(d)),
        "{deadline}"
    );
    shoot(c, "queue-en").await;
    // Filters: only red-flagged tickets.
    c.goto(&format!("{base}/board?flagged=yes")).await.unwrap();
    let ids = queue_ids(c).await;
    assert_eq!(ids, ["C-7001"]);

    // The new ticket: intake, with its deadline explained.
    c.goto(&format!("{base}/board")).await.unwrap();
    follow(c, c.find(Locator::LinkText("C-7002")).await.unwrap()).await;
    assert_eq!(path_of(c).await, "/board/tickets/C-7002");
    assert_eq!(text_of(c, "#ticket-stage").await, "intake");
    let why = c.find(Locator::Css("details.why pre")).await.unwrap();
    let explanation = why.html(true).await.unwrap();
    assert!(
        explanation.contains("1h from") && explanation.contains("calendar cn-mainland"),
        "{explanation}"
    );
    let rows_before = c.find_all(Locator::Css("#timeline tbody tr")).await.unwrap().len();
    c.find(Locator::Css("details.why summary")).await.unwrap().click().await.unwrap();
    shoot(c, "ticket-en").await;
    // The agent sends `registered`: the page comes back with the ticket in `verify`, the
    // event and the new stage on the timeline.
    follow(c, c.find(Locator::Css("button[data-event='registered']")).await.unwrap()).await;
    assert_eq!(path_of(c).await, "/board/tickets/C-7002");
    assert_eq!(text_of(c, "#ticket-stage").await, "verify");
    let timeline = text_of(c, "#timeline").await;
    let rows_after = c.find_all(Locator::Css("#timeline tbody tr")).await.unwrap().len();
    assert!(rows_after > rows_before, "{rows_before} → {rows_after}");
    assert!(timeline.contains("registered"), "{timeline}");
    // An event the stage does not accept yet is shown blocked; sending it anyway is refused
    // on the page and changes nothing.
    let filed = c.find(Locator::Css("button[data-event='report_filed']")).await.unwrap();
    assert!(!filed.is_enabled().await.unwrap(), "report_filed waits for the investigation report");
    // Attach the report: the event is then accepted.
    let attach = c.find(Locator::Id("attach-form")).await.unwrap();
    let field = attach.find(Locator::Css("input[name=artifact]")).await.unwrap();
    assert_eq!(field.prop("value").await.unwrap().as_deref(), Some("investigation_report"));
    follow(c, attach.find(Locator::Css("button")).await.unwrap()).await;
    assert!(text_of(c, "#timeline").await.contains("investigation_report"));
    let filed = c.find(Locator::Css("button[data-event='report_filed']")).await.unwrap();
    assert!(filed.is_enabled().await.unwrap());
    // Assign it to a person.
    let assign = c.find(Locator::Id("assign-form")).await.unwrap();
    assign
        .find(Locator::Css("input[name=assignee]"))
        .await
        .unwrap()
        .send_keys("zhang.min")
        .await
        .unwrap();
    follow(c, assign.find(Locator::Css("button")).await.unwrap()).await;
    assert_eq!(text_of(c, "#ticket-assignee").await, "zhang.min");
    // The queue changed: the ticket is in verify, with the frontline, assigned.
    c.goto(&format!("{base}/board")).await.unwrap();
    let row = text_of(c, "tr[data-ticket='C-7002']").await;
    assert!(row.contains("verify") && row.contains("zhang.min"), "{row}");
    let section = c
        .find(Locator::Css("tr[data-ticket='C-7002']"))
        .await
        .unwrap()
        .find(Locator::XPath("ancestor::section"))
        .await
        .unwrap();
    assert_eq!(section.attr("id").await.unwrap().as_deref(), Some("tier-frontline"));

    // Policies with their stage graphs; the report.
    c.goto(&format!("{base}/board/policies")).await.unwrap();
    let graph = text_of(c, "#policy-service-complaints details.graph").await;
    assert!(graph.contains("intake") && graph.contains("registered"), "{graph}");
    shoot(c, "policies-en").await;
    c.goto(&format!("{base}/board/report?policy=service-complaints")).await.unwrap();
    let tickets_figure = text_of(c, "#fig-tickets").await;
    assert!(tickets_figure.parse::<u32>().is_ok(), "{tickets_figure}");
    // An agent sees the dead letter but may not retry it.
    assert!(text_of(c, "#dead-letters").await.contains("C-7001"));
    assert!(c.find_all(Locator::Css("#dead-letters button")).await.unwrap().is_empty());
    shoot(c, "report-en").await;

    // Switch to Chinese: the board speaks Chinese and remembers it.
    follow(c, c.find(Locator::Id("lang-switch")).await.unwrap()).await;
    assert_eq!(path_of(c).await, "/board/report");
    let lang = c.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap();
    assert_eq!(lang.as_deref(), Some("zh-CN"));
    assert_eq!(text_of(c, "header nav a").await, "工单队列");
    shoot(c, "report-zh").await;
    c.goto(&format!("{base}/board")).await.unwrap();
    assert!(text_of(c, "tr[data-ticket='C-7001']").await.contains("已超期"));
    shoot(c, "queue-zh").await;
    c.goto(&format!("{base}/board/tickets/C-7002")).await.unwrap();
    assert_eq!(text_of(c, "#next-actions h2").await, "下一步操作");
    shoot(c, "ticket-zh").await;
    c.goto(&format!("{base}/board/tickets/C-7001")).await.unwrap();
    assert!(text_of(c, "#flag-badge").await.contains("红旗"));
    shoot(c, "ticket-flagged-zh").await;
    c.goto(&format!("{base}/board/policies")).await.unwrap();
    shoot(c, "policies-zh").await;
    // Log out: the session is over.
    follow(c, c.find(Locator::Id("logout")).await.unwrap()).await;
    assert_eq!(path_of(c).await, "/board/login");
    assert_eq!(text_of(c, "h1").await, "登录投诉处理台");
    shoot(c, "login-zh").await;
    c.goto(&format!("{base}/board")).await.unwrap();
    assert_eq!(path_of(c).await, "/board/login");

    // A viewer reads the ticket but has no buttons.
    login(c, viewer).await;
    c.goto(&format!("{base}/board/tickets/C-7002")).await.unwrap();
    assert!(c.find_all(Locator::Css("#next-actions form")).await.unwrap().is_empty());
    assert!(text_of(c, "#next-actions").await.contains("查看者"));
    c.goto(&format!("{base}/board/admin")).await.unwrap();
    assert!(text_of(c, "h1").await.contains("无权"));
    follow(c, c.find(Locator::Id("logout")).await.unwrap()).await;

    // The admin retries the dead letter and sees the tokens.
    login(c, admin).await;
    follow(c, c.find(Locator::Id("lang-switch")).await.unwrap()).await;
    c.goto(&format!("{base}/board/report")).await.unwrap();
    follow(c, c.find(Locator::Css("#dead-letters button")).await.unwrap()).await;
    assert!(text_of(c, "#dead-letters").await.contains("Queued to be sent again"));
    c.goto(&format!("{base}/board/admin")).await.unwrap();
    let tokens = text_of(c, "table").await;
    assert!(tokens.contains("li.wei") && tokens.contains("auditor"), "{tokens}");
    shoot(c, "admin-en").await;
    let (status, _) = s.call("GET", "/v1/me", Some(agent), None).await;
    assert_eq!(status.as_u16(), 200);
}

async fn login(c: &Client, token: &str) {
    let url = c.current_url().await.unwrap();
    let base = format!("{}://{}", url.scheme(), url.authority());
    c.goto(&format!("{base}/board/login")).await.unwrap();
    c.find(Locator::Id("token")).await.unwrap().send_keys(token).await.unwrap();
    follow(c, c.find(Locator::Id("login")).await.unwrap()).await;
    assert_eq!(path_of(c).await, "/board");
}

async fn queue_ids(c: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for row in c.find_all(Locator::Css("table.queue tbody tr")).await.unwrap() {
        ids.push(row.attr("data-ticket").await.unwrap().unwrap_or_default());
    }
    ids
}
