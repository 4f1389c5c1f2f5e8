//! What `alphastock run` prints: one plain line per signal, order, fill, exit and alert, a
//! summary per trading day and for the whole run, and (on a terminal) a status line.

use std::io::{IsTerminal, Write};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use alphastock_core::engine::{Action, AlertLevel, OrderPurpose, Record};
use alphastock_core::market::IstTime;
use alphastock_core::order::Fill;

use super::executor::Outcome;
use crate::store::DailyPnlRow;

fn hms(t: &IstTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The result of one trading day (or of the whole run): closed round trips and their P&L.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Closed round trips.
    pub trades: u32,
    /// Round trips with positive net P&L.
    pub wins: u32,
    /// P&L before charges, rupees.
    pub gross: Decimal,
    /// Brokerage, taxes and fees, rupees.
    pub charges: Decimal,
    /// Orders sent to the broker.
    pub orders: u32,
    /// Executions.
    pub fills: u32,
    /// Signals (accepted and rejected).
    pub signals: u32,
    /// Signals that led to an order.
    pub accepted: u32,
}

impl Tally {
    /// P&L after charges, rupees.
    pub fn net(&self) -> Decimal {
        self.gross - self.charges
    }

    /// Winning share of closed trades, percent (0 when none).
    pub fn win_rate_pct(&self) -> Decimal {
        if self.trades == 0 {
            Decimal::ZERO
        } else {
            (Decimal::from(self.wins) * Decimal::from(100) / Decimal::from(self.trades)).round_dp(1)
        }
    }

    /// Records a closed round trip: its net P&L and charges, rupees.
    pub fn close_trade(&mut self, net: Decimal, charges: Decimal) {
        self.trades += 1;
        if net > Decimal::ZERO {
            self.wins += 1;
        }
        self.gross += net + charges;
        self.charges += charges;
    }

    /// Adds another tally (a day into the run total).
    pub fn add(&mut self, other: &Tally) {
        self.trades += other.trades;
        self.wins += other.wins;
        self.gross += other.gross;
        self.charges += other.charges;
        self.orders += other.orders;
        self.fills += other.fills;
        self.signals += other.signals;
        self.accepted += other.accepted;
    }

    /// The `daily_pnl` row for `day`.
    pub fn daily_row(&self, day: NaiveDate, at: IstTime) -> DailyPnlRow {
        DailyPnlRow {
            day,
            trades: self.trades,
            wins: self.wins,
            gross_pnl: self.gross,
            charges: self.charges,
            net_pnl: self.net(),
            updated_at: at,
        }
    }

    /// One summary line, e.g. `trades 4, wins 3 (75.0 %), gross 1520.00, charges 310.40, net 1209.60`.
    pub fn line(&self) -> String {
        format!(
            "signals {} ({} accepted), orders {}, fills {}, trades {}, wins {} (win rate {} %), gross P&L {}, charges {}, net P&L {}",
            self.signals,
            self.accepted,
            self.orders,
            self.fills,
            self.trades,
            self.wins,
            self.win_rate_pct(),
            self.gross.round_dp(2),
            self.charges.round_dp(2),
            self.net().round_dp(2)
        )
    }
}

/// Prints one line for a signal record or a closed position.
pub fn record_line(record: &Record) -> String {
    match record {
        Record::Signal { signal, rejected } => {
            let verdict = match rejected {
                None => "accepted".to_string(),
                Some(r) => format!("rejected: {r}"),
            };
            format!(
                "{} SIGNAL {} {} {} at {} conf {} ({}) {}",
                hms(&signal.timestamp),
                signal.symbol,
                signal.side.direction(),
                signal.strategy,
                signal.price,
                signal.confidence,
                signal.reason,
                verdict
            )
        }
        Record::PositionClosed {
            trading_symbol,
            net_pnl,
            reason,
            at,
            ..
        } => format!(
            "{} EXIT   {} closed ({}) net P&L {}",
            hms(at),
            trading_symbol,
            reason,
            net_pnl.round_dp(2)
        ),
    }
}

