//! Delivery off the trading loop: [`AlertSender::send`] filters, rate-limits and puts an alert
//! on a bounded queue without waiting; one thread takes alerts off the queue and POSTs them to
//! each target, retrying a bounded number of times. A full queue or an exceeded rate drops the
//! alert and counts it; a failed delivery is logged (never with the URL or token) and counted;
//! nothing here can stop or slow trading.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use alphastock_core::config::AlertsConfig;

use super::message::Alert;

/// Counts of what happened to alerts, shared with the dashboard and `/metrics`.
#[derive(Debug, Default)]
pub struct AlertStats {
    /// Alerts delivered to every target.
    pub sent: AtomicU64,
    /// Alerts dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Alerts dropped by the `max_per_minute` rate limit.
    pub rate_limited: AtomicU64,
    /// Deliveries that failed after every retry (per target).
    pub failed: AtomicU64,
}

impl AlertStats {
    /// `(sent, dropped, rate_limited, failed)` now.
    pub fn read(&self) -> (u64, u64, u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
            self.rate_limited.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// Where alerts go. The URL and token are secrets: never logged, and scrubbed from error text.
#[derive(Clone)]
pub enum Target {
    /// A JSON POST to this URL, with the ntfy topic when set.
    Webhook {
        /// The URL (may carry a secret topic or hook id).
        url: String,
        /// The ntfy topic, or empty.
        topic: String,
    },
    /// A Telegram bot message.
    Telegram {
        /// The bot token.
        token: String,
        /// The chat to write to.
        chat_id: String,
        /// The Bot API base URL (`https://api.telegram.org`).
        api: String,
    },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Target {
    /// `webhook` or `telegram`: how logs name it.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Webhook { .. } => "webhook",
            Target::Telegram { .. } => "telegram",
        }
    }

    fn secrets(&self) -> Vec<&str> {
        match self {
            Target::Webhook { url, .. } => vec![url.as_str()],
            Target::Telegram { token, .. } => vec![token.as_str()],
        }
    }

    fn post(&self, agent: &ureq::Agent, alert: &Alert) -> Result<(), String> {
        let (url, body) = match self {
            Target::Webhook { url, topic } => (url.clone(), alert.webhook_body(topic)),
            Target::Telegram {
                token,
                chat_id,
                api,
            } => (
                format!("{}/bot{token}/sendMessage", api.trim_end_matches('/')),
                alert.telegram_body(chat_id),
            ),
        };
        let result = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string());
        match result {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => Err(format!("answered HTTP {}", resp.status().as_u16())),
            Err(e) => Err(redact(&e.to_string(), &self.secrets())),
        }
    }
}

/// `text` with every non-empty secret replaced by `***`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s, "***");
    }
    out
}

/// The targets `config` asks for, their secrets read through `env` (the process environment in
/// the product). `Ok(empty)` when alerts are off; an error names the variable that is missing.
pub fn targets_from(
    config: &AlertsConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    let w = &config.webhook;
    let url = if !w.url_env.is_empty() {
        match env(&w.url_env).filter(|v| !v.trim().is_empty()) {
            Some(u) => u.trim().to_string(),
            None => bail!(
                "alerts.webhook.url_env names {} but it is not set in the environment",
                w.url_env
            ),
        }
    } else {
        w.url.clone()
    };
    if !url.is_empty() {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("the webhook URL (alerts.webhook) must start with http:// or https://");
        }
        out.push(Target::Webhook {
            url,
            topic: w.topic.clone(),
        });
    }
    let t = &config.telegram;
    if t.enabled {
        let read = |name: &str, what: &str| {
            env(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_string())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "alerts.telegram is enabled but {name} ({what}, named by alerts.telegram.{}) is not set",
                        if what == "bot token" { "bot_token_env" } else { "chat_id_env" }
                    )
                })
        };
        out.push(Target::Telegram {
            token: read(&t.bot_token_env, "bot token")?,
            chat_id: read(&t.chat_id_env, "chat id")?,
            api: "https://api.telegram.org".to_string(),
        });
    }
    Ok(out)
}

/// The sending side: cheap to call from the trading loop.
pub struct AlertSender {
    tx: Option<SyncSender<Alert>>,
    events: Vec<String>,
    max_per_minute: usize,
    recent: VecDeque<Instant>,
    stats: Arc<AlertStats>,
    worker: Option<JoinHandle<()>>,
}

impl AlertSender {
    /// Starts the delivery thread for `targets` with `config`'s queue size, retries, timeout,
    /// event filter and rate limit.
    pub fn start(config: &AlertsConfig, targets: Vec<Target>) -> Result<AlertSender> {
        let (tx, rx) = sync_channel::<Alert>(config.queue_size.max(1) as usize);
        let stats = Arc::new(AlertStats::default());
        let timeout = Duration::from_secs(u64::from(config.timeout_seconds.max(1)));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("alphastock/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let retries = config.retries;
        let worker_stats = stats.clone();
        let worker = std::thread::Builder::new()
            .name("alerts".to_string())
            .spawn(move || deliver_all(rx, &targets, &agent, retries, &worker_stats))?;
        Ok(AlertSender {
            tx: Some(tx),
            events: config.events.clone(),
            max_per_minute: config.max_per_minute.max(1) as usize,
            recent: VecDeque::new(),
            stats,
            worker: Some(worker),
        })
    }

    /// The shared counters.
    pub fn stats(&self) -> Arc<AlertStats> {
        self.stats.clone()
    }

    /// Whether `event` passes the `alerts.events` filter.
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }

