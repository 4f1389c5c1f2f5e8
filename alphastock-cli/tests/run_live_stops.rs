//! `protective_stop: broker` through the live loop against the fake mStock server: the filled
//! entry gets an `SL` order (trigger and limit on the tick grid) at the broker; the process
//! then dies without a clean stop; the restart adopts that stop order by its tag instead of
//! placing a second one; and over the whole session the broker never holds two working stop
//! orders for the position (a replacement is placed only after its predecessor's cancel).
//!
//! Then the real `alphastock run --live` binary against the same server, on a simulated clock
//! (`ALPHASTOCK_SIM_CLOCK`), killed with SIGKILL: once the stop rests at the broker, and at the
//! worst moments: after the entry filled while the stop's placement is on its way, dropped
//! before the broker saw it or accepted without the answer reaching the process. Each restart
//! on the same journal leaves the position with exactly one working stop order at the broker,
//! and the entry's orders add up to the approved quantity.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::TimeZone;

use alphastock_cli::mstock::clock::{FakeClock, IstClock};
use alphastock_cli::runner::live::LiveFeed;
use alphastock_cli::runner::live_loop::{run_loop, LoopOptions};
use alphastock_cli::runner::recovery;
use alphastock_cli::runner::session::Session;
use alphastock_core::market::{IstTime, Symbol, IST};

use support::crash::{self, CrashRig, Crashed, KillAt, LiveRun};
use support::fake_http::FakeHttp;
use support::fake_mstock::{FakeMstock, ServerOrder};
use support::live_config::{live_session, live_yaml, sbin_config, sbin_price_path};

/// The SBIN strategy with every position's stop order resting at the broker.
fn config() -> String {
    sbin_config("protective_stop: broker")
}

fn session(server: &FakeMstock, dir: &std::path::Path, wall: &IstClock) -> Session {
    live_session(server, dir, wall, &config())
}

fn run_until(s: &mut Session, wall: &IstClock, until: IstTime) {
    let symbols = vec![Symbol::parse("NSE:SBIN").unwrap()];
    run_loop(
        s,
        &mut LiveFeed::new(symbols, Vec::new(), 5, 5, 3, 50),
        wall,
        &AtomicBool::new(false),
        &[],
        &LoopOptions {
            until: Some(until),
            ..LoopOptions::default()
        },
    )
    .unwrap();
}

/// Replays the server's request log: the most stop orders working at once for one symbol.
fn most_stops_at_once(server: &FakeMstock) -> usize {
    let orders = server.orders();
    let stop_ids: BTreeMap<String, String> = orders
        .iter()
        .filter(|o| o.field("order_type") == "SL")
        .map(|o| (o.order_id.clone(), o.field("tradingsymbol")))
        .collect();
    let mut working: BTreeMap<String, usize> = BTreeMap::new();
    let mut most = 0;
    let mut placed = 0;
    for r in server.requests_to("orders/regular") {
        if r.method == "POST" && r.form_field("order_type") == Some("SL") {
            let sym = r.form_field("tradingsymbol").unwrap_or("").to_string();
            let n = working.entry(sym).or_default();
            *n += 1;
            most = most.max(*n);
            placed += 1;
        } else if r.method == "DELETE" {
            let id = r.path.rsplit('/').next().unwrap_or("");
            if let Some(sym) = stop_ids.get(id) {
                if let Some(n) = working.get_mut(sym) {
                    *n = n.saturating_sub(1);
                }
            }
        }
    }
    assert!(placed > 0, "no stop order was placed");
    most
}

