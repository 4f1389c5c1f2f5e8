//! The web dashboard: one self-contained page (inline CSS, JS and SVG; no CDN, works offline)
//! that polls `/api/state`, plus `/metrics` for Prometheus, served by a small blocking HTTP
//! server (`tiny_http`) on its own thread. It reads the journal (read-only) and, inside a
//! running session, the run's [`Live`] view.
//!
//! Routes: `GET /` the page; `GET /api/state` the [`DashboardState`] JSON; `GET /metrics` the
//! Prometheus text; `POST /api/kill` the kill switch / flatten button (only when
//! `dashboard.kill_switch_button` is on in a running session; the body must carry the access
//! token and `"confirm": "FLATTEN"`).
//!
//! Loopback by default: listening on any other address needs an access token (the variable
//! `dashboard.token_env` names), and then every request must carry it (`Authorization: Bearer
//! TOKEN` or `?token=TOKEN`).

mod auth;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use chrono::NaiveDate;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::monitor::hub::Live;
use crate::monitor::metrics::{self, Counters};
use crate::monitor::state::{Controls, DashboardState};
use crate::store::Store;

pub use auth::{check_listen, token_matches};

/// The page, served as is.
pub const PAGE: &str = include_str!("page.html");

/// Largest request body read (the kill switch's JSON), bytes.
const MAX_BODY_BYTES: u64 = 4096;

/// What the dashboard shows.
pub struct Source {
    /// The journal to read.
    pub db: PathBuf,
    /// The day to show (default: the run's day, else the journal's latest).
    pub day: Option<NaiveDate>,
    /// A running session's live view.
    pub live: Option<Arc<Live>>,
    /// The page's controls when reading a journal.
    pub controls: Controls,
}

/// A running dashboard server.
pub struct Dashboard {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
}

