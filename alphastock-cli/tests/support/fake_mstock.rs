//! A fake mStock Type A server on 127.0.0.1 (random port) implementing the documented routes
//! with the recorded fixture bodies; the HTTP/1.1 plumbing (listener, request journal,
//! scriptable faults, held placements) is `fake_http`'s.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::fake_http::{Answer, FakeHttp, Journal, Routes};
pub use super::fake_http::{Fault, Recorded};

/// The API key the fake server expects.
pub const API_KEY: &str = "test-api-key-7f3a";
/// The API secret of the test account (the session call does not use it: see the checksum).
pub const API_SECRET: &str = "test-api-secret-91bc";

/// The credentials the fake server accepts (API key and secret above, a test user and TOTP
/// secret).
pub fn test_credentials() -> alphastock_cli::mstock::Credentials {
    alphastock_cli::mstock::Credentials::from_lookup(|k| match k {
        "MSTOCK_API_KEY" => Some(API_KEY.into()),
        "MSTOCK_API_SECRET" => Some(API_SECRET.into()),
        "MSTOCK_USERNAME" => Some("MA0000001".into()),
        "MSTOCK_PASSWORD" => Some("pw-Secret-4471".into()),
        "MSTOCK_TOTP_SECRET" => Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into()),
        _ => None,
    })
    .expect("test credentials")
}

impl ServerOrder {
    /// A field of the placement form ("" when absent).
    pub fn field(&self, name: &str) -> String {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// An order the server accepted.
#[derive(Debug, Clone)]
pub struct ServerOrder {
    pub order_id: String,
    pub tag: String,
    pub form: Vec<(String, String)>,
    pub status: String,
    /// Filled in full on acceptance (see [`FakeMstock::fill_next`]).
    pub filled: bool,
    /// Its fill appears twice in the trade book, under two trade ids (see
    /// [`FakeMstock::duplicate_next`]).
    pub duplicated: bool,
}

/// What the server holds: its journal of requests, orders, sessions and scripts.
#[derive(Default)]
pub struct State {
    http: Journal,
    orders: Vec<ServerOrder>,
    token: Option<String>,
    tokens_issued: u32,
    /// Scripted last prices per instrument ("NSE:SBIN"): the n-th quote of it served gets the
    /// n-th price (the last one once the path is used up).
    paths: BTreeMap<String, Vec<f64>>,
    served: BTreeMap<String, usize>,
    fill_next: usize,
    duplicate_next: usize,
    /// Placements seen (POSTs to the order route), faulted ones included.
    placements: usize,
    /// Placement number (1-based) → HTTP status answered instead of processing it.
    fail_placements: BTreeMap<usize, u16>,
    /// Placements from this number (1-based) on are refused by the RMS.
    refuse_from: Option<usize>,
    /// Positions the server holds besides those its filled orders make: (symbol, exchange) →
    /// (quantity, average price).
    extra_positions: BTreeMap<(String, String), (i64, f64)>,
    /// Leave out the recorded fixture's positions (a BANKNIFTY option no test order made).
    no_fixture_positions: bool,
    /// Scripted historical candles per instrument token (`[timestamp, o, h, l, c, v]` rows);
    /// a token without a script gets `historical_chart.json`.
    history: BTreeMap<String, Vec<serde_json::Value>>,
    /// What a modify turning an `SL` order into a `LIMIT` one meets (see
    /// [`FakeMstock::on_conversion`]).
    conversion: Conversion,
}

/// What the server does with a modify that turns an `SL` order into a `LIMIT` one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Conversion {
    /// Accepted; the order rests as a limit order.
    #[default]
    Rest,
    /// Accepted; the limit is marketable and fills in full at its price at once.
    Fill,
    /// Refused by the RMS (the order stays as it was).
    Refuse,
}

/// The running fake server: the shared plumbing ([`FakeHttp`]: faults, recorded requests,
/// held placements) and the mStock routes.
pub struct FakeMstock(FakeHttp<State>);

impl Deref for FakeMstock {
    type Target = FakeHttp<State>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/mstock")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

impl FakeMstock {
    pub fn start() -> Self {
        Self(FakeHttp::start(State::default()))
    }

