//! The HTTP/1.1 plumbing the fake broker servers share: a listener on 127.0.0.1 (random port)
//! with one thread per connection, the request journal (every request as the server saw it,
//! stamped on a scriptable clock), scripted faults, and a placement held on arrival until the
//! test releases it. Each fake supplies its routes and its error envelopes through [`Routes`].

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A fault to inject into the next request whose path contains a pattern.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `Retry-After: secs`.
    TooMany(u32),
    /// A JSON error envelope with this status; the request is not processed.
    Status(u16),
    /// An HTML error page with this status; the request is not processed.
    Html(u16),
    /// Process the request, then wait this long before answering.
    Slow(Duration),
    /// Process the request, then answer 200 with broken JSON.
    Malformed,
    /// 403 TokenException; the request is not processed.
    TokenExpired,
    /// Process the request, then close the connection without answering.
    DropAfterAccept,
    /// Process the request, then answer 500 with an HTML page.
    ErrorAfterAccept,
    /// Answer with this HTTP status and this JSON body (e.g. a fixture); the request is not
    /// processed.
    Reply(u16, String),
    /// Process the request, then answer its usual body wrapped in a one-element JSON array
    /// (a body already wrapped, as the mStock placement answer is, is sent as it is).
    WrapInArray,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub at: Instant,
    /// When it arrived on the server's time source ([`FakeHttp::set_time_source`]; by
    /// default the time since the server started).
    pub sim: Duration,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn form_field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A clock the server stamps requests with (the client's simulated clock in a test).
pub type TimeSource = Arc<dyn Fn() -> Duration + Send + Sync>;

/// An answer: HTTP status, content type, body.
pub type Answer = (u16, &'static str, String);

/// A placement held on arrival until the test releases it.
#[derive(Debug)]
pub struct Hold {
    /// The `order_type` of the placement to hold ("SL").
    pub order_type: String,
    /// True once such a placement arrived (and waits).
    pub arrived: bool,
    /// Set by the test: process it (`Some(true)`) or drop it unprocessed (`Some(false)`).
    pub release: Option<bool>,
}

/// What the server keeps of the traffic: the requests seen, the faults still to inject, the
/// clock requests are stamped on and the placement to hold.
#[derive(Default)]
pub struct Journal {
    pub requests: Vec<Recorded>,
    pub faults: VecDeque<(String, Fault)>,
    pub time_source: Option<TimeSource>,
    pub hold: Option<Hold>,
}

impl Journal {
    /// Stamps `rec` on the time source, records it, and takes the first scripted fault whose
    /// pattern its path contains.
    fn record(&mut self, rec: &mut Recorded) -> Option<Fault> {
        rec.sim = self.time_source.as_ref().map(|f| f()).unwrap_or_default();
        self.requests.push(rec.clone());
        let pos = self
            .faults
            .iter()
            .position(|(p, _)| rec.path.contains(p.as_str()));
        pos.and_then(|i| self.faults.remove(i)).map(|(_, f)| f)
    }
}

/// What a fake broker adds to the plumbing: its state (holding a [`Journal`]), its routes and
/// the shapes of its error answers.
pub trait Routes: Send + Sized + 'static {
    /// The HTML page a failing gateway answers with.
    const HTML: &'static str;
    /// Whether a held placement released for processing is answered (else the connection is
    /// closed once it is processed: its answer is lost).
    const ANSWER_HELD: bool;
    /// The journal inside the state.
    fn journal(&mut self) -> &mut Journal;
    /// The answer (and extra header lines) to a fault that stops a request before it is
    /// processed; `None` for the faults that act after processing.
    fn refusal(&mut self, fault: &Fault) -> Option<(Answer, String)>;
    /// Whether `rec` is the placement a hold of `order_type` waits for.
    fn holds(rec: &Recorded, order_type: &str) -> bool;
    /// Processes the request and answers it.
    fn route(rec: &Recorded, state: &Arc<Mutex<Self>>) -> Answer;
}

/// A running fake server over the state `S`.
pub struct FakeHttp<S: Routes> {
    pub base_url: String,
    state: Arc<Mutex<S>>,
    /// Notified after every request the server answered (and when a held one arrives).
    changed: Arc<Condvar>,
    stop: Arc<AtomicBool>,
}

impl<S: Routes> FakeHttp<S> {
    /// Starts serving `state` on a random loopback port; requests are stamped with the time
    /// since the start unless the state's journal brings its own time source.
    pub fn start(mut state: S) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let started = Instant::now();
        state
            .journal()
            .time_source
            .get_or_insert_with(|| Arc::new(move || started.elapsed()));
        let state = Arc::new(Mutex::new(state));
        let stop = Arc::new(AtomicBool::new(false));
        let changed = Arc::new(Condvar::new());
        let (st, sp, ch) = (state.clone(), stop.clone(), changed.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, ch) = (st.clone(), ch.clone());
                std::thread::spawn(move || {
                    serve(conn, &st, &ch);
                    ch.notify_all();
                });
            }
        });
        Self {
            base_url: format!("http://{addr}"),
            state,
            changed,
            stop,
        }
    }

    /// The state, locked.
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.state.lock().unwrap()
    }

    /// Injects `fault` into the next request whose path contains `path_part` (faults are
    /// consumed in order).
    pub fn fault(&self, path_part: &str, fault: Fault) {
        self.lock()
            .journal()
            .faults
            .push_back((path_part.to_string(), fault));
    }

    /// Scripted faults not yet met.
    pub fn pending_faults(&self) -> usize {
        self.lock().journal().faults.len()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().journal().requests.clone()
    }

    pub fn requests_to(&self, path_part: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains(path_part))
            .collect()
    }

    /// The calls one too many for "at most `limit` calls in any window of `window`" among the
    /// requests `counted` picks, on the server's time source: for each, how many calls the
    /// window ending at it holds and when it came.
    pub fn breaches(
        &self,
        counted: impl Fn(&Recorded) -> bool,
        limit: usize,
        window: Duration,
    ) -> Vec<(usize, Duration)> {
        let times: Vec<Duration> = self
            .requests()
            .iter()
            .filter(|r| counted(r))
            .map(|r| r.sim)
            .collect();
        let mut out = Vec::new();
        for (i, t) in times.iter().enumerate() {
            let inside = times[..=i]
                .iter()
                .filter(|u| t.saturating_sub(**u) < window)
                .count();
            if inside > limit {
                out.push((inside, *t));
            }
        }
        out
    }

    /// Stamps requests with `source` (e.g. the client's simulated clock) from now on.
    pub fn set_time_source(&self, source: TimeSource) {
        self.lock().journal().time_source = Some(source);
    }

    /// Waits (at most `timeout`) until `done` holds for the state, checked after every
    /// request the server answers; returns whether it did.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&mut S) -> bool) -> bool {
        let s = self.lock();
        let (_s, waited) = self
            .changed
            .wait_timeout_while(s, timeout, |s| !done(s))
            .unwrap();
        !waited.timed_out()
    }

    /// Waits (at most `timeout`) until `done` holds for the requests seen; returns whether it
    /// did.
    pub fn wait_requests(&self, timeout: Duration, done: impl Fn(&[Recorded]) -> bool) -> bool {
        self.wait_until(timeout, |s| done(&s.journal().requests))
    }

    /// The next placement of this `order_type` (as the fake's [`Routes::holds`] matches it) is
    /// held on arrival, before it is processed, until [`FakeHttp::release_held`] (or a
    /// minute): its client waits for the answer meanwhile.
    pub fn hold_next_placement(&self, order_type: &str) {
        self.lock().journal().hold = Some(Hold {
            order_type: order_type.to_string(),
            arrived: false,
            release: None,
        });
    }

    /// Waits (at most `timeout`) until the held placement arrived; returns whether it did.
    pub fn wait_held(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| {
            s.journal().hold.as_ref().is_some_and(|h| h.arrived)
        })
    }

    /// Lets the held placement go: processed into the order book (`process`), or dropped as
    /// if it never reached the broker. Returns once it is done with.
    pub fn release_held(&self, process: bool) {
        let mut s = self.lock();
        if let Some(h) = s.journal().hold.as_mut() {
            h.release = Some(process);
        }
        self.changed.notify_all();
        let _ = self
            .changed
            .wait_timeout_while(s, Duration::from_secs(10), |s| s.journal().hold.is_some())
            .unwrap();
    }
}

