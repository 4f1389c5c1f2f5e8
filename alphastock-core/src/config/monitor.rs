//! The `alerts` and `dashboard` sections: where the operator is told of fills, exits, the kill
//! switch, broker trouble, stale data and the day's result, and how the web dashboard is
//! guarded. Secrets never appear in the config: it names the environment variables that hold
//! them.

use serde::{Deserialize, Serialize};

use super::ConfigProblem;

/// The alert kinds `alerts.events` may list.
pub const ALERT_EVENTS: &[&str] = &[
    "entry",
    "exit",
    "kill_switch",
    "rejections",
    "broker_error",
    "stale_data",
    "daily_summary",
    "heartbeat",
];

/// `alerts` section: webhook and Telegram delivery, which events, and the limits that keep
/// sending off the trading loop's back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertsConfig {
    /// `webhook`: a JSON POST per alert (ntfy, Slack- and Discord-compatible).
    pub webhook: WebhookConfig,
    /// `telegram`: a Telegram bot message per alert.
    pub telegram: TelegramConfig,
    /// `events`: which alert kinds are sent (see [`ALERT_EVENTS`]); default all of them.
    pub events: Vec<String>,
    /// `max_per_minute`: alerts sent in any minute at most; more are dropped and counted.
    pub max_per_minute: u32,
    /// `queue_size`: alerts waiting to be sent at most; more are dropped and counted, so a slow
    /// or dead receiver never slows trading.
    pub queue_size: u32,
    /// `retries`: further attempts after a failed delivery (0 = one attempt only).
    pub retries: u32,
    /// `timeout_seconds`: how long one delivery attempt may take, seconds.
    pub timeout_seconds: u32,
    /// `heartbeat_minutes`: a heartbeat alert every this many minutes of wall time while the
    /// loop runs, also while a live run waits for the market to open (0 = none); a phone app
    /// can notice its absence.
    pub heartbeat_minutes: u32,
    /// `rejection_summary_minutes`: rejected signals are summed up (count by reason) at most
    /// this often, minutes of market time.
    pub rejection_summary_minutes: u32,
    /// `stale_quote_seconds`: an underlying, or the option contract of an open position, with
    /// no quote for this long (market time) while the loop ticks raises a stale-data alert,
    /// seconds.
    pub stale_quote_seconds: u32,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            webhook: WebhookConfig::default(),
            telegram: TelegramConfig::default(),
            events: ALERT_EVENTS.iter().map(|s| s.to_string()).collect(),
            max_per_minute: 20,
            queue_size: 64,
            retries: 2,
            timeout_seconds: 5,
            heartbeat_minutes: 15,
            rejection_summary_minutes: 30,
            stale_quote_seconds: 120,
        }
    }
}

/// `alerts.webhook`: off while both `url` and `url_env` are empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookConfig {
    /// `url`: where each alert is POSTed as JSON (empty: see `url_env`).
    pub url: String,
    /// `url_env`: the environment variable holding the URL instead (keeps a secret ntfy topic
    /// or Slack hook out of the config file).
    pub url_env: String,
    /// `topic`: the ntfy topic, for ntfy's JSON publishing (POST to the server's root URL).
    pub topic: String,
}

/// `alerts.telegram`: the bot token and chat id are read from the environment variables named
/// here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TelegramConfig {
    /// `enabled`: send alerts to Telegram.
    pub enabled: bool,
    /// `bot_token_env`: the variable holding the bot token (from @BotFather).
    pub bot_token_env: String,
    /// `chat_id_env`: the variable holding the chat id to write to.
    pub chat_id_env: String,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            bot_token_env: "ALPHASTOCK_TELEGRAM_BOT_TOKEN".to_string(),
            chat_id_env: "ALPHASTOCK_TELEGRAM_CHAT_ID".to_string(),
        }
    }
}

/// `dashboard` section: the web dashboard's guard and controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardConfig {
    /// `token_env`: the environment variable holding the access token; required (set and
    /// non-empty) to listen on anything but a loopback address.
    pub token_env: String,
    /// `kill_switch_button`: show the "kill switch / flatten" button on a running session's
    /// page (it asks for confirmation and the token).
    pub kill_switch_button: bool,
    /// `refresh_seconds`: how often the page polls for new state, seconds.
    pub refresh_seconds: u32,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            token_env: "ALPHASTOCK_DASHBOARD_TOKEN".to_string(),
            kill_switch_button: false,
            refresh_seconds: 2,
        }
    }
}

fn env_name_problem(path: &str, name: &str) -> Option<ConfigProblem> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    (!ok).then(|| {
        ConfigProblem::new(
            path,
            format!(
                "must name an environment variable (A-Z, 0-9, _), got `{name}`; put the secret itself in that variable, never in the config"
            ),
        )
    })
}