    /// Pretends a session already exists with this token.
    pub fn set_token(&self, token: &str) {
        self.lock().token = Some(token.to_string());
    }

    pub fn orders(&self) -> Vec<ServerOrder> {
        self.lock().orders.clone()
    }

    /// Scripts the last prices of `instrument` ("NSE:SBIN"): each quote of it served takes the
    /// next price of `path`, the last one repeating once the path is used up.
    pub fn script_prices(&self, instrument: &str, path: Vec<f64>) {
        let mut s = self.lock();
        s.paths.insert(instrument.to_string(), path);
        s.served.remove(instrument);
    }

    /// Scripts the historical candles of instrument `token`: rows `[timestamp, open, high,
    /// low, close, volume]` in the broker's shape; each call answers the rows between its
    /// `from` and `to`.
    pub fn script_history(&self, token: &str, rows: Vec<serde_json::Value>) {
        self.lock().history.insert(token.to_string(), rows);
    }

    /// How many quotes of `instrument` were served.
    pub fn quotes_served(&self, instrument: &str) -> usize {
        self.lock().served.get(instrument).copied().unwrap_or(0)
    }

    /// What a modify turning an `SL` order into a `LIMIT` one meets from now on.
    pub fn on_conversion(&self, conversion: Conversion) {
        self.lock().conversion = conversion;
    }

    /// The next `n` orders accepted fill in full at their price (the order book says COMPLETE,
    /// the trade book and positions show the fill); later ones stay OPEN.
    pub fn fill_next(&self, n: usize) {
        self.lock().fill_next = n;
    }

    /// The next `n` orders that fill are reported twice in the trade book: once under their
    /// trade id and once more under a new one (a broker inconsistency: the order book still
    /// says the order's quantity filled).
    pub fn duplicate_next(&self, n: usize) {
        self.lock().duplicate_next = n;
    }

    /// The `nth` order placement (1-based, counting every POST to the order route) is answered
    /// with `status` and the JSON error envelope, without being processed: it never reaches the
    /// order book.
    pub fn fail_placement(&self, nth: usize, status: u16) {
        self.lock().fail_placements.insert(nth, status);
    }

    /// Every placement from the `nth` (1-based) on is refused by the RMS (400), never
    /// processed.
    pub fn refuse_placements_from(&self, nth: usize) {
        self.lock().refuse_from = Some(nth);
    }

    /// The exchange matches a resting order: it fills in full at its price.
    pub fn fill_order(&self, order_id: &str) {
        let mut s = self.lock();
        if let Some(o) = s.orders.iter_mut().find(|o| o.order_id == order_id) {
            o.status = "COMPLETE".to_string();
            o.filled = true;
        }
    }

    /// Changes a field of an accepted order as a modification would (e.g. a `trigger_price`
    /// moved by a modify whose record was lost).
    pub fn set_order_field(&self, order_id: &str, key: &str, value: &str) {
        let mut s = self.lock();
        if let Some(o) = s.orders.iter_mut().find(|o| o.order_id == order_id) {
            if let Some(f) = o.form.iter_mut().find(|(k, _)| k == key) {
                f.1 = value.to_string();
            }
        }
    }

    /// Placements seen so far (every POST to the order route).
    pub fn placements(&self) -> usize {
        self.lock().placements
    }

    /// The server holds a position no order of this program made (units signed, average
    /// price in rupees), e.g. one placed by hand at the broker's terminal.
    pub fn add_position(&self, symbol: &str, exchange: &str, quantity: i64, price: f64) {
        self.lock().extra_positions.insert(
            (symbol.to_string(), exchange.to_string()),
            (quantity, price),
        );
    }

    /// The positions route shows only what this server's orders and [`FakeMstock::add_position`]
    /// make, not the recorded fixture's rows.
    pub fn without_fixture_positions(&self) {
        self.lock().no_fixture_positions = true;
    }

