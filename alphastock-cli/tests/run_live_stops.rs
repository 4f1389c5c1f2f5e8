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
//!
//! When the price reaches the target, the stop order itself becomes the exit: its id gets a
//! modify to LIMIT, nothing is cancelled or placed, and the position closes; a conversion the
//! broker refuses cancels the stop before the exit is placed; a binary killed right after the
//! conversion restarts with that order adopted as the exit and sends nothing again.

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
use support::fake_http::{FakeHttp, Recorded};
use support::fake_mstock::{Conversion, FakeMstock, ServerOrder};
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
    /// The thread reading stdout; it ends when the process's stdout closes.
    reader: std::thread::JoinHandle<()>,
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
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            lines,
            reader,
            spawned: Instant::now(),
            start,
        }
    }

    /// SIGKILL (what `Child::kill` sends on unix); returns a simulated time safely after the
    /// last one the process can have reached, and all it wrote to stdout (read to the end:
    /// the pipe closes with the process).
    fn kill(mut self) -> (IstTime, String) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "killed");
        let gone = self.spawned.elapsed() * SPEED;
        let _ = self.reader.join();
        let out = self.lines.lock().unwrap().join("\n");
        (
            self.start + chrono::Duration::from_std(gone).unwrap() + chrono::Duration::minutes(1),
            out,
        )
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

/// The fake mStock server scripted for the SBIN trade, a scratch directory, the binary's live
/// config in it and the start of the simulated clock (10:00 IST).
fn crash_setup(name: &str) -> (FakeMstock, tempfile::TempDir, std::path::PathBuf, IstTime) {
    let server = FakeMstock::start();
    server.without_fixture_positions();
    server.script_prices("NSE:SBIN", sbin_price_path());
    // The broker has no earlier bars of SBIN (token 3045): both runs start cold, so the scripted
    // path alone decides when the strategy signals, before and after the restart.
    server.script_history("3045", Vec::new());
    // The entry fills; every other order rests.
    server.fill_next(1);
    let scratch = tempfile::Builder::new()
        .prefix(&format!("alphastock-live-{name}-"))
        .tempdir()
        .unwrap();
    let config = live_config(scratch.path());
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    (server, scratch, config, start)
}

impl MstockRig {
    fn new() -> Self {
        let (server, scratch, config, _) = crash_setup("crash");
        Self {
            server,
            dir: scratch.path().to_path_buf(),
            config,
            _scratch: scratch,
        }
    }
}

