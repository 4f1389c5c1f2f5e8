//! A fake Zerodha Kite Connect v3 server on 127.0.0.1 (random port; the HTTP/1.1 plumbing is
//! `fake_http`'s), speaking the wire as the official Python
//! SDK does (`zerodha/pykiteconnect`, `kiteconnect/connect.py`, commit f5531bd, read 3 December
//! 2026), with answers in the shapes of the SDK's recorded responses (`zerodha/kiteconnect-mocks`,
//! commit c7a8123: `generate_session.json`, `margins.json`, `quote.json`, `orders.json`,
//! `trades.json`, `positions.json`, `historical_oi.json`, `instruments_nse.csv`):
//!
//! - every call carries `X-Kite-Version: 3` (else 400 `InputException`); every call but
//!   `POST /session/token` carries `Authorization: token {api_key}:{access_token}` (else 403
//!   `TokenException`, the SDK's session-expiry case);
//! - `POST /session/token` takes the form `api_key`, `request_token`, `checksum` where
//!   `checksum` = hex SHA-256 of `api_key + request_token + api_secret` (`generate_session`);
//!   a request token is good once;
//! - POST/PUT bodies are form-encoded; the order routes are `/orders/{variety}` and
//!   `/orders/{variety}/{order_id}`, the SDK also sending `variety` in the placement form;
//! - answers are `{"status":"success","data":...}`, errors `{"status":"error","message":...,
//!   "data":null,"error_type":...}` with a 4xx/5xx status; instruments are `text/csv`;
//! - order statuses as the order book shows them: `OPEN`, `TRIGGER PENDING` (a stop waiting for
//!   its trigger), `COMPLETE`, `CANCELLED`, `REJECTED`; numbers are JSON numbers, `tag` is null
//!   when none was given; trades carry no tag.
//!
//! The order book fills from scripted prices: a MARKET order fills at once at the last price;
//! a LIMIT order fills on acceptance when [`FakeKite::fill_next`] says so, or (with
//! [`FakeKite::match_prices`]) when the last price reaches it; SL and SL-M orders rest as
//! `TRIGGER PENDING` until a served price crosses their trigger, then SL-M fills at that price
//! and SL becomes a limit order (filled when marketable).
//!
//! Faults ([`Fault`]) are scripted per path through the plumbing shared with the fake mStock
//! server (`fake_http`); a 403 `TokenException` here also ends the session, as at Kite (a new
//! login is needed).

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::fake_http::{Answer, FakeHttp, Journal, Routes};
pub use super::fake_http::{Fault, Recorded};

/// The API key of the test app (`KITE_API_KEY`).
pub const API_KEY: &str = "kitekey7hq3m";
/// The API secret of the test app (`KITE_API_SECRET`): only ever sent inside the checksum.
pub const API_SECRET: &str = "kitesecret-x9v4p2c8";
/// A request token as the login redirect would hand it over.
pub const REQUEST_TOKEN: &str = "reqtok-51fz0q";
/// The user id of the test account.
pub const USER_ID: &str = "ZT4821";

