//! The rows the journal stores and returns.

use alphastock_core::engine::{Event, OrderPurpose, Record};
use alphastock_core::market::{Candle, Exchange, IstTime, OptionChain, Quote};
use alphastock_core::order::{Fill, OrderRequest, OrderStatus, OrderUpdate};
use alphastock_core::strategy::Signal;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One thing to write to the journal (see [`StoreWriter::push`](super::StoreWriter::push)).
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// An underlying's quote → `quotes`.
    Quote(Quote),
    /// A completed candle → `candles` (the latest version of a bar replaces an earlier one).
    Candle(Candle),
    /// Every quote of an option chain, each with the chain's spot → `option_snapshots`.
    OptionChain(OptionChain),
    /// A signal and, when it was dropped, why → `signals`.
    Signal {
        /// The signal.
        signal: Signal,
        /// `None` when accepted (it led to an order), else the rejection reason.
        rejected: Option<String>,
    },
    /// An order about to be sent → `orders` with status PENDING. A tag already in the journal is
    /// ignored (never stored twice).
    OrderPlaced {
        /// The request as sent.
        request: OrderRequest,
        /// Why it is placed, when known.
        purpose: Option<OrderPurpose>,
        /// When it was decided.
        at: IstTime,
    },
    /// The broker's latest state of an order → updates `orders` by tag (inserts a bare row for
    /// an order the journal did not know).
    OrderUpdate(OrderUpdate),
    /// An execution → `fills`; a trade id already stored is ignored.
    Fill(Fill),
    /// The current state of a position → `positions` (replaces the previous state).
    Position(PositionRow),
    /// The day's P&L → `daily_pnl` (replaces the day's previous summary).
    DailyPnl(DailyPnlRow),
    /// A free-form journal entry → `journal` (e.g. reconciliation findings, start and stop).
    Journal {
        /// When.
        at: IstTime,
        /// Short kind, e.g. `start`, `reconcile`, `shutdown`.
        kind: String,
        /// Details as JSON.
        detail: serde_json::Value,
    },
}

impl Row {
    /// The journal row for an engine input worth keeping: quotes, candles, option chains, order
    /// updates and fills; `None` for the rest (timers, funds, shutdown, ...).
    pub fn from_event(event: &Event) -> Option<Row> {
        match event {
            Event::Quote(q) => Some(Row::Quote(q.clone())),
            Event::Candle(c) => Some(Row::Candle(c.clone())),
            Event::OptionChain(c) => Some(Row::OptionChain(c.clone())),
            Event::OrderUpdate(u) => Some(Row::OrderUpdate(u.clone())),
            Event::Fill(f) => Some(Row::Fill(f.clone())),
            _ => None,
        }
    }

    /// The journal row for an engine [`Record`]: a signal (accepted or rejected) → `signals`; a
    /// closed position → a `position_closed` journal entry with its net P&L and reason.
    pub fn from_record(record: &Record) -> Row {
        match record {
            Record::Signal { signal, rejected } => Row::Signal {
                signal: signal.clone(),
                rejected: rejected.clone(),
            },
            Record::PositionClosed {
                trading_symbol,
                underlying,
                net_pnl,
                reason,
                at,
            } => Row::Journal {
                at: *at,
                kind: "position_closed".to_string(),
                detail: serde_json::json!({
                    "trading_symbol": trading_symbol,
                    "underlying": underlying.as_str(),
                    "net_pnl": net_pnl.to_string(),
                    "reason": reason,
                }),
            },
        }
    }
}

/// An order as the journal knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOrder {
    /// The client tag (unique).
    pub tag: String,
    /// The broker's order id, once known.
    pub order_id: Option<String>,
    /// Last known status.
    pub status: OrderStatus,
    /// Units filled so far.
    pub filled_quantity: u32,
    /// Average fill price, rupees, once filled.
    pub average_price: Option<Decimal>,
    /// The broker's last message (e.g. a rejection reason).
    pub message: Option<String>,
    /// The request as sent.
    pub request: OrderRequest,
    /// Why it was placed, when recorded.
    pub purpose: Option<OrderPurpose>,
    /// When it was recorded.
    pub created_at: IstTime,
    /// When its state last changed.
    pub updated_at: IstTime,
}

/// The state of one position.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionRow {
    /// The traded instrument (option or underlying) trading symbol; the key.
    pub trading_symbol: String,
    /// Where it trades.
    pub exchange: Exchange,
    /// The underlying, e.g. `BANKNIFTY`.
    pub underlying: String,
    /// Signed quantity in units (positive long, negative short, 0 closed).
    pub quantity: i64,
    /// Average entry price of the open quantity, rupees.
    pub average_price: Decimal,
    /// Realised P&L so far, rupees.
    pub realised_pnl: Decimal,
    /// Anything else needed to manage it after a restart (target, stop, trailing state), JSON.
    pub detail: serde_json::Value,
    /// When it last changed.
    pub updated_at: IstTime,
}

/// The P&L summary of one trading day.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyPnlRow {
    /// The IST trading day.
    pub day: NaiveDate,
    /// Closed round trips.
    pub trades: u32,
    /// Round trips with positive net P&L.
    pub wins: u32,
    /// P&L before charges, rupees.
    pub gross_pnl: Decimal,
    /// Brokerage, taxes and fees, rupees.
    pub charges: Decimal,
    /// P&L after charges, rupees.
    pub net_pnl: Decimal,
    /// When it was last updated.
    pub updated_at: IstTime,
}

/// One stored option snapshot (a contract's quote at a time), as read back for learning.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    /// When it was quoted (IST).
    pub timestamp: alphastock_core::market::IstTime,
    /// The underlying, e.g. `NIFTY`.
    pub underlying: String,
    /// The underlying's price then, rupees.
    pub spot: rust_decimal::Decimal,
    /// The contract's trading symbol.
    pub trading_symbol: String,
    /// Expiry date.
    pub expiry: chrono::NaiveDate,
    /// Strike, rupees.
    pub strike: rust_decimal::Decimal,
    /// CE or PE.
    pub option_type: alphastock_core::market::OptionType,
    /// Premium (last price), rupees per unit.
    pub premium: rust_decimal::Decimal,
    /// Implied volatility, fraction, when recorded.
    pub iv: Option<f64>,
}
