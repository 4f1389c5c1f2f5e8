//! One alert and the bodies it is sent as: the generic webhook JSON (ntfy's JSON publishing,
//! Slack's `text`, Discord's `content`) and Telegram's `sendMessage`.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use alphastock_core::market::IstTime;

/// An alert for the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Its kind, one of [`alphastock_core::config::ALERT_EVENTS`] (the `alerts.events` filter).
    pub event: &'static str,
    /// One short line (the phone notification's title).
    pub title: String,
    /// The full text.
    pub text: String,
    /// Net P&L the alert is about (an exit's round trip, the day's result), rupees.
    pub pnl: Option<Decimal>,
    /// The instrument, when it is about one.
    pub trading_symbol: Option<String>,
    /// Market time of what happened (IST); `None` for wall-time alerts (heartbeat).
    pub at: Option<IstTime>,
}

impl Alert {
    /// An alert of kind `event` with a title and text and nothing else.
    pub fn new(event: &'static str, title: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            event,
            title: title.into(),
            text: text.into(),
            pnl: None,
            trading_symbol: None,
            at: None,
        }
    }

    /// The webhook body. The same text is under `message` (ntfy), `text` (Slack) and `content`
    /// (Discord); `topic` is added when given, for ntfy's JSON publishing, where the body is
    /// POSTed to the server's root URL (docs.ntfy.sh/publish, "Publish as JSON", read
    /// 2026-12-03). The structured fields (`event`, `pnl` in rupees as exact decimal text,
    /// `trading_symbol`, `at`) are for programs.
    pub fn webhook_body(&self, topic: &str) -> Value {
        let line = format!("{}\n{}", self.title, self.text);
        let mut body = json!({
            "title": self.title,
            "message": self.text,
            "text": line,
            "content": line,
            "event": self.event,
            "pnl": self.pnl.map(|p| p.to_string()),
            "trading_symbol": self.trading_symbol,
            "at": self.at.map(|t| t.to_rfc3339()),
        });
        if !topic.is_empty() {
            body["topic"] = Value::String(topic.to_string());
        }
        body
    }

    /// Telegram's `sendMessage` body for `chat_id` (core.telegram.org/bots/api#sendmessage:
    /// `chat_id` and `text`, read 2026-12-03).
    pub fn telegram_body(&self, chat_id: &str) -> Value {
        json!({
            "chat_id": chat_id,
            "text": format!("{}\n{}", self.title, self.text),
            "disable_web_page_preview": true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_body_carries_the_text_for_each_service_and_the_pnl_exactly() {
        let mut a = Alert::new("exit", "EXIT NIFTY stop", "net P&L -1234.50");
        a.pnl = Some(Decimal::new(-123450, 2));
        let b = a.webhook_body("");
        assert_eq!(b["message"], "net P&L -1234.50");
        assert_eq!(b["text"], "EXIT NIFTY stop\nnet P&L -1234.50");
        assert_eq!(b["content"], b["text"]);
        assert_eq!(b["pnl"], "-1234.50");
        assert_eq!(b["event"], "exit");
        assert!(b.get("topic").is_none());
        assert_eq!(a.webhook_body("my-topic")["topic"], "my-topic");
        let t = a.telegram_body("42");
        assert_eq!(t["chat_id"], "42");
        assert_eq!(t["text"], "EXIT NIFTY stop\nnet P&L -1234.50");
    }
}