/// The hex SHA-256 of `api_key + request_token + api_secret`, as `generate_session` computes
/// the session call's `checksum`.
pub fn checksum(api_key: &str, request_token: &str, api_secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(api_key.as_bytes());
    h.update(request_token.as_bytes());
    h.update(api_secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A class of calls that Kite limits together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CallClass {
    /// `GET /quote`, `/quote/ohlc`, `/quote/ltp`.
    Quote,
    /// `GET /instruments/historical/...`.
    Historical,
    /// `POST /orders/{variety}`: an order placement.
    Placement,
    /// Every other call.
    Other,
}

/// The class a recorded request counts against.
pub fn class_of(r: &Recorded) -> CallClass {
    if r.path == "quote" || r.path.starts_with("quote/") {
        CallClass::Quote
    } else if r.path.starts_with("instruments/historical/") {
        CallClass::Historical
    } else if r.method == "POST" && r.path.starts_with("orders/") && !r.path[7..].contains('/') {
        CallClass::Placement
    } else {
        CallClass::Other
    }
}

/// Kite Connect's documented request limits (kite.trade/docs/connect/v3/exceptions, "API rate
/// limit", read 3 December 2026, with the Kite forum's statements of the order caps): quote
/// 1/s, historical 3/s, order placement 10/s, 200/min and 3,000/day, every other endpoint
/// 10/s. (A forum answer of 2026 gives 400/min and 5,000/day for placements; the stricter
/// figures are checked.) Each: class, most calls, window.
pub const KITE_LIMITS: [(CallClass, usize, Duration); 6] = [
    (CallClass::Quote, 1, Duration::from_secs(1)),
    (CallClass::Historical, 3, Duration::from_secs(1)),
    (CallClass::Placement, 10, Duration::from_secs(1)),
    (CallClass::Placement, 200, Duration::from_secs(60)),
    (CallClass::Placement, 3000, Duration::from_secs(86_400)),
    (CallClass::Other, 10, Duration::from_secs(1)),
];

/// Most modifications Kite accepts for one order (Kite Connect docs, orders: "a maximum of 25
/// modifications per order", read 3 December 2026).
pub const MAX_MODIFICATIONS: u32 = 25;

/// One row of the instruments CSV.
#[derive(Debug, Clone)]
pub struct Instrument {
    pub instrument_token: u64,
    pub exchange_token: u64,
    pub tradingsymbol: String,
    pub name: String,
    /// `YYYY-MM-DD`, empty for cash instruments.
    pub expiry: String,
    /// Rupees, 0 when not an option.
    pub strike: f64,
    /// Rupees (0 for an index, as Kite lists them).
    pub tick_size: f64,
    /// Units per lot (0 for an index).
    pub lot_size: u32,
    /// `EQ`, `CE`, `PE`, `FUT`.
    pub instrument_type: String,
    /// `NSE`, `INDICES`, `NFO-OPT`, `NFO-FUT`.
    pub segment: String,
    /// `NSE`, `NFO`.
    pub exchange: String,
}

impl Instrument {
    /// `EXCHANGE:TRADINGSYMBOL`, the key of a quote.
    pub fn key(&self) -> String {
        format!("{}:{}", self.exchange, self.tradingsymbol)
    }

    fn csv(&self) -> String {
        let num = |v: f64| {
            if v == v.trunc() {
                format!("{v:.0}")
            } else {
                format!("{v}")
            }
        };
        format!(
            "{},{},{},{},0,{},{},{},{},{},{},{}",
            self.instrument_token,
            self.exchange_token,
            self.tradingsymbol,
            self.name,
            self.expiry,
            num(self.strike),
            num(self.tick_size),
            self.lot_size,
            self.instrument_type,
            self.segment,
            self.exchange
        )
    }
}

fn equity(token: u64, exchange_token: u64, symbol: &str, name: &str) -> Instrument {
    Instrument {
        instrument_token: token,
        exchange_token,
        tradingsymbol: symbol.into(),
        name: name.into(),
        expiry: String::new(),
        strike: 0.0,
        tick_size: 0.05,
        lot_size: 1,
        instrument_type: "EQ".into(),
        segment: "NSE".into(),
        exchange: "NSE".into(),
    }
}

fn index(token: u64, exchange_token: u64, symbol: &str) -> Instrument {
    Instrument {
        tick_size: 0.0,
        lot_size: 0,
        segment: "INDICES".into(),
        ..equity(token, exchange_token, symbol, symbol)
    }
}

/// An NFO option of `name` (`NIFTY`), monthly expiry 30 December 2025.
pub fn option(token: u64, name: &str, strike: u32, kind: &str, lot: u32) -> Instrument {
    Instrument {
        instrument_token: token,
        exchange_token: token / 256,
        tradingsymbol: format!("{name}25DEC{strike}{kind}"),
        name: name.into(),
        expiry: "2025-12-30".into(),
        strike: f64::from(strike),
        tick_size: 0.05,
        lot_size: lot,
        instrument_type: kind.into(),
        segment: "NFO-OPT".into(),
        exchange: "NFO".into(),
    }
}

/// The instruments the server lists by default: three stocks (Kite's real tokens), the three
/// indices (tick and lot 0, as Kite lists indices) and NIFTY and BANKNIFTY options around the
/// money (lots of December 2025: 75 and 35).
pub fn default_instruments() -> Vec<Instrument> {
    let mut all = vec![
        equity(779_521, 3045, "SBIN", "STATE BANK OF INDIA"),
        equity(408_065, 1594, "INFY", "INFOSYS"),
        equity(738_561, 2885, "RELIANCE", "RELIANCE INDUSTRIES"),
        index(256_265, 1001, "NIFTY 50"),
        index(260_105, 1016, "NIFTY BANK"),
        index(257_801, 1006, "NIFTY FIN SERVICE"),
    ];
    let mut token = 10_245_122;
    for k in (23_800..=24_200).step_by(50) {
        for kind in ["CE", "PE"] {
            all.push(option(token, "NIFTY", k, kind, 75));
            token += 256;
        }
    }
    for k in (50_800..=51_600).step_by(100) {
        for kind in ["CE", "PE"] {
            all.push(option(token, "BANKNIFTY", k, kind, 35));
            token += 256;
        }
    }
    all
}

/// An order the server accepted.
#[derive(Debug, Clone)]
pub struct ServerOrder {
    pub order_id: String,
    /// "" when the placement had none.
    pub tag: String,
    /// The placement form, with every modification applied.
    pub form: Vec<(String, String)>,
    /// As the order book shows it.
    pub status: String,
    /// Filled in full.
    pub filled: bool,
    /// The fill price (rupees), 0 until filled.
    pub average_price: f64,
    /// Modifications accepted.
    pub modifications: u32,
    /// Its fill appears twice in the trade book (see [`FakeKite::duplicate_next`]).
    pub duplicated: bool,
    /// IST, `YYYY-MM-DD HH:MM:SS`.
    pub order_timestamp: String,
    /// IST, when it filled ("" until then).
    pub fill_timestamp: String,
}

impl ServerOrder {
    /// A field of the order's form ("" when absent).
    pub fn field(&self, name: &str) -> String {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn num(&self, name: &str) -> f64 {
        self.field(name).parse().unwrap_or(0.0)
    }

    /// Units ordered.
    pub fn quantity(&self) -> i64 {
        self.field("quantity").parse().unwrap_or(0)
    }

    /// Working at the exchange: `OPEN` or `TRIGGER PENDING`.
    pub fn working(&self) -> bool {
        self.status == "OPEN" || self.status == "TRIGGER PENDING"
    }

    fn key(&self) -> String {
        format!("{}:{}", self.field("exchange"), self.field("tradingsymbol"))
    }
}

/// A clock of IST wall time for the server's timestamps.
pub type IstSource = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

/// What the server holds: its journal of requests, orders, instruments, sessions and
/// scripts.
#[derive(Default)]
pub struct State {
    http: Journal,
    orders: Vec<ServerOrder>,
    instruments: Vec<Instrument>,
    /// The access token in force, if a session is open.
    token: Option<String>,
    tokens: Vec<String>,
    used_request_tokens: Vec<String>,
    /// Session calls refused (bad checksum, bad key, reused request token).
    refused_sessions: u32,
    paths: BTreeMap<String, Vec<f64>>,
    served: BTreeMap<String, usize>,
    /// Open interest per instrument key.
    oi: BTreeMap<String, u64>,
    fill_next: usize,
    duplicate_next: usize,
    match_prices: bool,
    extra_positions: BTreeMap<(String, String), (i64, f64)>,
    cash: f64,
    history: BTreeMap<String, Vec<Value>>,
    ist: Option<IstSource>,
}

/// The running fake server: the shared plumbing ([`FakeHttp`]: faults, recorded requests,
/// held placements) and the Kite routes.
pub struct FakeKite(FakeHttp<State>);

impl Deref for FakeKite {
    type Target = FakeHttp<State>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FakeKite {
    /// Starts the server: default instruments, ₹10,00,000 cash, no session, requests stamped
    /// with the time since the start and IST wall time from 2 December 2025 10:00 on.
    pub fn start() -> Self {
        let started = Instant::now();
        let origin = NaiveDateTime::parse_from_str("2025-12-02 10:00:00", "%Y-%m-%d %H:%M:%S")
            .expect("origin");
        Self(FakeHttp::start(State {
            instruments: default_instruments(),
            cash: 1_000_000.0,
            ist: Some(Arc::new(move || {
                origin + chrono::Duration::from_std(started.elapsed()).unwrap_or_default()
            })),
            ..State::default()
        }))
    }

    /// Opens a session as if a login had happened; returns its access token.
    pub fn open_session(&self) -> String {
        new_token(&mut self.lock())
    }

    /// Ends the session in force (a natural expiry, or the user logging in elsewhere): every
    /// authenticated call is answered 403 `TokenException` until a new login.
    pub fn expire_session(&self) {
        self.lock().token = None;
    }

    /// Every access token issued, in order.
    pub fn access_tokens(&self) -> Vec<String> {
        self.lock().tokens.clone()
    }

    /// Session calls refused (wrong checksum or key, a request token used twice).
    pub fn refused_sessions(&self) -> u32 {
        self.lock().refused_sessions
    }

    /// The order placements seen (every POST to an order route, faulted ones included), in
    /// order.
    pub fn placement_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| class_of(r) == CallClass::Placement)
            .collect()
    }

    pub fn orders(&self) -> Vec<ServerOrder> {
        self.lock().orders.clone()
    }

    /// The trade book as `GET /trades` answers it now.
    pub fn trade_book(&self) -> Vec<Value> {
        trades(&self.lock())
    }

    /// Adds (or replaces, by exchange and symbol) a row of the instruments list.
    pub fn add_instrument(&self, row: Instrument) {
        let mut s = self.lock();
        s.instruments
            .retain(|i| !(i.exchange == row.exchange && i.tradingsymbol == row.tradingsymbol));
        s.instruments.push(row);
    }

    /// Scripts the last prices of `instrument` ("NSE:SBIN"): each quote of it served takes the
    /// next price of `path`, the last one repeating once the path is used up.
    pub fn script_prices(&self, instrument: &str, path: Vec<f64>) {
        let mut s = self.lock();
        s.paths.insert(instrument.to_string(), path);
        s.served.remove(instrument);
    }

    /// How many quotes of `instrument` were served.
    pub fn quotes_served(&self, instrument: &str) -> usize {
        self.lock().served.get(instrument).copied().unwrap_or(0)
    }

    /// The open interest quoted for `instrument` (units).
    pub fn set_oi(&self, instrument: &str, oi: u64) {
        self.lock().oi.insert(instrument.to_string(), oi);
    }

    /// Scripts the candles of instrument `token`: rows `[timestamp, open, high, low, close,
    /// volume(, oi)]` with timestamps like `2025-12-01T09:15:00+0530`; each call answers the
    /// rows between its `from` and `to`. A token without a script has no candles.
    pub fn script_history(&self, token: &str, rows: Vec<Value>) {
        self.lock().history.insert(token.to_string(), rows);
    }

    /// The next `n` LIMIT orders accepted fill in full at their price at once.
    pub fn fill_next(&self, n: usize) {
        self.lock().fill_next = n;
    }

    /// LIMIT orders fill when the last price reaches them (not only by [`FakeKite::fill_next`]).
    pub fn match_prices(&self) {
        self.lock().match_prices = true;
    }

    /// The next `n` orders that fill appear twice in the trade book, under two trade ids.
    pub fn duplicate_next(&self, n: usize) {
        self.lock().duplicate_next = n;
    }

    /// Placements seen so far: every POST to an order route, faulted or refused ones
    /// included.
    pub fn placements(&self) -> usize {
        self.placement_requests().len()
    }

    /// Changes a field of an accepted order as a modification would.
    pub fn set_order_field(&self, order_id: &str, key: &str, value: &str) {
        let mut s = self.lock();
        if let Some(o) = s.orders.iter_mut().find(|o| o.order_id == order_id) {
            set_field(&mut o.form, key, value);
        }
    }

    /// The server holds a position no order of this program made (units signed, average
    /// price in rupees), e.g. one placed by hand in Kite.
    pub fn add_position(&self, symbol: &str, exchange: &str, quantity: i64, price: f64) {
        self.lock().extra_positions.insert(
            (symbol.to_string(), exchange.to_string()),
            (quantity, price),
        );
    }

    /// Cash in the account (rupees).
    pub fn set_cash(&self, cash: f64) {
        self.lock().cash = cash;
    }

    /// Stamps orders, trades and quotes with IST wall time as a child process's
    /// `ALPHASTOCK_SIM_CLOCK={start}@{speed}` runs from now: `start`, advancing `speed` times
    /// real time. (Requests stay stamped on the time source, real time by default: that is
    /// what the broker's rate limits are counted in.)
    pub fn set_ist_clock(&self, start: NaiveDateTime, speed: u32) {
        let now = Instant::now();
        self.lock().ist = Some(Arc::new(move || {
            start + chrono::Duration::from_std(now.elapsed() * speed).unwrap_or_default()
        }));
    }

    /// The environment a child process talks to this server with: `KITE_API_KEY`,
    /// `KITE_API_SECRET` and `KITE_BASE_URL`.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("KITE_API_KEY", API_KEY.to_string()),
            ("KITE_API_SECRET", API_SECRET.to_string()),
            ("KITE_BASE_URL", self.base_url.clone()),
        ]
    }

    /// Every breach of "at most `limit` calls in any window of `length` (less `slack`)" by
    /// the requests of `class`, on the server's time source: one line per call that was one
    /// too many. `slack` allows for the delivery jitter between a client's clock and this
    /// server's when the two are not the same clock.
    pub fn class_breaches(
        &self,
        class: CallClass,
        limit: usize,
        length: Duration,
        slack: Duration,
    ) -> Vec<String> {
        let window = length.saturating_sub(slack);
        self.breaches(|r| class_of(r) == class, limit, window)
            .into_iter()
            .map(|(inside, t)| {
                format!(
                    "{inside} {class:?} calls in the {window:?} ending at {t:?} (limit {limit} in {length:?})"
                )
            })
            .collect()
    }

    /// Every breach of Kite's documented limits ([`KITE_LIMITS`], [`MAX_MODIFICATIONS`]) by
    /// the requests so far (see [`FakeKite::class_breaches`] for `slack`).
    pub fn limit_breaches(&self, slack: Duration) -> Vec<String> {
        let mut out: Vec<String> = KITE_LIMITS
            .iter()
            .flat_map(|(class, limit, length)| self.class_breaches(*class, *limit, *length, slack))
            .collect();
        for o in self.orders() {
            if o.modifications > MAX_MODIFICATIONS {
                out.push(format!(
                    "order {} modified {} times",
                    o.order_id, o.modifications
                ));
            }
        }
        out
    }

    /// Waits (at most `timeout`) until `done` holds for the orders the server accepted,
    /// checked after every request it answers; returns whether it did.
    pub fn wait_orders(&self, timeout: Duration, done: impl Fn(&[ServerOrder]) -> bool) -> bool {
        self.wait_until(timeout, |s| done(&s.orders))
    }

    /// Waits (at most `timeout`) until at least `n` quotes of `instrument` were served.
    pub fn wait_quotes(&self, instrument: &str, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| {
            s.served.get(instrument).copied().unwrap_or(0) >= n
        })
    }
}

