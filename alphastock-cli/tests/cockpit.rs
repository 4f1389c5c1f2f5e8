//! The operator's cockpit, end to end on the built binary: a paper run with the web dashboard
//! and a loopback webhook receiver (the page, `/api/state`, `/metrics`, the kill switch button,
//! the alerts compared with the journal), `alphastock dashboard` over the finished journal, a
//! dead webhook that must not hold the run back, and the page rendered by a real headless
//! Chromium.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alphastock_cli::store::Store;
use chrono::TimeZone;
use rust_decimal::Decimal;
use serde_json::Value;

const DAY: &str = "2026-12-01";
const TOKEN: &str = "t0ken-for-tests";

fn paper_yaml() -> String {
    std::fs::read_to_string(format!(
        "{}/../fixtures/paper.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    std::fs::write(&path, format!("{}\n{extra}\n", paper_yaml())).unwrap();
    path
}

/// A webhook receiver on loopback that answers 200 and keeps every JSON body.
fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", server.server_addr());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let keep = bodies.clone();
    std::thread::spawn(move || {
        for mut req in server.incoming_requests() {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(req.as_reader(), &mut text);
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                keep.lock().unwrap().push(v);
            }
            let _ = req.respond(tiny_http::Response::from_string("ok"));
        }
    });
    (url, bodies)
}

/// Spawns `alphastock` with `args`; its stdout lines arrive on the receiver.
fn spawn(args: &[&str], envs: &[(&str, &str)]) -> (Child, Receiver<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alphastock"));
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .env_remove("ALPHASTOCK_DASHBOARD_TOKEN");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Reads lines until one contains `marker`; returns it and every line before it.
fn wait_line(rx: &Receiver<String>, marker: &str, seen: &mut Vec<String>) -> String {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|e| panic!("no `{marker}` line ({e}); got:\n{}", seen.join("\n")));
        seen.push(line.clone());
        if line.contains(marker) {
            return line;
        }
    }
}

fn base_url(line: &str) -> String {
    let start = line.find("http://").unwrap();
    line[start..].split_whitespace().next().unwrap().to_string()
}

/// Starts a paced paper run of `DAY` with the dashboard on a free loopback port; returns the
/// process, its stdout lines, the dashboard's base URL and the lines read so far.
fn start_run(
    config: &Path,
    db: &Path,
    speed: &str,
    envs: &[(&str, &str)],
) -> (Child, Receiver<String>, String, Vec<String>) {
    let (child, rx) = spawn(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--date",
            DAY,
            "--speed",
            speed,
            "--dashboard",
            "127.0.0.1:0",
        ],
        envs,
    );
    let mut seen = Vec::new();
    let base = base_url(&wait_line(&rx, "dashboard at http://", &mut seen));
    (child, rx, base, seen)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