impl LiveRun for LiveChild {
    fn output(&self) -> String {
        self.stdout()
    }
    fn kill(self) -> (IstTime, String) {
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

/// Runs the SBIN session live in-process on `server` from 10:00 to 10:27: the entry fills,
/// its stop rests at the broker, then the price climbs through the target.
fn session_to_target(server: &FakeMstock, name: &str) -> (tempfile::TempDir, Session) {
    server.without_fixture_positions();
    server.script_prices("NSE:SBIN", sbin_price_path());
    server.fill_next(1);
    let scratch = tempfile::Builder::new()
        .prefix(&format!("alphastock-live-{name}-"))
        .tempdir()
        .unwrap();
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    let wall = IstClock::starting_at(start, Arc::new(FakeClock::default()));
    let mut live = session(server, scratch.path(), &wall);
    recovery::recover(&mut live, Some(start.date_naive())).unwrap();
    run_until(&mut live, &wall, start + chrono::Duration::minutes(27));
    (scratch, live)
}

/// The stop's placement request (the one `SL` order placed for SBIN).
fn stop_placement(requests: &[Recorded]) -> &Recorded {
    let stops: Vec<&Recorded> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.form_field("order_type") == Some("SL"))
        .collect();
    assert_eq!(stops.len(), 1, "{requests:?}");
    stops[0]
}

/// The stop's limit in force when it was converted: from its last `SL` modify, else its
/// placement.
fn stop_limit_before(requests: &[Recorded], stop_id: &str) -> String {
    requests
        .iter()
        .rfind(|r| {
            (r.method == "PUT"
                && r.path.ends_with(stop_id)
                && r.form_field("order_type") == Some("SL"))
                || (r.method == "POST" && r.form_field("order_type") == Some("SL"))
        })
        .and_then(|r| r.form_field("price"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_target_turns_the_stop_order_into_the_exit_in_place_and_the_position_closes() {
    let server = FakeMstock::start();
    // The converted order is marketable: it fills at once.
    server.on_conversion(Conversion::Fill);
    let (_scratch, live) = session_to_target(&server, "convert");
    let requests = server.requests_to("orders/regular");
    let posts: Vec<&Recorded> = requests.iter().filter(|r| r.method == "POST").collect();
    // Placed: the entry and its stop, nothing else (no exit order of its own).
    assert_eq!(posts.len(), 2, "{requests:?}");
    assert_eq!(posts[0].form_field("transaction_type"), Some("BUY"));
    let placed = stop_placement(&requests);
    let tag = placed.form_field("tag").unwrap();
    let stop = server.orders().into_iter().find(|o| o.tag == tag).unwrap();
    // Never cancelled: the stop order's id got a modify to LIMIT with no trigger, of the
    // whole position, at the stop's own limit (the market was above it).
    assert!(
        requests.iter().all(|r| r.method != "DELETE"),
        "{requests:?}"
    );
    let conversions: Vec<&Recorded> = requests
        .iter()
        .filter(|r| r.method == "PUT" && r.form_field("order_type") == Some("LIMIT"))
        .collect();
    assert_eq!(conversions.len(), 1, "{requests:?}");
    let c = conversions[0];
    assert!(c.path.ends_with(&stop.order_id), "{c:?}");
    assert_eq!(c.form_field("trigger_price"), Some("0"));
    assert_eq!(c.form_field("quantity"), placed.form_field("quantity"));
    assert_eq!(
        c.form_field("price").unwrap_or_default(),
        stop_limit_before(&requests, &stop.order_id)
    );
    // Every modify was of that one order: one sell order for the position throughout.
    assert!(requests
        .iter()
        .filter(|r| r.method == "PUT")
        .all(|r| r.path.ends_with(&stop.order_id)));
    // It filled and the position is closed, with nothing left working.
    assert_eq!(stop.status, "COMPLETE");
    let sbin = live.engine.portfolio().position("SBIN");
    assert!(sbin.is_some_and(|p| !p.is_open()), "{sbin:?}");
    assert_eq!(live.engine.protective_stops().iter().count(), 0);
    assert!(live.engine.working_orders().is_empty());
}

#[test]
fn a_refused_conversion_cancels_the_stop_before_the_exit_and_never_two_sells_work() {
    let server = FakeMstock::start();
    server.on_conversion(Conversion::Refuse);
    let (_scratch, _live) = session_to_target(&server, "refused");
    let requests = server.requests_to("orders/regular");
    let placed = stop_placement(&requests);
    let tag = placed.form_field("tag").unwrap();
    let stop = server.orders().into_iter().find(|o| o.tag == tag).unwrap();
    // The conversion was asked and refused; the stop was then cancelled, and the exit
    // placed only after that cancel.
    let at = |f: &dyn Fn(&Recorded) -> bool| requests.iter().position(f);
    let asked = at(&|r| r.method == "PUT" && r.form_field("order_type") == Some("LIMIT"))
        .expect("a conversion asked");
    let cancelled = at(&|r| r.method == "DELETE" && r.path.ends_with(&stop.order_id))
        .expect("the stop cancelled after the refusal");
    let exit = at(&|r| {
        r.method == "POST"
            && r.form_field("transaction_type") == Some("SELL")
            && r.form_field("order_type") == Some("LIMIT")
    })
    .expect("an exit placed");
    assert!(asked < cancelled && cancelled < exit, "{requests:?}");
    assert_eq!(stop.status, "CANCELLED");
    assert_eq!(
        stop.field("order_type"),
        "SL",
        "the refused conversion changed nothing"
    );
    // Two sell orders over the session, never both working: one placement after the
    // other's cancel, and the exit the only one left.
    let sells = requests
        .iter()
        .filter(|r| r.method == "POST" && r.form_field("transaction_type") == Some("SELL"))
        .count();
    assert_eq!(sells, 2, "{requests:?}");
    let working: Vec<ServerOrder> = server
        .orders()
        .into_iter()
        .filter(|o| o.field("transaction_type") == "SELL" && o.status == "OPEN")
        .collect();
    assert_eq!(working.len(), 1, "{working:?}");
}

#[test]
fn a_run_killed_right_after_the_conversion_adopts_the_exit_and_places_nothing_again() {
    // The converted stop rests as a limit order.
    let (server, scratch, config, start) = crash_setup("convert-kill");
    let dir = scratch.path().to_path_buf();

    let first = LiveChild::spawn(&server, &dir, &config, start);
    let converted = |s: &FakeMstock| {
        s.requests_to("orders/regular")
            .iter()
            .any(|r| r.method == "PUT" && r.form_field("order_type") == Some("LIMIT"))
    };
    let deadline = Instant::now() + PATIENCE;
    while !converted(&server) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (restart_at, first_out) = first.kill();
    assert!(converted(&server), "no conversion:\n{first_out}");
    let requests = server.requests_to("orders/regular");
    let placed = stop_placement(&requests)
        .form_field("tag")
        .unwrap()
        .to_string();
    let stop = server
        .orders()
        .into_iter()
        .find(|o| o.tag == placed)
        .unwrap();
    assert_eq!(stop.field("order_type"), "LIMIT", "{stop:?}");
    assert_eq!(stop.status, "OPEN");
    let posts_before = server.placements();
    // The price stays above the target: an engine that took the order for a stop would
    // convert it again, one that lost it would place a stop or an exit.
    let last = {
        let served = server.quotes_served("NSE:SBIN");
        sbin_price_path()[served.saturating_sub(1).min(sbin_price_path().len() - 1)]
    };
    server.script_prices("NSE:SBIN", vec![last]);

    let second = LiveChild::spawn(&server, &dir, &config, restart_at);
    // A simulated minute of ticks, then the exchange matches the exit.
    let served = server.quotes_served("NSE:SBIN");
    let ticked = server.wait_quotes("NSE:SBIN", served + 12, PATIENCE);
    server.fill_order(&stop.order_id);
    let served = server.quotes_served("NSE:SBIN");
    let ticked_after = server.wait_quotes("NSE:SBIN", served + 12, PATIENCE);
    let (_, second_out) = second.kill();
    let text = format!("first run:\n{first_out}\nsecond run:\n{second_out}");
    assert!(
        ticked && ticked_after,
        "the restarted run stopped polling:\n{text}"
    );
    // Nothing placed, cancelled or converted again, before or after the fill.
    assert_eq!(server.placements(), posts_before, "{text}");
    let after: Vec<Recorded> = server.requests_to("orders/regular")[requests.len()..].to_vec();
    assert!(
        after
            .iter()
            .all(|r| r.method != "DELETE" && r.method != "POST"),
        "{after:?}\n{text}"
    );
    assert!(
        after
            .iter()
            .all(|r| r.form_field("order_type") != Some("SL")),
        "the exit turned back into a stop: {after:?}"
    );
    // The restart adopted the exit and saw it fill: the position closed.
    assert!(
        second_out
            .lines()
            .any(|l| l.contains(" FILL ") && l.contains(&placed)),
        "{text}"
    );
}
