//! Positions, funds and the trade book.

use rust_decimal::Decimal;
use serde_json::Value;

use alphastock_core::market::{Exchange, IstTime};
use alphastock_core::order::{Fill, TransactionType};

use super::client::{Idempotency, MstockClient};
use super::error::MstockError;
use super::fields::{dec_of, int_of, text_of};
use super::http::{json_data, Request};
use super::limits;
use super::orders::{parse_ist, parsed_rows, rows};
use crate::broker::{BrokerFunds, BrokerPosition};

/// Route of net positions.
pub const POSITIONS_PATH: &str = "openapi/typea/portfolio/positions";
/// Route of the fund summary.
pub const FUNDS_PATH: &str = "openapi/typea/user/fundsummary";
/// Route of the trade book.
pub const TRADE_BOOK_PATH: &str = "openapi/typea/tradebook";

/// Reads one position row.
pub fn parse_position(v: &Value) -> Option<BrokerPosition> {
    let exchange: Exchange = text_of(v, &["exchange"])?.parse().ok()?;
    Some(BrokerPosition {
        exchange,
        trading_symbol: text_of(v, &["tradingsymbol", "trading_symbol"])?,
        net_quantity: int_of(v, &["quantity", "net_quantity", "netqty"])?,
        average_price: dec_of(v, &["average_price", "avg_price"]).unwrap_or_default(),
        ltp: dec_of(v, &["last_price", "ltp"]).unwrap_or_default(),
        realised_pnl: dec_of(v, &["realised", "realized", "realised_pnl"]).unwrap_or_default(),
        unrealised_pnl: dec_of(v, &["unrealised", "unrealized", "unrealised_pnl"])
            .unwrap_or_default(),
    })
}

/// Reads a positions answer: `data` as a list, or as `{net: [...], day: [...]}` (net is used).
pub fn parse_positions(data: &Value) -> Result<Vec<BrokerPosition>, MstockError> {
    let list = match data.get("net") {
        Some(net) => net,
        None => data,
    };
    Ok(rows(list)?.iter().filter_map(parse_position).collect())
}

/// Reads a fund summary: `data` as an object or a one-element list.
pub fn parse_funds(data: &Value) -> Result<BrokerFunds, MstockError> {
    let row = match data {
        Value::Array(a) => a.first().unwrap_or(&Value::Null),
        other => other,
    };
    let available = dec_of(
        row,
        &[
            "AVAILABLE_BALANCE",
            "available_balance",
            "availablecash",
            "net",
        ],
    )
    .ok_or_else(|| MstockError::Malformed("fund summary has no available balance".to_string()))?;
    let used = dec_of(
        row,
        &[
            "AMOUNT_UTILIZED",
            "amount_utilized",
            "utilised",
            "used_margin",
        ],
    )
    .unwrap_or(Decimal::ZERO);
    Ok(BrokerFunds { available, used })
}

/// Reads one trade-book row.
pub fn parse_trade(v: &Value, now: IstTime) -> Option<Fill> {
    let transaction_type = match text_of(v, &["transaction_type"])?
        .to_ascii_uppercase()
        .as_str()
    {
        "BUY" | "B" => TransactionType::Buy,
        "SELL" | "S" => TransactionType::Sell,
        _ => return None,
    };
    Some(Fill {
        order_id: text_of(v, &["order_id", "orderid"])?,
        tag: text_of(v, &["tag"]).unwrap_or_default(),
        trade_id: text_of(v, &["trade_id", "tradeid", "fill_id"])?,
        exchange: text_of(v, &["exchange"])?.parse().ok()?,
        trading_symbol: text_of(v, &["tradingsymbol", "trading_symbol"])?,
        transaction_type,
        quantity: int_of(v, &["quantity", "filled_quantity"])
            .and_then(|q| u32::try_from(q).ok())?,
        price: dec_of(v, &["average_price", "price", "fill_price"])?,
        timestamp: text_of(
            v,
            &["fill_timestamp", "exchange_timestamp", "order_timestamp"],
        )
        .and_then(|s| parse_ist(&s))
        .unwrap_or(now),
    })
}

impl MstockClient {
    /// Open net positions.
    pub fn positions(&mut self) -> Result<Vec<BrokerPosition>, MstockError> {
        let req = Request::get(POSITIONS_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parse_positions(&json_data(raw)?)
        })
    }

    /// Funds available and used.
    pub fn funds(&mut self) -> Result<BrokerFunds, MstockError> {
        let req = Request::get(FUNDS_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parse_funds(&json_data(raw)?)
        })
    }

    /// Today's executions; `now` stamps rows without a time.
    pub fn trade_book(&mut self, now: IstTime) -> Result<Vec<Fill>, MstockError> {
        let req = Request::get(TRADE_BOOK_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parsed_rows(raw, |r| parse_trade(r, now))
        })
    }
}