fn post(url: &str, body: &str) -> (u16, String) {
    let mut resp = agent()
        .post(url)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

fn state(base: &str, token: Option<&str>) -> Value {
    let (status, body) = get(&format!("{base}api/state"), token);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The value of the sample `name` (with its labels) in a Prometheus text page.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
        .parse()
        .unwrap()
}

/// Polls the state until `ready` holds (the run is paced, so this comes within the run).
fn poll_until(
    base: &str,
    token: Option<&str>,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..3000 {
        let s = state(base, token);
        if ready(&s) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the dashboard never showed {what}");
}

fn day_start() -> chrono::DateTime<chrono::FixedOffset> {
    alphastock_core::market::IST
        .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .unwrap()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn a_paper_run_shows_its_position_and_fill_counts_orders_alerts_exits_and_obeys_the_kill_button() {
    let dir = tempfile::tempdir().unwrap();
    let (hook, bodies) = webhook_receiver();
    let config = write_config(
        dir.path(),
        &format!(
            "alerts: {{ webhook: {{ url: \"{hook}\" }}, heartbeat_minutes: 0, max_per_minute: 600 }}\n\
             dashboard: {{ kill_switch_button: true, refresh_seconds: 1 }}"
        ),
    );
    let db = dir.path().join("journal.db");
    let (mut child, rx, base, mut seen) = start_run(
        &config,
        &db,
        "600",
        &[("ALPHASTOCK_DASHBOARD_TOKEN", TOKEN)],
    );
    wait_line(&rx, "alerts to webhook", &mut seen);

    // With a token configured, every request must carry it.
    assert_eq!(get(&format!("{base}api/state"), None).0, 401);
    let token = Some(TOKEN);

    // An open position, and the fill that opened it, on /api/state.
    let s = poll_until(&base, token, "an open position", |s| {
        s["positions"].as_array().is_some_and(|p| !p.is_empty())
    });
    assert_eq!(s["mode"], "paper run");
    assert_eq!(s["day"], DAY);
    let pos = &s["positions"][0];
    let symbol = pos["trading_symbol"].as_str().unwrap().to_string();
    let opened_by = s["fills"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["trading_symbol"] == symbol.as_str() && f["side"] == "BUY")
        .map(|f| f["quantity"].as_i64().unwrap())
        .sum::<i64>();
    assert!(opened_by >= pos["quantity"].as_i64().unwrap(), "{s:#}");
    assert!(
        pos["stop"].is_string() && pos["target"].is_string(),
        "{pos}"
    );
    assert!(dec(&pos["stop"]) < dec(&pos["average_price"]), "{pos}");
    assert!(s["orders"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["trading_symbol"] == symbol.as_str()));

    // /metrics counts the orders: never fewer than the journal has committed.
    let (status, metrics) = get(&format!("{base}metrics"), token);
    assert_eq!(status, 200);
    let entries = sample(&metrics, "alphastock_orders_total{purpose=\"entry\"}");
    let exits = sample(&metrics, "alphastock_orders_total{purpose=\"exit\"}");
    assert!(entries >= 1.0, "{metrics}");
    assert!(
        entries + exits >= s["orders"].as_array().unwrap().len() as f64,
        "{metrics}"
    );
    assert!(sample(&metrics, "alphastock_open_positions") >= 0.0);

    // The page itself: served by the binary, no outside asset.
    let (status, page) = get(&format!("{base}?token={TOKEN}"), None);
    assert_eq!(status, 200);
    assert!(page.contains("id=\"positions\"") && page.contains("api/state"));
    assert!(
        !page.contains("https://") && !page.contains("src=\"http"),
        "the page loads nothing from outside"
    );

    // The kill switch button: refused without the token or the confirmation, then obeyed.
    let kill = format!("{base}api/kill");
    let with_header = |body: &str| {
        let mut resp = agent()
            .post(&kill)
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .send(body.to_string())
            .unwrap();
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        )
    };
    assert_eq!(post(&kill, "{}").0, 401);
    assert_eq!(
        with_header(r#"{"token":"wrong","confirm":"FLATTEN"}"#).0,
        403
    );
    assert_eq!(with_header(&format!(r#"{{"token":"{TOKEN}"}}"#)).0, 400);
    let (status, text) = with_header(&format!(r#"{{"token":"{TOKEN}","confirm":"FLATTEN"}}"#));
    assert_eq!(status, 202, "{text}");
    let after = poll_until(&base, token, "the kill switch on and no position", |s| {
        s["health"]["kill_switch"].is_string()
            && s["positions"].as_array().is_some_and(|p| p.is_empty())
    });
    assert!(
        after["health"]["kill_switch"]
            .as_str()
            .unwrap()
            .contains("from the dashboard"),
        "{after:#}"
    );

    let status = child.wait().unwrap();
    let rest: Vec<String> = rx.iter().collect();
    seen.extend(rest);
    let stdout = seen.join("\n");
    assert!(status.success(), "{stdout}");
    let killed_at = stdout
        .lines()
        .position(|l| l.contains("kill switch tripped: from the dashboard"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        !stdout
            .lines()
            .skip(killed_at)
            .any(|l| l.contains(" ORDER ") && l.contains("entry")),
        "no entry after the kill switch:\n{stdout}"
    );
    let day_line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("DAY {DAY}:")))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    assert!(stdout.contains("ALERTS sent"), "{stdout}");

    // The webhook got each exit with the P&L the journal has, and the day's result.
    let store = Store::open(&db).unwrap();
    let closed = store.journal_since("position_closed", day_start()).unwrap();
    assert!(!closed.is_empty());
    let got = bodies.lock().unwrap().clone();
    let exit_alerts: Vec<&Value> = got.iter().filter(|b| b["event"] == "exit").collect();
    assert_eq!(exit_alerts.len(), closed.len(), "{got:#?}");
    for ((_, detail), alert) in closed.iter().zip(&exit_alerts) {
        assert_eq!(alert["trading_symbol"], detail["trading_symbol"]);
        assert_eq!(dec(&alert["pnl"]), dec(&detail["net_pnl"]), "{alert}");
        assert!(alert["text"].as_str().unwrap().contains("net P&L"));
    }
    let entries_alerted = got.iter().filter(|b| b["event"] == "entry").count();
    assert!(entries_alerted >= 1, "{got:#?}");
    assert!(got.iter().any(|b| b["event"] == "kill_switch"), "{got:#?}");
    let summary = got
        .iter()
        .find(|b| b["event"] == "daily_summary")
        .unwrap_or_else(|| panic!("{got:#?}"));
    let day_net: Decimal = day_line
        .rsplit("net P&L ")
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(dec(&summary["pnl"]), day_net, "{day_line}");

    // `alphastock dashboard` over the finished journal: the same counts, read-only.
    let (mut viewer, vrx) = spawn(
        &[
            "dashboard",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let mut vseen = Vec::new();
    let vbase = base_url(&wait_line(&vrx, "http://", &mut vseen));
    let (status, vmetrics) = get(&format!("{vbase}metrics"), None);
    assert_eq!(status, 200);
    let orders: f64 = day_line
        .split("orders ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let journal_orders = sample(&vmetrics, "alphastock_orders_total{purpose=\"entry\"}")
        + sample(&vmetrics, "alphastock_orders_total{purpose=\"exit\"}");
    assert_eq!(journal_orders, orders, "{day_line}\n{vmetrics}");
    let vs = state(&vbase, None);
    assert_eq!(vs["mode"], "journal");
    assert_eq!(vs["positions"].as_array().unwrap().len(), 0);
    assert_eq!(vs["closed"].as_array().unwrap().len(), closed.len());
    assert_eq!(post(&format!("{vbase}api/kill"), "{}").0, 404);
    viewer.kill().unwrap();
    let _ = viewer.wait();
}

#[test]
fn a_dead_webhook_does_not_hold_the_run_back() {
    // A receiver that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &str, name: &str| {
        let config = write_config(dir.path(), extra);
        let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
            .args(["run", "--config", config.to_str().unwrap(), "--date", DAY])
            .arg("--db")
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{stdout}");
        stdout
    };
    let baseline = run("", "baseline.db");
    let dead = run(
        &format!(
            "alerts: {{ webhook: {{ url: \"{url}\" }}, queue_size: 1, retries: 1, timeout_seconds: 60, max_per_minute: 600 }}"
        ),
        "dead.db",
    );
    let day = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("DAY "))
            .unwrap_or_else(|| panic!("{s}"))
            .to_string()
    };
    // The same trading, tick for tick, as without alerts.
    assert_eq!(day(&dead), day(&baseline));
    let fills = |s: &str| s.lines().filter(|l| l.contains(" FILL ")).count();
    assert_eq!(fills(&dead), fills(&baseline));
    // What could not be queued was dropped and counted, not waited for.
    let alerts = dead
        .lines()
        .find(|l| l.starts_with("ALERTS "))
        .unwrap_or_else(|| panic!("{dead}"));
    let dropped: u64 = alerts
        .split("dropped ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(dropped > 0, "{alerts}");
    assert!(alerts.starts_with("ALERTS sent 0,"), "{alerts}");
}

#[test]
fn a_live_run_waiting_for_the_open_keeps_sending_heartbeats() {
    use support::fake_mstock::FakeMstock;

    let server = FakeMstock::start();
    let (hook, bodies) = webhook_receiver();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("live.yaml");
    std::fs::write(
        &config,
        format!(
            "strategies:\n  ema_crossover: {{ symbols: [\"NSE:SBIN\"], instrument: underlying }}\n\
             broker:\n  mstock: {{ token_cache_dir: \"{}\" }}\n\
             alerts: {{ webhook: {{ url: \"{hook}\" }}, heartbeat_minutes: 1, max_per_minute: 600 }}\n",
            dir.path().join("tokens").display()
        ),
    )
    .unwrap();
    let db = dir.path().join("journal.db");
    // Tuesday 2 December 2025, 05:00 IST, ten simulated minutes a second: the market opens at
    // 09:15, so the whole test is spent waiting for it.
    let mut envs: Vec<(&str, String)> = server.login_env().to_vec();
    envs.push((
        "ALPHASTOCK_SIM_CLOCK",
        "2025-12-02T05:00:00+05:30@600".into(),
    ));
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (mut child, rx) = spawn(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--live",
            "--confirm-live",
        ],
        &envs,
    );
    let mut seen = Vec::new();
    wait_line(&rx, "LIVE trading through mStock", &mut seen);
    let heartbeats = || -> Vec<String> {
        bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b["event"] == "heartbeat")
            .map(|b| b["message"].as_str().unwrap().to_string())
            .collect()
    };
    for _ in 0..1200 {
        if heartbeats().len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let got = heartbeats();
    assert!(got.len() >= 3, "heartbeats while waiting: {got:#?}");
    // Each says the run is waiting and when (on the simulated clock), a minute or more apart.
    let closed_at: Vec<chrono::NaiveDateTime> = got
        .iter()
        .map(|text| {
            let rest = text
                .strip_prefix("waiting for the market to open (closed at ")
                .unwrap_or_else(|| panic!("{text}"));
            // The fake broker's recorded BANKNIFTY position, adopted at the start.
            assert!(
                rest.ends_with(" IST), open positions 1, day net P&L 0"),
                "{text}"
            );
            chrono::NaiveDateTime::parse_from_str(&rest[..19], "%Y-%m-%d %H:%M:%S").unwrap()
        })
        .collect();
    let start = chrono::NaiveDate::from_ymd_opt(2025, 12, 2)
        .unwrap()
        .and_hms_opt(5, 0, 0)
        .unwrap();
    let open = start + chrono::Duration::minutes(255);
    assert!(closed_at[0] >= start && closed_at[0] < open, "{got:#?}");
    for pair in closed_at.windows(2) {
        assert!(
            pair[1] - pair[0] >= chrono::Duration::minutes(1),
            "heartbeat_minutes: 1 of the run's clock: {got:#?}"
        );
    }
    assert!(!seen.iter().any(|l| l.contains(" ORDER ")), "{seen:?}");
}

/// Chromium from Debian's package (installed by `.ci/run`).
fn chromium(args: &[&str], url: &str, profile: &Path) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1600,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs (Debian package `chromium`)")
}

#[test]
#[ignore = "needs Debian chromium (installed by .ci/run)"]
fn a_headless_browser_renders_the_live_page() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "dashboard: { refresh_seconds: 1 }");
    let db = dir.path().join("journal.db");
    let (mut child, _rx, base, _seen) = start_run(&config, &db, "300", &[]);
    let profile = dir.path().join("profile");
    let dump = || {
        let out = chromium(
            &["--virtual-time-budget=4000", "--dump-dom"],
            &base,
            &profile,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let open = |s: &Value| -> Vec<String> {
        s["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["trading_symbol"].as_str().unwrap().to_string())
            .collect()
    };
    // A position open both before and after the page is loaded must be in the table the
    // page's script fills (the served HTML has an empty table body).
    let mut first = None;
    for _ in 0..200 {
        let before = open(&poll_until(&base, None, "an open position", |s| {
            s["positions"].as_array().is_some_and(|p| !p.is_empty())
        }));
        let dom = dump();
        let after = open(&state(&base, None));
        if before != after {
            continue;
        }
        let table = dom
            .split("id=\"positions\"")
            .nth(1)
            .and_then(|t| t.split("</table>").next())
            .unwrap_or_else(|| panic!("{dom}"))
            .to_string();
        for symbol in &before {
            assert!(table.contains(symbol.as_str()), "{symbol} not in {table}");
        }
        first = Some(dom);
        break;
    }
    let first = first.expect("a position stayed open while the page loaded");
    assert!(
        first.contains("id=\"equity-line\""),
        "the equity chart is drawn:\n{first}"
    );
    assert!(
        first.contains("mode <b id=\"mode\">paper run</b>"),
        "{first}"
    );
    assert!(
        !first.contains("id=\"kill-button\""),
        "no button unless enabled"
    );
    let as_of = |dom: &str| {
        dom.split("id=\"as-of\">")
            .nth(1)
            .and_then(|t| t.split('<').next())
            .unwrap_or_default()
            .to_string()
    };
    let t1 = as_of(&first);
    assert!(t1.starts_with(DAY), "{t1}");
    // A live update: the market time shown moves on while the run goes.
    let mut moved = false;
    for _ in 0..20 {
        let again = dump();
        if as_of(&again) > t1 {
            moved = true;
            break;
        }
    }
    assert!(moved, "the page never showed a later market time than {t1}");
    let shot = dir.path().join("dashboard.png");
    let out = chromium(
        &[
            "--virtual-time-budget=3000",
            "--hide-scrollbars",
            &format!("--screenshot={}", shot.display()),
        ],
        &base,
        &profile,
    );
    assert!(out.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    if let Ok(keep) = std::env::var("ALPHASTOCK_DASHBOARD_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn broker_calls_are_counted_by_endpoint_with_errors_the_breaker_and_rate_limit_use() {
    use alphastock_cli::broker::{Broker, InstrumentKey, MstockBroker};
    use alphastock_cli::monitor::hub::Live;
    use alphastock_cli::monitor::metered::Metered;
    use alphastock_cli::monitor::metrics;
    use alphastock_cli::monitor::state::{Controls, DashboardState};
    use alphastock_cli::mstock::MstockClient;
    use alphastock_core::config::MstockConfig;
    use support::fake_mstock::{test_credentials, FakeMstock, Fault};

    let server = FakeMstock::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = MstockConfig {
        base_url: server.base_url.clone(),
        connect_timeout_ms: 500,
        read_timeout_ms: 2000,
        token_cache_dir: dir.path().join("tokens").to_string_lossy().into_owned(),
        ..MstockConfig::default()
    };
    let credentials = test_credentials();
    let mut client = MstockClient::new(cfg, credentials);
    client.set_interactive(false);
    let live = Live::new("live run", Controls::default());
    let mut broker = Metered::new(Box::new(MstockBroker::new(client)), live.clone());
    let sbin = InstrumentKey {
        exchange: alphastock_core::market::Exchange::Nse,
        trading_symbol: "SBIN".into(),
    };
    broker.quotes(std::slice::from_ref(&sbin)).unwrap();
    server.fault("quote", Fault::Status(400));
    assert!(broker.quotes(std::slice::from_ref(&sbin)).is_err());
    broker.funds().unwrap();

    let counters = live.counters();
    let quotes = &counters.api["quotes"];
    assert_eq!((quotes.calls, quotes.errors), (2, 1));
    assert_eq!(*quotes.buckets.last().unwrap(), 2, "every call within 10 s");
    assert_eq!(counters.api["funds"].calls, 1);
    let mut state = DashboardState::default();
    live.overlay(&mut state);
    assert_eq!(state.health.broker, "ok", "the last call succeeded");
    assert_eq!(state.health.api["quotes"].error_rate_pct, 50.0);
    assert!(state.health.circuit_breaker.is_some());
    assert!(!state.health.circuit_breaker_open);
    let market = state
        .health
        .rate_limits
        .iter()
        .find(|w| w.class == "market data")
        .unwrap_or_else(|| panic!("{:?}", state.health.rate_limits));
    assert!(
        market.used >= 2 && market.limit >= market.used,
        "{market:?}"
    );
    let text = metrics::render(&counters, &state);
    assert!(text.contains("alphastock_api_calls_total{endpoint=\"quotes\"} 2\n"));
    assert!(text.contains("alphastock_api_errors_total{endpoint=\"quotes\"} 1\n"));
    assert!(text.contains("alphastock_rate_limit_used_ratio{class=\"market data\""));
    assert!(text.contains("alphastock_circuit_breaker_open{state="));
}