    /// Every breach of "at most `limit` calls in any window of `length`" by the requests whose
    /// path contains one of `path_parts`, on the server's time source: one line per call that
    /// was one too many, naming the window. Empty when the limit held.
    pub fn window_breaches(
        &self,
        path_parts: &[&str],
        limit: usize,
        length: Duration,
    ) -> Vec<String> {
        self.breaches(
            |r| path_parts.iter().any(|p| r.path.contains(p)),
            limit,
            length,
        )
        .into_iter()
        .map(|(inside, t)| {
            format!(
                "{inside} calls to {path_parts:?} in the {length:?} ending at {t:?} (limit {limit})"
            )
        })
        .collect()
    }

    /// The environment a child process logs in to this server with: the test account's
    /// `MSTOCK_*` credentials and `MSTOCK_BASE_URL`.
    pub fn login_env(&self) -> [(&'static str, String); 6] {
        [
            ("MSTOCK_API_KEY", API_KEY.to_string()),
            ("MSTOCK_API_SECRET", API_SECRET.to_string()),
            ("MSTOCK_USERNAME", "MA0000001".to_string()),
            ("MSTOCK_PASSWORD", "pw-Secret-4471".to_string()),
            (
                "MSTOCK_TOTP_SECRET",
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".to_string(),
            ),
            ("MSTOCK_BASE_URL", self.base_url.clone()),
        ]
    }

    pub fn tokens_issued(&self) -> u32 {
        self.lock().tokens_issued
    }

    /// Waits (at most `timeout`) until `done` holds for the orders the server accepted,
    /// checked after every request it answers; returns whether it did.
    pub fn wait_orders(&self, timeout: Duration, done: impl Fn(&[ServerOrder]) -> bool) -> bool {
        self.wait_until(timeout, |s| done(&s.orders))
    }

    /// Waits (at most `timeout`) until at least `n` quotes of `instrument` were served;
    /// returns whether they were.
    pub fn wait_quotes(&self, instrument: &str, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| {
            s.served.get(instrument).copied().unwrap_or(0) >= n
        })
    }
}

const HTML: &str = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

impl Routes for State {
    const HTML: &'static str = HTML;
    const ANSWER_HELD: bool = true;

    fn journal(&mut self) -> &mut Journal {
        &mut self.http
    }

    fn refusal(&mut self, fault: &Fault) -> Option<(Answer, String)> {
        let answer = match fault {
            Fault::TooMany(secs) => {
                let body = r#"{"status":"error","message":"Too many requests","error_type":"NetworkException"}"#;
                return Some((
                    (429, "application/json", body.to_string()),
                    format!("Retry-After: {secs}\r\n"),
                ));
            }
            Fault::Status(code) => {
                err(*code, "GeneralException", "Service temporarily unavailable")
            }
            Fault::Html(code) => (*code, "text/html", HTML.to_string()),
            Fault::Reply(code, body) => (*code, "application/json", body.clone()),
            Fault::TokenExpired => err(
                403,
                "TokenException",
                "Invalid or expired session. Please login again.",
            ),
            _ => return None,
        };
        Some((answer, String::new()))
    }

    fn holds(rec: &Recorded, order_type: &str) -> bool {
        rec.method == "POST"
            && rec.path == "openapi/typea/orders/regular"
            && rec.form_field("order_type") == Some(order_type)
    }