fn new_token(s: &mut State) -> String {
    let token = format!("kacc{:04}w7", s.tokens.len() + 1);
    s.tokens.push(token.clone());
    s.token = Some(token.clone());
    token
}

fn set_field(form: &mut Vec<(String, String)>, key: &str, value: &str) {
    match form.iter_mut().find(|(k, _)| k == key) {
        Some(f) => f.1 = value.to_string(),
        None => form.push((key.to_string(), value.to_string())),
    }
}

fn ist(s: &State) -> String {
    s.ist
        .as_ref()
        .map(|f| f().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The last price of `key`: the last one served, else the first of its path, else 100.5.
fn last_price(s: &State, key: &str) -> f64 {
    match s.paths.get(key) {
        Some(path) if !path.is_empty() => {
            let n = s.served.get(key).copied().unwrap_or(0);
            path[n.saturating_sub(1).min(path.len() - 1)]
        }
        _ => 100.5,
    }
}

/// Fills `o` in full at `price`.
fn fill(o: &mut ServerOrder, price: f64, at: &str, duplicate: &mut usize) {
    o.status = "COMPLETE".into();
    o.filled = true;
    o.average_price = (price * 100.0).round() / 100.0;
    o.fill_timestamp = at.to_string();
    if *duplicate > 0 {
        *duplicate -= 1;
        o.duplicated = true;
    }
}

/// Moves the working orders of `key` on the last price `ltp`: stops trigger, marketable
/// limits fill (every limit once triggered, resting limits only when prices are matched).
fn match_orders(s: &mut State, key: &str, ltp: f64) {
    let at = ist(s);
    let matching = s.match_prices;
    let mut duplicate = s.duplicate_next;
    for o in s
        .orders
        .iter_mut()
        .filter(|o| o.working() && o.key() == key)
    {
        let buy = o.field("transaction_type") == "BUY";
        if o.status == "TRIGGER PENDING" {
            let trigger = o.num("trigger_price");
            let crossed = if buy { ltp >= trigger } else { ltp <= trigger };
            if !crossed {
                continue;
            }
            if o.field("order_type") == "SL-M" {
                fill(o, ltp, &at, &mut duplicate);
                continue;
            }
            o.status = "OPEN".into();
            // A triggered SL is a limit order: it fills when marketable.
            let limit = o.num("price");
            if (buy && ltp <= limit) || (!buy && ltp >= limit) {
                fill(o, ltp, &at, &mut duplicate);
            }
            continue;
        }
        let triggered = matches!(o.field("order_type").as_str(), "SL" | "SL-M");
        if o.status == "OPEN" && (matching || triggered) {
            let limit = o.num("price");
            if (buy && ltp <= limit) || (!buy && ltp >= limit) {
                fill(o, ltp, &at, &mut duplicate);
            }
        }
    }
    s.duplicate_next = duplicate;
}

const HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn err(status: u16, error_type: &str, message: &str) -> Answer {
    let body =
        json!({"status": "error", "message": message, "data": null, "error_type": error_type});
    (status, "application/json", body.to_string())
}

fn ok(data: Value) -> Answer {
    (
        200,
        "application/json",
        json!({"status": "success", "data": data}).to_string(),
    )
}

fn token_error() -> Answer {
    err(
        403,
        "TokenException",
        "Incorrect `api_key` or `access_token`.",
    )
}

impl Routes for State {
    const HTML: &'static str = HTML;
    /// A held placement's answer is lost: the connection closes once it is processed.
    const ANSWER_HELD: bool = false;

    fn journal(&mut self) -> &mut Journal {
        &mut self.http
    }

    fn refusal(&mut self, fault: &Fault) -> Option<(Answer, String)> {
        let answer = match fault {
            Fault::TooMany(secs) => {
                let extra = if *secs > 0 {
                    format!("Retry-After: {secs}\r\n")
                } else {
                    String::new()
                };
                return Some((err(429, "NetworkException", "Too many requests"), extra));
            }
            Fault::Status(code) => err(
                *code,
                "NetworkException",
                "Couldn't reach the OMS. Please try again.",
            ),
            Fault::Html(code) => (*code, "text/html", HTML.to_string()),
            Fault::Reply(code, body) => (*code, "application/json", body.clone()),
            Fault::TokenExpired => {
                self.token = None;
                token_error()
            }
            _ => return None,
        };
        Some((answer, String::new()))
    }

    /// The next placement whose `order_type` starts with the hold's ("SL": SL or SL-M).
    fn holds(rec: &Recorded, order_type: &str) -> bool {
        class_of(rec) == CallClass::Placement
            && rec
                .form_field("order_type")
                .is_some_and(|t| t.starts_with(order_type))
    }

    fn route(rec: &Recorded, state: &Arc<Mutex<Self>>) -> Answer {
        route(rec, state)
    }
}

fn route(r: &Recorded, state: &Arc<Mutex<State>>) -> Answer {
    if r.header("X-Kite-Version") != Some("3") {
        return err(
            400,
            "InputException",
            "Invalid or missing `X-Kite-Version` header.",
        );
    }
    let mut s = state.lock().unwrap();
    if r.method == "POST" && r.path == "session/token" {
        return session(r, &mut s);
    }
    let expected = s.token.as_ref().map(|t| format!("token {API_KEY}:{t}"));
    if expected.is_none() || r.header("Authorization") != expected.as_deref() {
        return token_error();
    }
    authed(r, &mut s)
}

fn session(r: &Recorded, s: &mut State) -> Answer {
    let (Some(key), Some(request_token), Some(sum)) = (
        r.form_field("api_key"),
        r.form_field("request_token"),
        r.form_field("checksum"),
    ) else {
        return err(
            400,
            "InputException",
            "Missing `api_key`, `request_token` or `checksum`.",
        );
    };
    if key != API_KEY {
        s.refused_sessions += 1;
        return err(403, "TokenException", "Invalid `api_key`.");
    }
    if sum != checksum(API_KEY, request_token, API_SECRET) {
        s.refused_sessions += 1;
        return err(403, "TokenException", "Invalid `checksum`.");
    }
    if request_token.is_empty() || s.used_request_tokens.iter().any(|t| t == request_token) {
        s.refused_sessions += 1;
        return err(403, "TokenException", "Token is invalid or has expired.");
    }
    s.used_request_tokens.push(request_token.to_string());
    let token = new_token(s);
    let login_time = ist(s);
    ok(json!({
        "user_type": "individual", "email": "trader@example.com", "user_name": "A Trader",
        "user_shortname": "Trader", "broker": "ZERODHA",
        "exchanges": ["NSE", "NFO", "BSE", "BFO"], "products": ["CNC", "NRML", "MIS"],
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"], "avatar_url": null,
        "user_id": USER_ID, "api_key": API_KEY, "access_token": token,
        "public_token": "pubtok0001", "enctoken": "", "refresh_token": "", "silo": "",
        "login_time": login_time, "meta": {"demat_consent": "physical"}
    }))
}

fn query_value<'a>(r: &'a Recorded, k: &str) -> Option<&'a str> {
    r.query
        .iter()
        .find(|(q, _)| q == k)
        .map(|(_, v)| v.as_str())
}