    /// Queues `alert` without waiting: filtered out silently, dropped (and counted) when over
    /// the rate limit or when the queue is full.
    pub fn send(&mut self, alert: Alert) {
        if !self.wants(alert.event) {
            return;
        }
        let now = Instant::now();
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.max_per_minute {
            self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.recent.push_back(now);
        let Some(tx) = &self.tx else { return };
        match tx.try_send(alert) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Closes the queue and gives the thread up to `grace` to deliver what is queued; alerts
    /// still undelivered then are counted as dropped (the thread is left to the process's end).
    pub fn close(&mut self, grace: Duration) {
        self.tx = None;
        let Some(worker) = self.worker.take() else {
            return;
        };
        let deadline = Instant::now() + grace;
        while !worker.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if worker.is_finished() {
            let _ = worker.join();
        }
    }
}

impl Drop for AlertSender {
    fn drop(&mut self) {
        self.tx = None;
    }
}

fn deliver_all(
    rx: Receiver<Alert>,
    targets: &[Target],
    agent: &ureq::Agent,
    retries: u32,
    stats: &AlertStats,
) {
    while let Ok(alert) = rx.recv() {
        let mut all = true;
        for target in targets {
            let mut attempt = 0;
            loop {
                match target.post(agent, &alert) {
                    Ok(()) => break,
                    Err(why) if attempt < retries => {
                        attempt += 1;
                        tracing::debug!(target: "alphastock::alerts", "{} alert attempt {attempt} failed: {why}", target.name());
                        std::thread::sleep(Duration::from_millis(250 << attempt.min(4)));
                    }
                    Err(why) => {
                        all = false;
                        stats.failed.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            "{} alert `{}` not delivered after {} attempt(s): {why}",
                            target.name(),
                            alert.event,
                            attempt + 1
                        );
                        break;
                    }
                }
            }
        }
        if all {
            stats.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn telegram_secrets_come_from_the_named_variables_and_missing_ones_are_named() {
        let mut c = AlertsConfig::default();
        assert!(targets_from(&c, env_of(&[])).unwrap().is_empty());
        c.telegram.enabled = true;
        let err = targets_from(&c, env_of(&[("ALPHASTOCK_TELEGRAM_BOT_TOKEN", "1:x")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ALPHASTOCK_TELEGRAM_CHAT_ID") && err.contains("chat_id_env"),
            "{err}"
        );
        let t = targets_from(
            &c,
            env_of(&[
                ("ALPHASTOCK_TELEGRAM_BOT_TOKEN", "1:secret"),
                ("ALPHASTOCK_TELEGRAM_CHAT_ID", "99"),
            ]),
        )
        .unwrap();
        assert_eq!(format!("{t:?}"), "[telegram]");
        c.webhook.url_env = "HOOK".into();
        let err = targets_from(&c, env_of(&[])).unwrap_err().to_string();
        assert!(err.contains("HOOK"), "{err}");
    }

    #[test]
    fn telegram_gets_send_message_with_the_chat_id_and_the_token_only_in_the_path() {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let api = format!("http://{}", server.server_addr());
        let mut s = AlertSender::start(
            &AlertsConfig::default(),
            vec![Target::Telegram {
                token: "123:SECRET".into(),
                chat_id: "-10042".into(),
                api,
            }],
        )
        .unwrap();
        s.send(Alert::new("exit", "EXIT X", "net P&L 10"));
        let mut req = server
            .recv_timeout(Duration::from_secs(30))
            .unwrap()
            .expect("the alert arrives");
        assert_eq!(req.url(), "/bot123:SECRET/sendMessage");
        let mut body = String::new();
        std::io::Read::read_to_string(req.as_reader(), &mut body).unwrap();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["chat_id"], "-10042");
        assert_eq!(json["text"], "EXIT X\nnet P&L 10");
        assert!(!body.contains("SECRET"));
        req.respond(tiny_http::Response::from_string("{\"ok\":true}"))
            .unwrap();
        s.close(Duration::from_secs(10));
        assert_eq!(s.stats().read(), (1, 0, 0, 0));
    }

    #[test]
    fn redaction_removes_every_secret() {
        assert_eq!(
            redact(
                "POST https://ntfy.sh/s3cret failed",
                &["https://ntfy.sh/s3cret", ""]
            ),
            "POST *** failed"
        );
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_waiting_and_the_rate_limit_counts_too() {
        // A target that cannot be reached: the worker is busy (or failing) while we send.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let config = AlertsConfig {
            queue_size: 1,
            max_per_minute: 5,
            retries: 0,
            timeout_seconds: 1,
            ..AlertsConfig::default()
        };
        let mut s = AlertSender::start(
            &config,
            vec![Target::Webhook {
                url,
                topic: String::new(),
            }],
        )
        .unwrap();
        for _ in 0..8 {
            s.send(Alert::new("exit", "t", "x"));
        }
        let (_, dropped, limited, _) = s.stats().read();
        // 5 passed the limiter: at most 2 are in flight or queued, the rest dropped.
        assert_eq!(limited, 3);
        assert!(dropped >= 3, "dropped {dropped}");
        // Filtered events are neither sent nor counted.
        let only = AlertsConfig {
            events: vec!["exit".into()],
            ..AlertsConfig::default()
        };
        let mut f = AlertSender::start(&only, Vec::new()).unwrap();
        f.send(Alert::new("heartbeat", "h", ""));
        assert_eq!(f.stats().read(), (0, 0, 0, 0));
        drop(listener);
    }
}