    fn route(rec: &Recorded, state: &Arc<Mutex<Self>>) -> Answer {
        route(rec, state)
    }
}

fn issue_token(state: &Arc<Mutex<State>>) -> Answer {
    let mut s = state.lock().unwrap();
    s.tokens_issued += 1;
    let token = format!("sess-{:04}-zz", s.tokens_issued);
    s.token = Some(token.clone());
    let body = serde_json::json!({"status":"success","data":{"user_id":"MA0000001","user_name":"A TRADER","access_token": token}});
    (200, "application/json", body.to_string())
}

fn err(status: u16, error_type: &str, message: &str) -> Answer {
    let body = serde_json::json!({"status": "error", "message": message, "error_type": error_type});
    (status, "application/json", body.to_string())
}

fn route(r: &Recorded, state: &Arc<Mutex<State>>) -> Answer {
    let p = r.path.as_str();
    let m = r.method.as_str();
    if r.header("X-Mirae-Version") != Some("1") {
        return err(400, "InputException", "missing X-Mirae-Version");
    }
    match (m, p) {
        ("POST", "openapi/typea/connect/login") => {
            if r.form_field("username").is_some() && r.form_field("password").is_some() {
                (
                    200,
                    "application/json",
                    r#"{"status":"success","data":{"message":"OTP sent"}}"#.to_string(),
                )
            } else {
                err(400, "InputException", "username and password required")
            }
        }
        ("POST", "openapi/typea/session/token") => {
            let (Some(key), Some(otp), Some(sum)) = (
                r.form_field("api_key"),
                r.form_field("request_token"),
                r.form_field("checksum"),
            ) else {
                return err(400, "InputException", "missing fields");
            };
            // The official SDK and every public client send the literal `L`.
            if key != API_KEY || sum != "L" || otp.is_empty() {
                return err(403, "TokenException", "Invalid checksum");
            }
            issue_token(state)
        }
        ("POST", "openapi/typea/session/verifytotp") => {
            let ok = r.form_field("api_key") == Some(API_KEY)
                && r.form_field("totp")
                    .is_some_and(|t| t.len() == 6 && t.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return err(403, "TokenException", "Invalid TOTP");
            }
            issue_token(state)
        }
        _ => {
            let expected = state
                .lock()
                .unwrap()
                .token
                .clone()
                .map(|t| format!("token {API_KEY}:{t}"));
            if expected.is_none() || r.header("Authorization") != expected.as_deref() {
                return err(
                    403,
                    "TokenException",
                    "Invalid or expired session. Please login again.",
                );
            }
            authed(m, p, r, state)
        }
    }
}

fn authed(m: &str, p: &str, r: &Recorded, state: &Arc<Mutex<State>>) -> Answer {
    let ok = |s: String| (200, "application/json", s);
    match (m, p) {
        ("GET", "openapi/typea/instruments/quote/ohlc") => {
            let all: serde_json::Value = serde_json::from_str(&fixture("quote_ohlc.json")).unwrap();
            let mut data = serde_json::Map::new();
            let mut s = state.lock().unwrap();
            for (k, v) in &r.query {
                if k != "i" {
                    continue;
                }
                let mut entry = all["data"].get(v).cloned().unwrap_or_else(|| {
                    serde_json::json!({"instrument_token": 1, "last_price": 100.5,
                        "ohlc": {"open": 100, "high": 101, "low": 99, "close": 100}})
                });
                if let Some(path) = s.paths.get(v).cloned() {
                    let n = s.served.entry(v.clone()).or_insert(0);
                    let seen = &path[..=(*n).min(path.len() - 1)];
                    *n += 1;
                    let px = seen[seen.len() - 1];
                    let high = seen.iter().copied().fold(f64::MIN, f64::max);
                    let low = seen.iter().copied().fold(f64::MAX, f64::min);
                    entry["last_price"] = serde_json::json!(px);
                    entry["ohlc"] = serde_json::json!({"open": seen[0], "high": high,
                        "low": low, "close": seen[0]});
                    entry["depth"] = serde_json::json!({
                        "buy": [{"price": px - 0.05, "quantity": 500, "orders": 3}],
                        "sell": [{"price": px + 0.05, "quantity": 500, "orders": 3}]});
                }
                data.insert(v.clone(), entry);
            }
            ok(serde_json::json!({"status":"success","data": data}).to_string())
        }
        ("GET", path) if path.starts_with("openapi/typea/instruments/historical/") => {
            // {exchange}/{instrument_token}/{interval}, as the official Node SDK builds it.
            let parts: Vec<&str> = path.split('/').collect();
            if parts.len() != 7 {
                return err(404, "GeneralException", "Route not found");
            }
            let token = parts[5];
            let s = state.lock().unwrap();
            let Some(rows) = s.history.get(token) else {
                return ok(fixture("historical_chart.json"));
            };
            let bound = |k: &str| {
                r.query
                    .iter()
                    .find(|(q, _)| q == k)
                    .map(|(_, v)| v.replace(' ', "T"))
            };
            let (from, to) = (bound("from"), bound("to"));
            let within: Vec<&serde_json::Value> = rows
                .iter()
                .filter(|row| {
                    let t = row[0].as_str().unwrap_or("");
                    let t = &t[..t.len().min(19)];
                    from.as_deref().is_none_or(|f| t >= f) && to.as_deref().is_none_or(|x| t <= x)
                })
                .collect();
            ok(serde_json::json!({"status": "success", "data": {"candles": within}}).to_string())
        }
        ("GET", "openapi/typea/instruments/scriptmaster") => {
            (200, "text/csv", fixture("scriptmaster.csv"))
        }
        ("GET", "openapi/typea/portfolio/positions") => {
            let mut all: serde_json::Value =
                serde_json::from_str(&fixture("positions.json")).unwrap();
            let s = state.lock().unwrap();
            if s.no_fixture_positions {
                all["data"]["net"] = serde_json::json!([]);
            }
            let mut net: BTreeMap<(String, String), (i64, f64)> = s.extra_positions.clone();
            for o in s.orders.iter().filter(|o| o.filled) {
                let qty: i64 = o.field("quantity").parse().unwrap_or(0);
                let sign = if o.field("transaction_type") == "SELL" {
                    -1
                } else {
                    1
                };
                let e = net
                    .entry((o.field("tradingsymbol"), o.field("exchange")))
                    .or_insert((0, 0.0));
                e.0 += sign * qty;
                if e.1 == 0.0 {
                    e.1 = o.field("price").parse().unwrap_or(0.0);
                }
            }
            if let Some(rows) = all["data"]["net"].as_array_mut() {
                for ((symbol, exchange), (qty, px)) in net {
                    rows.push(
                        serde_json::json!({"tradingsymbol": symbol, "exchange": exchange,
                        "product": "MIS", "quantity": qty, "average_price": px, "last_price": px,
                        "realised": 0, "unrealised": 0, "pnl": 0}),
                    );
                }
            }
            ok(all.to_string())
        }
        ("GET", "openapi/typea/user/fundsummary") => ok(fixture("fundsummary.json")),
        ("GET", "openapi/typea/tradebook") => {
            let mut all: serde_json::Value =
                serde_json::from_str(&fixture("tradebook.json")).unwrap();
            let s = state.lock().unwrap();
            if let Some(rows) = all["data"].as_array_mut() {
                for o in s.orders.iter().filter(|o| o.filled) {
                    let ids = if o.duplicated {
                        vec![format!("T{}", o.order_id), format!("T{}-2", o.order_id)]
                    } else {
                        vec![format!("T{}", o.order_id)]
                    };
                    for trade_id in ids {
                        rows.push(serde_json::json!({"trade_id": trade_id,
                            "order_id": o.order_id, "exchange": o.field("exchange"),
                            "tradingsymbol": o.field("tradingsymbol"),
                            "transaction_type": o.field("transaction_type"), "product": o.field("product"),
                            "quantity": o.field("quantity").parse::<i64>().unwrap_or(0),
                            "average_price": o.field("price").parse::<f64>().unwrap_or(0.0),
                            "tag": o.tag}));
                    }
                }
            }
            ok(all.to_string())
        }
        ("GET", "openapi/typea/orders") => {
            let s = state.lock().unwrap();
            let rows: Vec<serde_json::Value> = s
                .orders
                .iter()
                .map(|o| {
                    let f = |k: &str| o.form.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone()).unwrap_or_default();
                    serde_json::json!({"order_id": o.order_id, "exchange": f("exchange"),
                        "tradingsymbol": f("tradingsymbol"), "transaction_type": f("transaction_type"),
                        "order_type": f("order_type"), "product": f("product"), "quantity": f("quantity"),
                        "filled_quantity": if o.filled { f("quantity") } else { "0".to_string() },
                        "price": f("price"), "trigger_price": f("trigger_price"),
                        "average_price": if o.filled { f("price") } else { "0".to_string() },
                        "status": o.status, "status_message": null,
                        "order_timestamp": "2025-12-01 09:31:03", "tag": o.tag})
                })
                .collect();
            ok(serde_json::json!({"status":"success","data": rows}).to_string())
        }
        ("POST", "openapi/typea/order/details") => {
            let s = state.lock().unwrap();
            let no = r.form_field("order_no").unwrap_or("");
            if r.form_field("segment").is_none() {
                return err(400, "InputException", "segment required");
            }
            let rows: Vec<serde_json::Value> = s
                .orders
                .iter()
                .filter(|o| o.order_id == no)
                .map(|o| {
                    let f = |k: &str| o.form.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone()).unwrap_or_default();
                    serde_json::json!({"order_id": o.order_id, "exchange": f("exchange"),
                        "tradingsymbol": f("tradingsymbol"), "transaction_type": f("transaction_type"),
                        "quantity": f("quantity"), "filled_quantity": 0, "price": f("price"),
                        "status": "PUT ORDER REQ RECEIVED", "tag": o.tag})
                })
                .collect();
            ok(serde_json::json!({"status":"success","data": rows}).to_string())
        }
        ("POST", "openapi/typea/orders/regular") => {
            let mut s = state.lock().unwrap();
            s.placements += 1;
            let nth = s.placements;
            if let Some(status) = s.fail_placements.remove(&nth) {
                return err(
                    status,
                    "GeneralException",
                    "Service temporarily unavailable",
                );
            }
            if s.refuse_from.is_some_and(|from| nth >= from) {
                return err(400, "RMSException", "RMS: order refused");
            }
            let id = format!("11612512010{:02}", s.orders.len() + 1);
            let tag = r.form_field("tag").unwrap_or("").to_string();
            let filled = s.fill_next > 0;
            s.fill_next = s.fill_next.saturating_sub(1);
            let duplicated = filled && s.duplicate_next > 0;
            if duplicated {
                s.duplicate_next -= 1;
            }
            s.orders.push(ServerOrder {
                order_id: id.clone(),
                tag,
                form: r.form.clone(),
                status: if filled { "COMPLETE" } else { "OPEN" }.to_string(),
                filled,
                duplicated,
            });
            // A one-element array around the envelope, as the official SDK's recorded
            // placement answer is (`mock_responses/place_order.json`).
            ok(serde_json::json!([{"status":"success","data":{"order_id": id}}]).to_string())
        }
        (meth @ ("PUT" | "DELETE"), path) if path.starts_with("openapi/typea/orders/regular/") => {
            let id = path.rsplit('/').next().unwrap_or("");
            let mut s = state.lock().unwrap();
            let conversion = s.conversion;
            match s.orders.iter_mut().find(|o| o.order_id == id) {
                Some(o) => {
                    if meth == "DELETE" {
                        o.status = "CANCELLED".to_string();
                    } else {
                        let converting = o.field("order_type") == "SL"
                            && r.form_field("order_type") == Some("LIMIT");
                        if converting && conversion == Conversion::Refuse {
                            return err(400, "RMSException", "RMS: order type change refused");
                        }
                        // A modification changes what the order book shows.
                        for (k, v) in &r.form {
                            if let Some(f) = o.form.iter_mut().find(|(a, _)| a == k) {
                                f.1 = v.clone();
                            }
                        }
                        if converting && conversion == Conversion::Fill {
                            o.status = "COMPLETE".to_string();
                            o.filled = true;
                        }
                    }
                    ok(serde_json::json!({"status":"success","data":{"order_id": id}}).to_string())
                }
                None => err(400, "OrderException", "Order not found"),
            }
        }
        _ => err(404, "GeneralException", "Route not found"),
    }
}