fn authed(r: &Recorded, s: &mut State) -> Answer {
    let p = r.path.as_str();
    match (r.method.as_str(), p) {
        ("DELETE", "session/token") => {
            s.token = None;
            ok(json!(true))
        }
        ("GET", "user/profile") => ok(json!({
            "user_id": USER_ID, "user_type": "individual", "email": "trader@example.com",
            "user_name": "A Trader", "user_shortname": "Trader", "broker": "ZERODHA",
            "exchanges": ["NSE", "NFO", "BSE", "BFO"], "products": ["CNC", "NRML", "MIS"],
            "order_types": ["MARKET", "LIMIT", "SL", "SL-M"], "avatar_url": null,
            "meta": {"demat_consent": "physical"}
        })),
        ("GET", "user/margins") => ok(margins(s)),
        ("GET", "instruments") => (200, "text/csv", instruments_csv(s, None)),
        ("GET", path) if path.starts_with("instruments/historical/") => historical(r, s),
        ("GET", path) if path.starts_with("instruments/") => {
            let exchange = &path["instruments/".len()..];
            (200, "text/csv", instruments_csv(s, Some(exchange)))
        }
        ("GET", "quote" | "quote/ohlc" | "quote/ltp") => quote(r, s),
        ("GET", "orders") => {
            let rows: Vec<Value> = s.orders.iter().map(order_json).collect();
            ok(Value::Array(rows))
        }
        ("GET", "trades") => ok(Value::Array(trades(s))),
        ("GET", "portfolio/positions") => ok(positions(s)),
        ("GET", path) if path.starts_with("orders/") => {
            let rest = &path["orders/".len()..];
            let (id, trades_of) = match rest.split_once('/') {
                Some((id, "trades")) => (id, true),
                _ => (rest, false),
            };
            let Some(o) = s.orders.iter().find(|o| o.order_id == id) else {
                return err(400, "OrderException", "Couldn't find that `order_id`.");
            };
            if trades_of {
                let id = o.order_id.clone();
                let rows = trades(s)
                    .into_iter()
                    .filter(|t| t["order_id"] == json!(id))
                    .collect();
                return ok(Value::Array(rows));
            }
            ok(json!([order_json(o)]))
        }
        ("POST", path) if path.starts_with("orders/") && !path[7..].contains('/') => {
            place(r, s, &path[7..])
        }
        ("PUT" | "DELETE", path) if path.starts_with("orders/") => {
            let mut parts = path[7..].splitn(2, '/');
            let (Some(_variety), Some(id)) = (parts.next(), parts.next()) else {
                return err(404, "GeneralException", "Route not found");
            };
            change(r, s, id)
        }
        _ => err(404, "GeneralException", "Route not found"),
    }
}