impl<S: Routes> Drop for FakeHttp<S> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(mut s) = self.state.lock() {
            if let Some(h) = s.journal().hold.as_mut() {
                h.release.get_or_insert(false);
            }
        }
        self.changed.notify_all();
        // Wake the accept loop.
        let _ = TcpStream::connect(self.base_url.trim_start_matches("http://"));
    }
}

/// Writes `answer` with the `extra` header lines (each ending in CRLF) and closes.
pub fn respond(conn: &mut TcpStream, answer: &Answer, extra: &str) {
    let (status, content_type, body) = answer;
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nDate: {}\r\nConnection: close\r\n{extra}\r\n",
        body.len(),
        chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT")
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
    let _ = conn.flush();
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` pairs of a query string or form body, decoded.
fn pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (url_decode(k), url_decode(v))
        })
        .collect()
}

/// Reads one request off the wire (not yet stamped: `sim` is zero).
fn read_request(conn: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.trim_start_matches('/').to_string(), pairs(q)),
        None => (target.trim_start_matches('/').to_string(), Vec::new()),
    };
    Some(Recorded {
        method,
        path,
        query,
        headers,
        form: pairs(&String::from_utf8_lossy(&body)),
        at: Instant::now(),
        sim: Duration::ZERO,
    })
}

/// Holds a placement matching the scripted hold until the test releases it: `None` when it
/// is not held, else whether to process it.
fn held<S: Routes>(rec: &Recorded, state: &Arc<Mutex<S>>, changed: &Condvar) -> Option<bool> {
    let mut s = state.lock().unwrap();
    let hold = s.journal().hold.as_mut()?;
    if hold.arrived || !S::holds(rec, &hold.order_type) {
        return None;
    }
    hold.arrived = true;
    changed.notify_all();
    let (mut s, _) = changed
        .wait_timeout_while(s, Duration::from_secs(60), |s| {
            s.journal()
                .hold
                .as_ref()
                .is_some_and(|h| h.release.is_none())
        })
        .unwrap();
    Some(
        s.journal()
            .hold
            .as_ref()
            .and_then(|h| h.release)
            .unwrap_or(false),
    )
}

/// Ends the hold of a placement done with (the test's `release_held` returns once it is gone).
fn end_hold<S: Routes>(state: &Arc<Mutex<S>>, changed: &Condvar) {
    state.lock().unwrap().journal().hold = None;
    changed.notify_all();
}

/// Reads, records and answers one request, injecting the fault scripted for it.
fn serve<S: Routes>(mut conn: TcpStream, state: &Arc<Mutex<S>>, changed: &Condvar) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(mut rec) = read_request(&conn) else {
        return;
    };
    let (fault, refusal) = {
        let mut s = state.lock().unwrap();
        let fault = s.journal().record(&mut rec);
        let refusal = fault.as_ref().and_then(|f| s.refusal(f));
        (fault, refusal)
    };
    // Faults that stop the request before it is processed.
    if let Some((answer, extra)) = refusal {
        return respond(&mut conn, &answer, &extra);
    }
    if let Some(process) = held(&rec, state, changed) {
        if !process || !S::ANSWER_HELD {
            if process {
                S::route(&rec, state);
            }
            end_hold(state, changed);
            let _ = conn.shutdown(std::net::Shutdown::Both);
            return;
        }
        end_hold(state, changed);
    }
    let answer = S::route(&rec, state);
    match fault {
        Some(Fault::Slow(d)) => std::thread::sleep(d),
        Some(Fault::Malformed) => {
            let broken = (
                200,
                "application/json",
                "{\"status\":\"success\",\"data\":{\"order_".to_string(),
            );
            return respond(&mut conn, &broken, "");
        }
        Some(Fault::DropAfterAccept) => {
            let _ = conn.shutdown(std::net::Shutdown::Both);
            return;
        }
        Some(Fault::ErrorAfterAccept) => {
            return respond(&mut conn, &(500, "text/html", S::HTML.to_string()), "")
        }
        Some(Fault::WrapInArray) if !answer.2.starts_with('[') => {
            let (status, ct, body) = answer;
            return respond(&mut conn, &(status, ct, format!("[{body}]")), "");
        }
        _ => {}
    }
    respond(&mut conn, &answer, "");
}