impl AlertsConfig {
    /// Checks ranges, event names, URLs and variable names; every problem with its key path
    /// below `alerts`.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            if !ALERT_EVENTS.contains(&e.as_str()) {
                let hint = super::suggest(e, ALERT_EVENTS)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                out.push(ConfigProblem::new(
                    format!("events[{i}]"),
                    format!(
                        "`{e}` is not an alert event{hint}; known: {}",
                        ALERT_EVENTS.join(", ")
                    ),
                ));
            }
        }
        let url = &self.webhook.url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            out.push(ConfigProblem::new(
                "webhook.url",
                "must start with http:// or https://",
            ));
        }
        if !self.webhook.url_env.is_empty() {
            out.extend(env_name_problem("webhook.url_env", &self.webhook.url_env));
        }
        if !url.is_empty() && !self.webhook.url_env.is_empty() {
            out.push(ConfigProblem::new(
                "webhook.url_env",
                "give either webhook.url or webhook.url_env, not both",
            ));
        }
        out.extend(env_name_problem(
            "telegram.bot_token_env",
            &self.telegram.bot_token_env,
        ));
        out.extend(env_name_problem(
            "telegram.chat_id_env",
            &self.telegram.chat_id_env,
        ));
        for (key, value, lo, hi) in [
            ("max_per_minute", self.max_per_minute, 1, 600),
            ("queue_size", self.queue_size, 1, 10_000),
            ("retries", self.retries, 0, 10),
            ("timeout_seconds", self.timeout_seconds, 1, 120),
            ("heartbeat_minutes", self.heartbeat_minutes, 0, 1440),
            (
                "rejection_summary_minutes",
                self.rejection_summary_minutes,
                1,
                1440,
            ),
            ("stale_quote_seconds", self.stale_quote_seconds, 1, 86_400),
        ] {
            if !(lo..=hi).contains(&value) {
                out.push(ConfigProblem::new(
                    key,
                    format!("must be between {lo} and {hi}, got {value}"),
                ));
            }
        }
        out
    }
}

impl DashboardConfig {
    /// Checks the variable name and the refresh interval; problems keyed below `dashboard`.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        out.extend(env_name_problem("token_env", &self.token_env));
        if !(1..=3600).contains(&self.refresh_seconds) {
            out.push(ConfigProblem::new(
                "refresh_seconds",
                format!("must be between 1 and 3600, got {}", self.refresh_seconds),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_send_every_event() {
        assert!(AlertsConfig::default().validate().is_empty());
        assert!(DashboardConfig::default().validate().is_empty());
        assert_eq!(AlertsConfig::default().events.len(), ALERT_EVENTS.len());
    }

    #[test]
    fn the_sections_are_read_from_yaml_and_unknown_keys_are_problems() {
        let base = "strategies: { e: { strategy: ema_crossover, symbols: [NIFTY] } }\n";
        let c = crate::config::Config::from_yaml_str(&format!(
            "{base}alerts: {{ webhook: {{ url: \"https://ntfy.sh\", topic: t }}, events: [exit], max_per_minute: 5 }}\ndashboard: {{ kill_switch_button: true }}"
        ))
        .unwrap();
        assert_eq!(c.alerts.webhook.topic, "t");
        assert_eq!(c.alerts.events, ["exit"]);
        assert_eq!(c.alerts.max_per_minute, 5);
        assert!(c.dashboard.kill_switch_button);
        let err = crate::config::Config::from_yaml_str(&format!(
            "{base}alerts: {{ webhook: {{ urll: x }}, telegram: {{ bot_token_env: \"1:abc\" }} }}"
        ))
        .unwrap_err();
        let paths: Vec<&str> = err.problems().iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"alerts.webhook.urll"), "{paths:?}");
        assert!(
            paths.contains(&"alerts.telegram.bot_token_env"),
            "{paths:?}"
        );
    }

    #[test]
    fn bad_values_are_named_by_key() {
        let a = AlertsConfig {
            events: vec!["exits".into()],
            queue_size: 0,
            webhook: WebhookConfig {
                url: "ntfy.sh/x".into(),
                ..Default::default()
            },
            telegram: TelegramConfig {
                bot_token_env: "123:abc".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let paths: Vec<String> = a.validate().into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "events[0]",
                "webhook.url",
                "telegram.bot_token_env",
                "queue_size"
            ]
        );
        let hint = a.validate()[0].reason.clone();
        assert!(hint.contains("did you mean `exit`"), "{hint}");
        let d = DashboardConfig {
            refresh_seconds: 0,
            ..Default::default()
        };
        assert_eq!(d.validate()[0].path, "refresh_seconds");
    }
}