fn margins(s: &State) -> Value {
    let debits: f64 = s
        .orders
        .iter()
        .filter(|o| o.filled && o.field("transaction_type") == "BUY")
        .map(|o| o.average_price * o.quantity() as f64)
        .sum();
    let debits = (debits * 100.0).round() / 100.0;
    let segment = |cash: f64, debits: f64| {
        json!({
            "enabled": true, "net": cash - debits,
            "available": {"adhoc_margin": 0, "cash": cash, "opening_balance": cash,
                "live_balance": cash - debits, "collateral": 0, "intraday_payin": 0},
            "utilised": {"debits": debits, "exposure": 0, "m2m_realised": 0,
                "m2m_unrealised": 0, "option_premium": 0, "payout": 0, "span": 0,
                "holding_sales": 0, "turnover": 0, "liquid_collateral": 0,
                "stock_collateral": 0, "delivery": 0}
        })
    };
    json!({"equity": segment(s.cash, debits), "commodity": segment(0.0, 0.0)})
}

fn instruments_csv(s: &State, exchange: Option<&str>) -> String {
    let mut out = String::from(
        "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n",
    );
    for i in s
        .instruments
        .iter()
        .filter(|i| exchange.is_none_or(|e| i.exchange == e))
    {
        out.push_str(&i.csv());
        out.push('\n');
    }
    out
}

fn historical(r: &Recorded, s: &State) -> Answer {
    // instruments/historical/{instrument_token}/{interval}
    let parts: Vec<&str> = r.path.split('/').collect();
    if parts.len() != 4 {
        return err(404, "GeneralException", "Route not found");
    }
    let (token, interval) = (parts[2], parts[3]);
    let intervals = [
        "minute", "3minute", "5minute", "10minute", "15minute", "30minute", "60minute", "day",
    ];
    if !intervals.contains(&interval) {
        return err(400, "InputException", "invalid interval");
    }
    let (Some(from), Some(to)) = (query_value(r, "from"), query_value(r, "to")) else {
        return err(400, "InputException", "missing `from` or `to`");
    };
    let (from, to) = (from.replace(' ', "T"), to.replace(' ', "T"));
    let rows = s.history.get(token).cloned().unwrap_or_default();
    let within: Vec<Value> = rows
        .into_iter()
        .filter(|row| {
            let t = row[0].as_str().unwrap_or("");
            let t = &t[..t.len().min(19)];
            t >= from.as_str() && t <= to.as_str()
        })
        .collect();
    ok(json!({"candles": within}))
}

/// The quote of `key` (served: advances its scripted path and moves its orders).
fn quote_entry(s: &mut State, key: &str, inst: &Instrument) -> Value {
    let (px, seen) = match s.paths.get(key).cloned() {
        Some(path) if !path.is_empty() => {
            let n = s.served.entry(key.to_string()).or_insert(0);
            let seen: Vec<f64> = path[..=(*n).min(path.len() - 1)].to_vec();
            *n += 1;
            (seen[seen.len() - 1], seen)
        }
        _ => {
            *s.served.entry(key.to_string()).or_insert(0) += 1;
            (100.5, vec![100.5])
        }
    };
    match_orders(s, key, px);
    let high = seen.iter().copied().fold(f64::MIN, f64::max);
    let low = seen.iter().copied().fold(f64::MAX, f64::min);
    let tick = if inst.tick_size > 0.0 {
        inst.tick_size
    } else {
        0.05
    };
    let level = |side: f64, k: usize| {
        let p = ((px + side * tick * (k as f64 + 1.0)) * 100.0).round() / 100.0;
        json!({"price": p, "quantity": 500 * (k + 1), "orders": 3 + k})
    };
    let oi =
        s.oi.get(key)
            .copied()
            .unwrap_or(if inst.exchange == "NFO" { 1_250_000 } else { 0 });
    let served = s.served.get(key).copied().unwrap_or(0);
    let at = ist(s);
    json!({
        "instrument_token": inst.instrument_token, "timestamp": at, "last_trade_time": at,
        "last_price": px, "last_quantity": 25, "buy_quantity": 7500, "sell_quantity": 7500,
        "volume": 100_000 + 250 * served as u64, "average_price": px, "oi": oi,
        "oi_day_high": oi, "oi_day_low": oi, "net_change": 0,
        "lower_circuit_limit": ((px * 0.8) * 20.0).round() / 20.0,
        "upper_circuit_limit": ((px * 1.2) * 20.0).round() / 20.0,
        "ohlc": {"open": seen[0], "high": high, "low": low, "close": seen[0]},
        "depth": {"buy": (0..5).map(|k| level(-1.0, k)).collect::<Vec<_>>(),
                  "sell": (0..5).map(|k| level(1.0, k)).collect::<Vec<_>>()}
    })
}

/// `GET /quote?i=EXCHANGE:SYMBOL&i=...` (also `/quote/ohlc` and `/quote/ltp`, trimmed to
/// their fields): instruments Kite does not know are left out of `data`.
fn quote(r: &Recorded, s: &mut State) -> Answer {
    let keys: Vec<String> = r
        .query
        .iter()
        .filter(|(k, _)| k == "i")
        .map(|(_, v)| v.clone())
        .collect();
    if keys.is_empty() {
        return err(400, "InputException", "No instruments specified.");
    }
    if keys.len() > 500 {
        return err(400, "InputException", "Too many instruments (max 500).");
    }
    let mut data = serde_json::Map::new();
    for key in keys {
        let Some(inst) = s.instruments.iter().find(|i| i.key() == key).cloned() else {
            continue;
        };
        let mut entry = quote_entry(s, &key, &inst);
        if r.path != "quote" {
            let keep: &[&str] = if r.path == "quote/ltp" {
                &["instrument_token", "last_price"]
            } else {
                &["instrument_token", "last_price", "ohlc"]
            };
            if let Some(m) = entry.as_object_mut() {
                m.retain(|k, _| keep.contains(&k.as_str()));
            }
        }
        data.insert(key, entry);
    }
    ok(Value::Object(data))
}