impl Dashboard {
    /// The address it listens on (with the port chosen when `:0` was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// Starts serving `source` on `listen` (`HOST:PORT`). `token` is the access token, required
/// for a non-loopback address (see [`check_listen`]).
pub fn start(listen: &str, token: Option<String>, source: Source) -> Result<Dashboard> {
    let addr = check_listen_text(listen, token.as_deref())?;
    let server = Server::http(addr)
        .map_err(|e| anyhow!("cannot listen on {addr} for the dashboard: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow!("the dashboard is not listening on an IP address"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let worker = std::thread::Builder::new()
        .name("dashboard".to_string())
        .spawn(move || {
            let mut app = App {
                source,
                token,
                store: None,
            };
            while !flag.load(Ordering::SeqCst) {
                match server.recv_timeout(Duration::from_millis(200)) {
                    Ok(Some(req)) => app.handle(req),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!("dashboard: {e}");
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
            }
        })?;
    Ok(Dashboard {
        addr,
        stop,
        worker: Some(worker),
    })
}

/// Resolves `listen` (`HOST:PORT`) and applies [`check_listen`]: the address to listen on.
pub fn check_listen_text(listen: &str, token: Option<&str>) -> Result<SocketAddr> {
    let addr = listen
        .to_socket_addrs()
        .with_context(|| format!("`{listen}` is not an address to listen on (HOST:PORT)"))?
        .next()
        .ok_or_else(|| anyhow!("`{listen}` resolves to no address"))?;
    check_listen(&addr, token)?;
    Ok(addr)
}

struct App {
    source: Source,
    token: Option<String>,
    store: Option<Store>,
}

fn reply(req: Request, status: u16, content_type: &str, body: String) {
    let mut resp = Response::from_string(body).with_status_code(status);
    for (name, value) in [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        (
            "Content-Security-Policy",
            "default-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        ),
    ] {
        // Constant ASCII names and values: always valid headers.
        if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            resp.add_header(h);
        }
    }
    if let Err(e) = req.respond(resp) {
        tracing::debug!("dashboard: answer not sent: {e}");
    }
}

impl App {
    fn handle(&mut self, mut req: Request) {
        let url = req.url().to_string();
        let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
        let presented = auth::presented_token(&req, query);
        if let Some(expected) = &self.token {
            if !token_matches(expected, presented.as_deref()) {
                return reply(
                    req,
                    401,
                    "text/plain; charset=utf-8",
                    "access token required: open the page as /?token=TOKEN or send Authorization: Bearer TOKEN\n".into(),
                );
            }
        }
        match (req.method(), path) {
            (Method::Get, "/") | (Method::Get, "/index.html") => {
                reply(req, 200, "text/html; charset=utf-8", PAGE.to_string())
            }
            (Method::Get, "/api/state") => match self.state() {
                Ok(s) => {
                    let body = serde_json::to_string(&s).unwrap_or_else(|_| "{}".to_string());
                    reply(req, 200, "application/json", body)
                }
                Err(e) => reply(req, 503, "text/plain; charset=utf-8", format!("{e:#}\n")),
            },
            (Method::Get, "/metrics") => match self.state() {
                Ok(s) => {
                    let counters = match &self.source.live {
                        Some(live) => live.counters(),
                        None => counters_of(&s),
                    };
                    reply(
                        req,
                        200,
                        "text/plain; version=0.0.4; charset=utf-8",
                        metrics::render(&counters, &s),
                    )
                }
                Err(e) => reply(req, 503, "text/plain; charset=utf-8", format!("{e:#}\n")),
            },
            (Method::Post, "/api/kill") => {
                let mut body = String::new();
                let read = std::io::Read::read_to_string(
                    &mut std::io::Read::take(req.as_reader(), MAX_BODY_BYTES),
                    &mut body,
                );
                let (status, text) = match read {
                    Ok(_) => self.kill(&body),
                    Err(e) => (400, format!("unreadable request body: {e}")),
                };
                reply(
                    req,
                    status,
                    "text/plain; charset=utf-8",
                    format!("{text}\n"),
                )
            }
            _ => reply(req, 404, "text/plain; charset=utf-8", "not found\n".into()),
        }
    }

    fn state(&mut self) -> Result<DashboardState> {
        if self.store.is_none() {
            self.store = Some(Store::open_read_only(&self.source.db)?);
        }
        let Some(store) = self.store.as_ref() else {
            return Err(anyhow!("the journal is not open"));
        };
        let day = self
            .source
            .day
            .or_else(|| self.source.live.as_ref().and_then(|l| l.day()));
        let mut state = match DashboardState::from_journal(store, day) {
            Ok(s) => s,
            Err(e) => {
                // Opened again on the next request (the file may have been replaced).
                self.store = None;
                return Err(e);
            }
        };
        state.controls = self.source.controls.clone();
        if let Some(live) = &self.source.live {
            live.overlay(&mut state);
        }
        Ok(state)
    }

    fn kill(&self, body: &str) -> (u16, String) {
        let Some(live) = self.source.live.as_ref().filter(|l| l.kill_switch_button()) else {
            return (
                404,
                "the kill switch button is not enabled (dashboard.kill_switch_button, in a running session)".into(),
            );
        };
        let Some(expected) = &self.token else {
            return (
                403,
                "the kill switch needs an access token: set the variable dashboard.token_env names"
                    .into(),
            );
        };
        let json: serde_json::Value = match serde_json::from_str(body) {
            Ok(v) => v,
            Err(e) => return (400, format!("the body is not JSON: {e}")),
        };
        if !token_matches(expected, json.get("token").and_then(|t| t.as_str())) {
            return (403, "wrong access token".into());
        }
        if json.get("confirm").and_then(|c| c.as_str()) != Some("FLATTEN") {
            return (400, "not confirmed: send \"confirm\": \"FLATTEN\"".into());
        }
        live.request_kill("from the dashboard");
        (
            202,
            "kill switch requested: no new entries, closing every open position".into(),
        )
    }
}

/// The counters a journal's day gives (for `/metrics` of `alphastock dashboard`): orders by
/// purpose, refusals (status REJECTED), fills, accepted signals and rejections by reason.
pub fn counters_of(state: &DashboardState) -> Counters {
    let mut c = Counters::default();
    for o in &state.orders {
        let kind = if o.purpose.starts_with("exit") {
            "exit"
        } else {
            "entry"
        };
        *c.orders.entry(kind.to_string()).or_default() += 1;
        if o.status == "REJECTED" {
            c.order_refusals += 1;
        }
    }
    c.fills = state.fills.len() as u64;
    let rejected: u64 = state.rejections.iter().map(|r| r.count).sum();
    c.signals_accepted = state.signals_total.saturating_sub(rejected);
    for r in &state.rejections {
        c.rejections.insert(r.reason.clone(), r.count);
    }
    c
}