#[test]
fn the_live_loop_keeps_one_stop_order_at_the_broker_across_a_crash() {
    let server = FakeMstock::start();
    // Only this test's SBIN trade: the recorded fixture's BANKNIFTY position would be adopted
    // and its stop would take the one fill this test scripts.
    server.without_fixture_positions();
    server.script_prices("NSE:SBIN", sbin_price_path());
    // The entry fills; every other order rests.
    server.fill_next(1);
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-live-stops-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    let wall = IstClock::starting_at(start, Arc::new(FakeClock::default()));
    let day = start.date_naive();

    // Run minute by minute until a stop order rests at the broker, then die without a clean
    // stop (the session is dropped: nothing more is sent or journaled).
    let mut live = session(&server, &dir, &wall);
    recovery::recover(&mut live, Some(day)).unwrap();
    let mut minute = 0;
    let stop = loop {
        minute += 1;
        assert!(minute <= 25, "no stop order within 25 minutes");
        run_until(&mut live, &wall, start + chrono::Duration::minutes(minute));
        let orders = server.orders();
        if let Some(o) = orders
            .iter()
            .find(|o| o.field("order_type") == "SL" && o.status == "OPEN")
        {
            break o.clone();
        }
    };
    live.writer.flush().unwrap();
    drop(live);

    // The stop order: a SELL of the whole position, trigger at the stop, limit 3 % below.
    let entry = &server.orders()[0];
    assert_eq!(entry.field("transaction_type"), "BUY");
    assert_eq!(stop.field("transaction_type"), "SELL");
    assert_eq!(stop.field("tradingsymbol"), "SBIN");
    assert_eq!(stop.field("quantity"), entry.field("quantity"));
    let trigger: f64 = stop.field("trigger_price").parse().unwrap();
    let limit: f64 = stop.field("price").parse().unwrap();
    assert!(trigger > 0.0 && limit < trigger, "{stop:?}");
    assert!(
        (limit - (trigger * 0.97 / 0.05).floor() * 0.05).abs() < 1e-6,
        "{stop:?}"
    );

    // The trailing stop had moved it in place just before the crash (a tick, under the
    // replacement step): the restart takes the broker's trigger, not the journal's.
    let moved = format!("{:.2}", trigger + 0.05);
    server.set_order_field(&stop.order_id, "trigger_price", &moved);
    // The restart adopts it by its tag; nothing new is placed for the position meanwhile.
    let placed_before = server.orders().len();
    let mut restarted = session(&server, &dir, &wall);
    let rec = recovery::recover(&mut restarted, Some(day)).unwrap();
    assert!(rec.adopted.contains(&stop.tag), "{rec:?}");
    assert_eq!(
        restarted
            .engine
            .protective_stops()
            .get("SBIN")
            .map(|s| s.request.tag.clone()),
        Some(stop.tag.clone())
    );
    assert_eq!(
        restarted
            .engine
            .protective_stops()
            .get("SBIN")
            .map(|s| s.trigger().to_string()),
        Some(moved.clone())
    );
    run_until(
        &mut restarted,
        &wall,
        start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(30),
    );
    let new_stops = server.orders()[placed_before..]
        .iter()
        .filter(|o| o.field("order_type") == "SL")
        .count();
    let cancelled = server
        .orders()
        .iter()
        .any(|o| o.tag == stop.tag && o.status == "CANCELLED");
    assert!(
        new_stops == 0 || cancelled,
        "a second stop placed while the adopted one works"
    );

    // To the end of the session: never two working stop orders for SBIN at the broker.
    run_until(&mut restarted, &wall, start + chrono::Duration::minutes(27));
    assert_eq!(most_stops_at_once(&server), 1);
    let tags: std::collections::BTreeSet<String> =
        server.orders().iter().map(|o| o.tag.clone()).collect();
    assert_eq!(tags.len(), server.orders().len(), "one order per tag");
}

/// Simulated seconds per real second of the binary's clock.
const SPEED: u32 = 60;
/// The longest any wait of the crash tests lasts (real time).
const PATIENCE: Duration = Duration::from_secs(120);

/// `alphastock run --live` running against `server` as a child process.
struct LiveChild {
    child: std::process::Child,
    /// Its stdout so far, line by line.
    lines: Arc<Mutex<Vec<String>>>,
    spawned: Instant,
    start: IstTime,
}

impl LiveChild {
    /// Starts the binary live against `server` with `config`, journal `dir/journal.db`, on a
    /// clock starting at `start` and running [`SPEED`] times real time.
    fn spawn(server: &FakeMstock, dir: &Path, config: &Path, start: IstTime) -> Self {
        let stderr =
            std::fs::File::create(dir.join(format!("stderr-{}.txt", start.timestamp()))).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_alphastock"))
            .args(["run", "--live", "--confirm-live", "--config"])
            .arg(config)
            .arg("--db")
            .arg(dir.join("journal.db"))
            .envs(server.login_env())
            .env(
                "ALPHASTOCK_SIM_CLOCK",
                format!("{}@{SPEED}", start.to_rfc3339()),
            )
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (out, sink) = (child.stdout.take().unwrap(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            lines,
            spawned: Instant::now(),
            start,
        }
    }

    /// SIGKILL (what `Child::kill` sends on unix); returns a simulated time safely after the
    /// last one the process can have reached.
    fn kill(mut self) -> IstTime {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "killed");
        let gone = self.spawned.elapsed() * SPEED;
        self.start + chrono::Duration::from_std(gone).unwrap() + chrono::Duration::minutes(1)
    }