fn order_json(o: &ServerOrder) -> Value {
    let qty = o.quantity();
    let filled = if o.filled { qty } else { 0 };
    let pending = if o.working() { qty - filled } else { 0 };
    let cancelled = if o.status == "CANCELLED" { qty } else { 0 };
    let tag = if o.tag.is_empty() {
        Value::Null
    } else {
        json!(o.tag)
    };
    let message = if o.status == "REJECTED" {
        json!("RMS: order rejected")
    } else {
        Value::Null
    };
    json!({
        "placed_by": USER_ID, "order_id": o.order_id,
        "exchange_order_id": format!("1100000{}", &o.order_id[o.order_id.len() - 8..]),
        "parent_order_id": null, "status": o.status, "status_message": message,
        "status_message_raw": message, "order_timestamp": o.order_timestamp,
        "exchange_update_timestamp": o.order_timestamp, "exchange_timestamp": o.order_timestamp,
        "variety": "regular", "modified": o.modifications > 0, "exchange": o.field("exchange"),
        "tradingsymbol": o.field("tradingsymbol"), "instrument_token": 0,
        "order_type": o.field("order_type"), "transaction_type": o.field("transaction_type"),
        "validity": if o.field("validity").is_empty() { "DAY".to_string() } else { o.field("validity") },
        "product": o.field("product"), "quantity": qty, "disclosed_quantity": 0,
        "price": o.num("price"), "trigger_price": o.num("trigger_price"),
        "average_price": o.average_price, "filled_quantity": filled,
        "pending_quantity": pending, "cancelled_quantity": cancelled, "market_protection": 0,
        "meta": {}, "tag": tag, "guid": format!("g{}", o.order_id)
    })
}

fn trades(s: &State) -> Vec<Value> {
    let mut rows = Vec::new();
    for o in s.orders.iter().filter(|o| o.filled) {
        let n = &o.order_id[o.order_id.len() - 5..];
        let mut ids = vec![format!("5{n}001")];
        if o.duplicated {
            ids.push(format!("5{n}002"));
        }
        for trade_id in ids {
            rows.push(json!({
                "trade_id": trade_id, "order_id": o.order_id,
                "exchange": o.field("exchange"), "tradingsymbol": o.field("tradingsymbol"),
                "instrument_token": 0, "product": o.field("product"),
                "average_price": o.average_price, "quantity": o.quantity(),
                "exchange_order_id": format!("1100000{}", &o.order_id[o.order_id.len() - 8..]),
                "transaction_type": o.field("transaction_type"),
                "fill_timestamp": o.fill_timestamp,
                "order_timestamp": o.fill_timestamp.get(11..).unwrap_or(""),
                "exchange_timestamp": o.fill_timestamp
            }));
        }
    }
    rows
}

/// A position's book: product, units bought, rupees paid, units sold, rupees received.
type Book = (String, i64, f64, i64, f64);

fn positions(s: &State) -> Value {
    let mut book: BTreeMap<(String, String), Book> = BTreeMap::new();
    for ((symbol, exchange), (qty, px)) in &s.extra_positions {
        let e = book.entry((symbol.clone(), exchange.clone())).or_insert((
            "MIS".into(),
            0,
            0.0,
            0,
            0.0,
        ));
        if *qty > 0 {
            e.1 += qty;
            e.2 += *qty as f64 * px;
        } else {
            e.3 -= qty;
            e.4 -= *qty as f64 * px;
        }
    }
    for o in s.orders.iter().filter(|o| o.filled) {
        let e = book
            .entry((o.field("tradingsymbol"), o.field("exchange")))
            .or_insert((o.field("product"), 0, 0.0, 0, 0.0));
        let value = o.average_price * o.quantity() as f64;
        if o.field("transaction_type") == "BUY" {
            e.1 += o.quantity();
            e.2 += value;
        } else {
            e.3 += o.quantity();
            e.4 += value;
        }
    }
    let rows: Vec<Value> = book
        .into_iter()
        .map(|((symbol, exchange), (product, bq, bv, sq, sv))| {
            let qty = bq - sq;
            let avg = |v: f64, q: i64| if q > 0 { v / q as f64 } else { 0.0 };
            let average = if qty > 0 {
                avg(bv, bq)
            } else if qty < 0 {
                avg(sv, sq)
            } else {
                0.0
            };
            let ltp = last_price(s, &format!("{exchange}:{symbol}"));
            let pnl = sv - bv + qty as f64 * ltp;
            let token = s
                .instruments
                .iter()
                .find(|i| i.tradingsymbol == symbol && i.exchange == exchange)
                .map_or(0, |i| i.instrument_token);
            json!({
                "tradingsymbol": symbol, "exchange": exchange, "instrument_token": token,
                "product": product, "quantity": qty, "overnight_quantity": 0, "multiplier": 1,
                "average_price": (average * 100.0).round() / 100.0, "close_price": 0,
                "last_price": ltp, "value": sv - bv, "pnl": pnl, "m2m": pnl,
                "unrealised": pnl, "realised": 0,
                "buy_quantity": bq, "buy_price": avg(bv, bq), "buy_value": bv, "buy_m2m": bv,
                "sell_quantity": sq, "sell_price": avg(sv, sq), "sell_value": sv, "sell_m2m": sv,
                "day_buy_quantity": bq, "day_buy_price": avg(bv, bq), "day_buy_value": bv,
                "day_sell_quantity": sq, "day_sell_price": avg(sv, sq), "day_sell_value": sv
            })
        })
        .collect();
    json!({"net": rows.clone(), "day": rows})
}

/// True when `price` (rupees) is a whole number of `tick`s.
fn on_tick(price: f64, tick: f64) -> bool {
    if tick <= 0.0 {
        return true;
    }
    let n = price / tick;
    (n - n.round()).abs() < 1e-6
}