/// The line for an order action and what the broker said, or `None` for other actions.
pub fn order_line(action: &Action, outcome: Option<&Outcome>, at: &IstTime) -> Option<String> {
    let said = match outcome {
        Some(Outcome::Placed { order_id, .. }) => format!("placed as {order_id}"),
        Some(Outcome::Refused { reason, .. }) => format!("REFUSED: {reason}"),
        Some(Outcome::Unknown { detail, .. }) => format!("OUTCOME UNKNOWN: {detail}"),
        Some(Outcome::Failed { reason, .. }) => format!("failed: {reason}"),
        Some(Outcome::Done { .. }) => "done".to_string(),
        None => String::new(),
    };
    match action {
        Action::PlaceOrder { request, purpose } => {
            let why = match purpose {
                OrderPurpose::Entry { target, stop, .. } => {
                    format!("entry, target {target}, stop {stop}")
                }
                OrderPurpose::Exit { reason } => format!("exit: {reason}"),
            };
            let price = request
                .price
                .map_or_else(|| "MKT".to_string(), |p| p.to_string());
            Some(format!(
                "{} ORDER  {} {} {} {} {} @ {} ({}) {}",
                hms(at),
                request.tag,
                request.transaction_type.code(),
                request.quantity,
                request.trading_symbol,
                request.order_type.code(),
                price,
                why,
                said
            ))
        }
        Action::ModifyOrder {
            tag, price, reason, ..
        } => Some(format!(
            "{} MODIFY {} to {} ({}) {}",
            hms(at),
            tag,
            price,
            reason,
            said
        )),
        Action::ModifyStop {
            tag,
            trigger_price,
            price,
            reason,
            ..
        } => Some(format!(
            "{} MODIFY {} to trigger {} limit {} ({}) {}",
            hms(at),
            tag,
            trigger_price,
            price,
            reason,
            said
        )),
        Action::ConvertStopToExit {
            tag,
            price,
            quantity,
            reason,
            ..
        } => Some(format!(
            "{} MODIFY {} to LIMIT {} @ {} ({}) {}",
            hms(at),
            tag,
            quantity,
            price,
            reason,
            said
        )),
        Action::CancelOrder { tag, reason, .. } => {
            Some(format!("{} CANCEL {} ({}) {}", hms(at), tag, reason, said))
        }
        Action::Alert { .. } | Action::Record(_) => None,
    }
}

/// The line for an execution.
pub fn fill_line(fill: &Fill) -> String {
    format!(
        "{} FILL   {} {} {} {} @ {} (trade {})",
        hms(&fill.timestamp),
        fill.tag,
        fill.transaction_type.code(),
        fill.quantity,
        fill.trading_symbol,
        fill.price,
        fill.trade_id
    )
}

/// The line for an alert worth showing (warnings and critical ones).
pub fn alert_line(level: AlertLevel, message: &str, at: &IstTime) -> Option<String> {
    match level {
        AlertLevel::Info => None,
        AlertLevel::Warning => Some(format!("{} WARN   {message}", hms(at))),
        AlertLevel::Critical => Some(format!("{} ALERT  {message}", hms(at))),
    }
}

/// Resident memory of this process in kibibytes (Linux `/proc/self/status` VmRSS), if known.
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A one-line status shown in place on a terminal (not when output is piped).
#[derive(Debug)]
pub struct StatusLine {
    enabled: bool,
    shown: bool,
}

impl StatusLine {
    /// Enabled when `wanted` and stdout is a terminal.
    pub fn new(wanted: bool) -> Self {
        Self {
            enabled: wanted && std::io::stdout().is_terminal(),
            shown: false,
        }
    }

    /// Prints a log line, keeping the status line below it.
    pub fn println(&mut self, line: &str) {
        if self.shown {
            print!("\r\x1b[2K");
            self.shown = false;
        }
        println!("{line}");
    }

    /// Redraws the status line.
    pub fn show(&mut self, text: &str) {
        if !self.enabled {
            return;
        }
        print!("\r\x1b[2K{text}");
        let _ = std::io::stdout().flush();
        self.shown = true;
    }

    /// Clears the status line.
    pub fn clear(&mut self) {
        if self.shown {
            print!("\r\x1b[2K");
            let _ = std::io::stdout().flush();
            self.shown = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_splits_gross_into_net_and_charges() {
        let mut t = Tally::default();
        t.close_trade(Decimal::new(120_000, 2), Decimal::new(8_000, 2));
        t.close_trade(Decimal::new(-50_000, 2), Decimal::new(7_000, 2));
        // Gross = (1200 + 80) + (-500 + 70) = 850; charges 150; net 700.
        assert_eq!(t.gross, Decimal::new(850, 0));
        assert_eq!(t.net(), Decimal::new(700, 0));
        assert_eq!(t.wins, 1);
        assert_eq!(t.win_rate_pct(), Decimal::new(500, 1));
    }
}