    fn stdout(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

fn live_config(dir: &Path) -> std::path::PathBuf {
    live_yaml(dir, &config())
}

fn sl_orders(orders: &[ServerOrder]) -> Vec<&ServerOrder> {
    orders
        .iter()
        .filter(|o| o.field("order_type") == "SL" && o.field("tradingsymbol") == "SBIN")
        .collect()
}

fn entry_filled(orders: &[ServerOrder]) -> bool {
    orders
        .iter()
        .any(|o| o.filled && o.field("transaction_type") == "BUY" && o.order_id.ends_with("01"))
}

/// The fake mStock server set up for one SBIN trade, with the binary's journal and config.
struct MstockRig {
    server: FakeMstock,
    dir: PathBuf,
    config: PathBuf,
    _scratch: tempfile::TempDir,
}

impl MstockRig {
    fn new() -> Self {
        let server = FakeMstock::start();
        server.without_fixture_positions();
        server.script_prices("NSE:SBIN", sbin_price_path());
        // The broker has no earlier bars of SBIN (token 3045): both runs start cold, so the
        // scripted path alone decides when the strategy signals, before and after the restart.
        server.script_history("3045", Vec::new());
        // The entry fills; every other order rests.
        server.fill_next(1);
        let scratch = tempfile::Builder::new()
            .prefix("alphastock-live-crash-")
            .tempdir()
            .unwrap();
        let dir = scratch.path().to_path_buf();
        let config = live_config(&dir);
        Self {
            server,
            dir,
            config,
            _scratch: scratch,
        }
    }
}

impl LiveRun for LiveChild {
    fn output(&self) -> String {
        self.stdout()
    }
    fn kill(self) -> IstTime {
        LiveChild::kill(self)
    }
}

impl CrashRig for MstockRig {
    type Order = ServerOrder;
    type Run = LiveChild;
    type State = support::fake_mstock::State;
    const PATIENCE: Duration = PATIENCE;

    fn server(&self) -> &FakeHttp<Self::State> {
        &self.server
    }

    fn spawn(&self, at: IstTime) -> LiveChild {
        LiveChild::spawn(&self.server, &self.dir, &self.config, at)
    }
    fn orders(&self) -> Vec<ServerOrder> {
        self.server.orders()
    }
    fn wait_orders(&self, timeout: Duration, done: &dyn Fn(&[ServerOrder]) -> bool) -> bool {
        self.server.wait_orders(timeout, done)
    }
    fn wait_more_quotes(&self, n: usize, timeout: Duration) -> bool {
        let served = self.server.quotes_served("NSE:SBIN");
        self.server.wait_quotes("NSE:SBIN", served + n, timeout)
    }
    fn freeze_price(&self) {
        let last = {
            let served = self.server.quotes_served("NSE:SBIN");
            sbin_price_path()[served.saturating_sub(1).min(sbin_price_path().len() - 1)]
        };
        self.server.script_prices("NSE:SBIN", vec![last]);
    }
    fn entry_filled(orders: &[ServerOrder]) -> bool {
        entry_filled(orders)
    }
    fn stop_resting(orders: &[ServerOrder]) -> bool {
        sl_orders(orders).iter().any(|s| s.status == "OPEN")
    }
    fn stops(orders: &[ServerOrder]) -> Vec<&ServerOrder> {
        sl_orders(orders)
    }
    fn working(order: &ServerOrder) -> bool {
        order.status == "OPEN"
    }
    fn order_id(order: &ServerOrder) -> String {
        order.order_id.clone()
    }
}

/// The crash scenario on mStock; then the entry: the approved quantity (as the engine sent
/// it), at the broker exactly once, and the stop covering the whole position.
fn crash_and_restart(kill_at: KillAt) {
    let rig = MstockRig::new();
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    let Crashed {
        orders,
        stop,
        first_out,
        text,
    } = crash::crash_and_restart(&rig, start, kill_at);
    // The entry: the approved quantity (as the engine sent it), at the broker exactly once.
    let approved: u32 = first_out
        .lines()
        .find(|l| l.contains(" ORDER ") && l.contains(" BUY ") && l.contains("(entry"))
        .and_then(|l| l.split_whitespace().nth(5))
        .and_then(|q| q.parse().ok())
        .unwrap_or_else(|| panic!("no entry order line:\n{text}"));
    let bought: u32 = orders
        .iter()
        .filter(|o| o.field("transaction_type") == "BUY" && o.field("tradingsymbol") == "SBIN")
        .map(|o| o.field("quantity").parse::<u32>().unwrap())
        .sum();
    assert!(approved > 0);
    assert_eq!(bought, approved, "{orders:?}\n{text}");
    // The stop covers the whole position.
    assert_eq!(stop.field("quantity"), approved.to_string());
    assert_eq!(stop.field("transaction_type"), "SELL");
}

#[test]
fn a_sigkilled_live_run_leaves_one_stop_at_the_broker_after_the_restart() {
    crash_and_restart(KillAt::Resting);
}

#[test]
fn a_kill_before_the_stop_reached_the_broker_places_it_once_after_the_restart() {
    crash_and_restart(KillAt::NeverArrived);
}

#[test]
fn a_kill_before_the_stop_was_acknowledged_adopts_it_after_the_restart() {
    crash_and_restart(KillAt::AcceptedUnanswered);
}