/// `POST /orders/{variety}`: validated as Kite validates a regular order (fields, tag of at
/// most 20 alphanumeric characters, price and trigger on the tick grid, quantity in whole
/// lots), then booked.
fn place(r: &Recorded, s: &mut State, variety: &str) -> Answer {
    if variety != "regular" {
        return err(400, "InputException", "Invalid `variety`.");
    }
    for k in [
        "exchange",
        "tradingsymbol",
        "transaction_type",
        "order_type",
        "quantity",
        "product",
    ] {
        if r.form_field(k).is_none_or(str::is_empty) {
            return err(400, "InputException", &format!("Missing `{k}`."));
        }
    }
    let f = |k: &str| r.form_field(k).unwrap_or("");
    if !["BUY", "SELL"].contains(&f("transaction_type")) {
        return err(400, "InputException", "Invalid `transaction_type`.");
    }
    let order_type = f("order_type");
    if !["MARKET", "LIMIT", "SL", "SL-M"].contains(&order_type) {
        return err(400, "InputException", "Invalid `order_type`.");
    }
    if !["MIS", "NRML", "CNC"].contains(&f("product")) {
        return err(400, "InputException", "Invalid `product`.");
    }
    let tag = f("tag").to_string();
    if tag.len() > 20 || !tag.chars().all(|c| c.is_ascii_alphanumeric()) {
        return err(
            400,
            "InputException",
            "Invalid `tag`: at most 20 alphanumeric characters.",
        );
    }
    let key = format!("{}:{}", f("exchange"), f("tradingsymbol"));
    let Some(inst) = s.instruments.iter().find(|i| i.key() == key).cloned() else {
        return err(400, "InputException", "Invalid `tradingsymbol`.");
    };
    let quantity: i64 = match f("quantity").parse() {
        Ok(q) if q > 0 => q,
        _ => return err(400, "InputException", "Invalid `quantity`."),
    };
    let lot = i64::from(inst.lot_size.max(1));
    if quantity % lot != 0 {
        return err(
            400,
            "InputException",
            &format!("Quantity should be a multiple of lot size ({lot})."),
        );
    }
    let price: f64 = f("price").parse().unwrap_or(0.0);
    let trigger: f64 = f("trigger_price").parse().unwrap_or(0.0);
    if matches!(order_type, "LIMIT" | "SL") && price <= 0.0 {
        return err(400, "InputException", "Invalid `price`.");
    }
    if matches!(order_type, "SL" | "SL-M") && trigger <= 0.0 {
        return err(400, "InputException", "Invalid `trigger_price`.");
    }
    if !on_tick(price, inst.tick_size) || !on_tick(trigger, inst.tick_size) {
        return err(
            400,
            "InputException",
            &format!(
                "Tick size for this script is {}. Kindly enter price in the multiple of tick size for this script",
                inst.tick_size
            ),
        );
    }
    let id = format!("2512020{:08}", s.orders.len() + 1);
    let at = ist(s);
    let mut order = ServerOrder {
        order_id: id.clone(),
        tag,
        form: r.form.clone(),
        status: "OPEN".into(),
        filled: false,
        average_price: 0.0,
        modifications: 0,
        duplicated: false,
        order_timestamp: at.clone(),
        fill_timestamp: String::new(),
    };
    let ltp = last_price(s, &key);
    let mut duplicate = s.duplicate_next;
    match order_type {
        "MARKET" => fill(&mut order, ltp, &at, &mut duplicate),
        "LIMIT" if s.fill_next > 0 => {
            s.fill_next -= 1;
            fill(&mut order, price, &at, &mut duplicate);
        }
        "SL" | "SL-M" => order.status = "TRIGGER PENDING".into(),
        _ => {}
    }
    s.duplicate_next = duplicate;
    s.orders.push(order);
    if order_type != "MARKET" {
        match_orders(s, &key, ltp);
    }
    ok(json!({"order_id": id}))
}

/// `PUT`/`DELETE /orders/{variety}/{order_id}`: modify or cancel a working order.
fn change(r: &Recorded, s: &mut State, id: &str) -> Answer {
    let Some(i) = s.orders.iter().position(|o| o.order_id == id) else {
        return err(400, "OrderException", "Couldn't find that `order_id`.");
    };
    if !s.orders[i].working() {
        let status = s.orders[i].status.clone();
        return err(
            400,
            "InputException",
            &format!("Order cannot be modified or cancelled as it is {status}."),
        );
    }
    if r.method == "DELETE" {
        s.orders[i].status = "CANCELLED".into();
        return ok(json!({"order_id": id}));
    }
    if s.orders[i].modifications >= MAX_MODIFICATIONS {
        return err(
            400,
            "InputException",
            "Maximum allowed order modifications exceeded.",
        );
    }
    let tick = s
        .instruments
        .iter()
        .find(|x| x.key() == s.orders[i].key())
        .map_or(0.05, |x| x.tick_size);
    for k in ["price", "trigger_price"] {
        if let Some(v) = r.form_field(k) {
            if !on_tick(v.parse().unwrap_or(0.0), tick) {
                return err(
                    400,
                    "InputException",
                    &format!("Tick size for this script is {tick}."),
                );
            }
        }
    }
    let o = &mut s.orders[i];
    // A stop-loss order turned into a plain limit order: no trigger any more, working as a
    // limit at once (as Kite's `modify_order` allows, `order_type` being one of its fields).
    if o.field("order_type").starts_with("SL") && r.form_field("order_type") == Some("LIMIT") {
        set_field(&mut o.form, "trigger_price", "0");
        o.status = "OPEN".into();
    }
    for (k, v) in &r.form {
        if [
            "quantity",
            "price",
            "order_type",
            "trigger_price",
            "validity",
        ]
        .contains(&k.as_str())
        {
            set_field(&mut o.form, k, v);
        }
    }
    o.modifications += 1;
    let key = o.key();
    let ltp = last_price(s, &key);
    match_orders(s, &key, ltp);
    ok(json!({"order_id": id}))
}

/// Running the built `alphastock` binary against this server (shared by the Kite tests).
pub mod live {
    use std::io::{BufRead, BufReader, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use chrono::TimeZone;

    use alphastock_core::market::{IstTime, IST};

    use super::{checksum, CallClass, FakeKite, ServerOrder, API_KEY, API_SECRET};

    /// An EMA(3/8) crossover on SBIN, 1-minute candles from 5-second quotes, risk limits out
    /// of the way, and the protective stop at the broker.
    pub const STRATEGY: &str = r#"
market_data_runner: { frequency_seconds: 5, candle_minutes: 1 }
options_data_runner: { frequency_seconds: 5 }
strategies:
  ema_crossover:
    symbols: ["NSE:SBIN"]
    instrument: underlying
    parameters: { fast_ema: 3, slow_ema: 8, min_confidence: 0 }
options_trading:
  protective_stop: broker
  risk_management:
    capital: 1000000000
    risk_per_trade_pct: 1
    max_premium_per_trade: 100000
    max_exposure_per_underlying: 1000000000
    max_total_exposure: 1000000000
    daily_loss_limit: 1000000000000
    correlated_groups: []
"#;

    /// The longest any wait of these tests lasts (real time).
    pub const PATIENCE: Duration = Duration::from_secs(150);

    /// A scratch directory named after the test.
    pub fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("alphastock-kite-{name}-"))
            .tempdir()
            .unwrap()
    }

    /// Writes the config of a live Kite run: [`STRATEGY`], `broker.kind: kite`, the token
    /// cache in `dir/tokens`, then `kite_extra` (YAML lines under `broker.kite`, indented four
    /// spaces).
    pub fn kite_config(dir: &Path, kite_extra: &str) -> PathBuf {
        let text = format!(
            "{STRATEGY}broker:\n  kind: kite\n  kite:\n    token_cache_dir: {}\n{kite_extra}",
            dir.join("tokens").display()
        );
        let p = dir.join("kite.yaml");
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `alphastock ARGS --config CONFIG` with the server's `KITE_*` environment (no mStock
    /// one) and `stdin` piped in.
    pub fn alphastock(server: &FakeKite, config: &Path, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_alphastock"))
            .args(args)
            .arg("--config")
            .arg(config)
            .envs(server.env())
            .env_remove("MSTOCK_API_KEY")
            .env_remove("MSTOCK_BASE_URL")
            .env("KITE_LOGIN_URL", "https://kite.example/connect/login")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(stdin.as_bytes());
        }
        child.wait_with_output().unwrap()
    }

    /// Exit code, stdout and stderr of `out`, for messages.
    pub fn text(out: &Output) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// `alphastock login --broker kite --request-token TOKEN`, asserted to succeed.
    pub fn kite_login(server: &FakeKite, config: &Path, request_token: &str) -> Output {
        let out = alphastock(
            server,
            config,
            &[
                "login",
                "--broker",
                "kite",
                "--request-token",
                request_token,
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        out
    }

    /// Tuesday 2 December 2025, 10:00 IST.
    pub fn start() -> IstTime {
        IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap()
    }

    /// `alphastock run --live` against the server as a child process.
    pub struct LiveChild {
        child: std::process::Child,
        lines: Arc<Mutex<Vec<String>>>,
        stderr: PathBuf,
        spawned: Instant,
        start: IstTime,
        speed: u32,
    }

    impl LiveChild {
        /// Starts the binary live with `config`, journal `dir/journal.db`, on a clock starting
        /// at `start` and running `speed` times real time (`ALPHASTOCK_SIM_CLOCK`); the
        /// server's IST timestamps follow that clock.
        pub fn spawn(
            server: &FakeKite,
            dir: &Path,
            config: &Path,
            start: IstTime,
            speed: u32,
        ) -> Self {
            server.set_ist_clock(start.naive_local(), speed);
            let stderr = dir.join(format!("stderr-{}.txt", start.timestamp()));
            let mut child = Command::new(env!("CARGO_BIN_EXE_alphastock"))
                .args(["run", "--live", "--confirm-live", "--config"])
                .arg(config)
                .arg("--db")
                .arg(dir.join("journal.db"))
                .envs(server.env())
                .env_remove("MSTOCK_BASE_URL")
                .env(
                    "ALPHASTOCK_SIM_CLOCK",
                    format!("{}@{speed}", start.to_rfc3339()),
                )
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&stderr).unwrap())
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
                stderr,
                spawned: Instant::now(),
                start,
                speed,
            }
        }

        /// A simulated time safely after the last one the process can have reached so far.
        pub fn after(&self) -> IstTime {
            let gone = self.spawned.elapsed() * self.speed;
            self.start + chrono::Duration::from_std(gone).unwrap() + chrono::Duration::minutes(1)
        }

        /// SIGKILL; returns [`LiveChild::after`].
        pub fn kill(mut self) -> IstTime {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.after()
        }

        /// SIGTERM (a clean stop, as Ctrl-C), then waits (at most `timeout`) for the exit;
        /// `Some(code)` when it exited (`Some(None)`: by a signal), None when it had to be
        /// killed.
        pub fn terminate(&mut self, timeout: Duration) -> Option<Option<i32>> {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            self.wait_exit(timeout)
        }

        /// Waits (at most `timeout`) for the process to exit; its exit code, or None (then it
        /// is killed).
        pub fn wait_exit(&mut self, timeout: Duration) -> Option<Option<i32>> {
            let until = Instant::now() + timeout;
            while Instant::now() < until {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Some(status.code());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
            None
        }

        /// Stdout so far and the stderr file.
        pub fn output(&self) -> String {
            format!(
                "stdout:\n{}\nstderr:\n{}",
                self.lines.lock().unwrap().join("\n"),
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            )
        }
    }

    /// The SL and SL-M orders of SBIN.
    pub fn sl_orders(orders: &[ServerOrder]) -> Vec<&ServerOrder> {
        orders
            .iter()
            .filter(|o| {
                matches!(o.field("order_type").as_str(), "SL" | "SL-M")
                    && o.field("tradingsymbol") == "SBIN"
            })
            .collect()
    }

    /// The BUY orders of SBIN (the entries of the long trade).
    pub fn entries(orders: &[ServerOrder]) -> Vec<&ServerOrder> {
        orders
            .iter()
            .filter(|o| o.field("transaction_type") == "BUY" && o.field("tradingsymbol") == "SBIN")
            .collect()
    }

    /// An SBIN entry filled.
    pub fn entry_filled(orders: &[ServerOrder]) -> bool {
        entries(orders).iter().any(|o| o.filled)
    }

    /// An SBIN stop rests at the broker, waiting for its trigger.
    pub fn stop_resting(orders: &[ServerOrder]) -> bool {
        sl_orders(orders)
            .iter()
            .any(|s| s.status == "TRIGGER PENDING")
    }

    /// Every secret a run must never print or journal: the API key and secret, every access
    /// token issued, each request token and its session checksum.
    pub fn secrets(server: &FakeKite, request_tokens: &[&str]) -> Vec<String> {
        let mut all = vec![API_KEY.to_string(), API_SECRET.to_string()];
        all.extend(server.access_tokens());
        for t in request_tokens {
            all.push(t.to_string());
            all.push(checksum(API_KEY, t, API_SECRET));
        }
        all
    }

    /// Asserts no secret is in `output` nor in any file directly in `dir` (the journal and
    /// its side files, the stderr captures; the token cache is a subdirectory).
    pub fn assert_no_secret(server: &FakeKite, request_tokens: &[&str], output: &str, dir: &Path) {
        let mut files = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_file() {
                files.push((
                    p.display().to_string(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                ));
            }
        }
        for secret in secrets(server, request_tokens) {
            assert!(!output.contains(&secret), "`{secret}` printed:\n{output}");
            for (name, body) in &files {
                assert!(!body.contains(&secret), "`{secret}` in {name}");
            }
        }
    }

    /// The journal's orders of the day of [`start`], as (tag, broker order id).
    pub fn journaled_orders(dir: &Path) -> Vec<(String, Option<String>)> {
        let store = alphastock_cli::store::Store::open(dir.join("journal.db")).unwrap();
        store
            .orders_on(start().date_naive())
            .unwrap()
            .into_iter()
            .map(|o| (o.tag, o.order_id))
            .collect()
    }

    /// Every placement's tag, in order; asserts none was sent twice and each is a tag Kite
    /// accepts (1 to 20 characters).
    pub fn placed_tags_once(server: &FakeKite) -> Vec<String> {
        let tags: Vec<String> = server
            .placement_requests()
            .iter()
            .map(|r| r.form_field("tag").unwrap_or("").to_string())
            .collect();
        let unique: std::collections::BTreeSet<&String> = tags.iter().collect();
        assert_eq!(unique.len(), tags.len(), "a tag placed twice: {tags:?}");
        assert!(
            tags.iter().all(|t| !t.is_empty() && t.len() <= 20),
            "{tags:?}"
        );
        tags
    }

    /// The most SBIN stop orders working at the broker at once over the request log (placed,
    /// less cancelled).
    pub fn most_stops_at_once(server: &FakeKite) -> usize {
        let orders = server.orders();
        let stop_ids: Vec<String> = sl_orders(&orders)
            .iter()
            .map(|o| o.order_id.clone())
            .collect();
        let (mut working, mut most) = (0usize, 0usize);
        for r in server.requests() {
            if super::class_of(&r) == CallClass::Placement
                && matches!(r.form_field("order_type"), Some("SL" | "SL-M"))
                && r.form_field("tradingsymbol") == Some("SBIN")
            {
                working += 1;
                most = most.max(working);
            } else if r.method == "DELETE"
                && stop_ids.iter().any(|id| r.path.ends_with(id.as_str()))
            {
                working = working.saturating_sub(1);
            }
        }
        most
    }
}
