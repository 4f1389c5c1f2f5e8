//! Orders and the account: place (`POST /orders/regular`, sent once), modify
//! (`PUT /orders/regular/{id}`), cancel (`DELETE /orders/regular/{id}`), the order book
//! (`GET /orders`), trades (`GET /trades`), positions (`GET /portfolio/positions`, `net`) and
//! margins (`GET /user/margins`). Rows have the fields mStock's readers take (`orders.json`,
//! `trades.json` and `positions.json` of `zerodha/kiteconnect-mocks`). Kite's trade rows carry
//! no `tag`: [`crate::broker::kite`] fills it from the order book.

use rust_decimal::Decimal;
use serde_json::Value;

use alphastock_core::market::IstTime;
use alphastock_core::order::{Fill, OrderRequest, OrderType, Validity};

use super::client::KiteClient;
use super::limits;
use crate::broker::{BrokerFunds, BrokerOrder, BrokerPosition};
use crate::mstock::fields::{dec_of, text_of};
use crate::mstock::orders::{cancel_request, parse_order, parsed_rows};
use crate::mstock::portfolio::{parse_positions, parse_trade};
use crate::net::http::{json_data, Method, Request};
use crate::net::pipeline::Idempotency;
use crate::net::{ApiError, Secret};

/// Route of regular orders.
pub const ORDERS_REGULAR_PATH: &str = "orders/regular";
/// Route of the order book.
pub const ORDER_BOOK_PATH: &str = "orders";
/// Route of the trade book.
pub const TRADES_PATH: &str = "trades";
/// Route of positions.
pub const POSITIONS_PATH: &str = "portfolio/positions";
/// Route of margins.
pub const MARGINS_PATH: &str = "user/margins";
/// Longest `tag` Kite accepts (Kite Connect v3 docs, "Orders": alphanumeric, 20 characters).
pub const MAX_TAG_LEN: usize = 20;

fn plain(s: impl Into<String>) -> Secret {
    Secret::new(s)
}

fn price_text(p: Decimal) -> String {
    p.normalize().to_string()
}

/// The form of a placement. Only the fields the order type uses are sent, as the SDK drops
/// unset parameters (`place_order` in `connect.py`): `price` for LIMIT and SL, `trigger_price`
/// for SL and SL-M.
pub fn placement_form(o: &OrderRequest) -> Vec<(&'static str, Secret)> {
    let mut form = vec![
        ("tradingsymbol", plain(&o.trading_symbol)),
        ("exchange", plain(o.exchange.code())),
        ("transaction_type", plain(o.transaction_type.code())),
        ("order_type", plain(o.order_type.code())),
        ("quantity", plain(o.quantity.to_string())),
        ("product", plain(o.product.code())),
        ("validity", plain(o.validity.code())),
    ];
    if matches!(o.order_type, OrderType::Limit | OrderType::StopLoss) {
        if let Some(p) = o.price {
            form.push(("price", plain(price_text(p))));
        }
    }
    if matches!(
        o.order_type,
        OrderType::StopLoss | OrderType::StopLossMarket
    ) {
        if let Some(t) = o.trigger_price {
            form.push(("trigger_price", plain(price_text(t))));
        }
    }
    form.push(("tag", plain(&o.tag)));
    form
}

/// Reads a margins answer: equity `available.live_balance` (else `available.cash`, else
/// `net`) as available, `utilised.debits` as used (`margins.json` of the mocks).
pub fn parse_margins(data: &Value) -> Result<BrokerFunds, ApiError> {
    let equity = data.get("equity").unwrap_or(data);
    let available = equity
        .get("available")
        .and_then(|a| dec_of(a, &["live_balance", "cash"]))
        .or_else(|| dec_of(equity, &["net"]))
        .ok_or_else(|| {
            ApiError::Malformed("margins answer has no equity.available.live_balance".to_string())
        })?;
    let used = equity
        .get("utilised")
        .and_then(|u| dec_of(u, &["debits"]))
        .unwrap_or(Decimal::ZERO);
    Ok(BrokerFunds { available, used })
}

impl KiteClient {
    /// Sends one placement and returns Kite's order id. **Sent exactly once**; a failure whose
    /// outcome is unknown is reconciled by tag, never retried. A tag longer than Kite allows is
    /// refused before sending.
    pub fn place_order_once(&mut self, o: &OrderRequest) -> Result<String, ApiError> {
        if o.tag.chars().count() > MAX_TAG_LEN {
            return Err(ApiError::Api {
                status: 400,
                error_type: "InputException".to_string(),
                message: format!(
                    "tag {:?} is longer than Kite's {MAX_TAG_LEN} characters; not sent",
                    o.tag
                ),
            });
        }
        let req = Request::form(Method::Post, ORDERS_REGULAR_PATH, placement_form(o));
        self.call(limits::ORDERS, Idempotency::Write, &req, |raw| {
            let data = json_data(raw)?;
            text_of(&data, &["order_id"]).ok_or_else(|| {
                ApiError::Malformed("placement answer has no data.order_id".to_string())
            })
        })
    }

    /// Modifies a resting order (sent once): quantity, order type, limit `price` and
    /// `trigger_price` (rupees) when given, validity.
    pub fn modify_order(
        &mut self,
        order_id: &str,
        order_type: OrderType,
        quantity: u32,
        price: Option<Decimal>,
        trigger_price: Option<Decimal>,
    ) -> Result<(), ApiError> {
        let mut form = vec![
            ("order_type", plain(order_type.code())),
            ("quantity", plain(quantity.to_string())),
            ("validity", plain(Validity::Day.code())),
        ];
        if let Some(p) = price {
            form.push(("price", plain(price_text(p))));
        }
        if let Some(t) = trigger_price {
            form.push(("trigger_price", plain(price_text(t))));
        }
        let req = Request::form(
            Method::Put,
            format!("{ORDERS_REGULAR_PATH}/{order_id}"),
            form,
        );
        self.call(limits::ORDERS, Idempotency::Write, &req, json_data)?;
        Ok(())
    }

    /// Cancels a resting order (sent once).
    pub fn cancel_order(&mut self, order_id: &str) -> Result<(), ApiError> {
        let req = cancel_request(ORDERS_REGULAR_PATH, order_id);
        self.call(limits::ORDERS, Idempotency::Write, &req, json_data)?;
        Ok(())
    }

    /// Today's orders; `now` stamps rows without a time.
    pub fn order_book(&mut self, now: IstTime) -> Result<Vec<BrokerOrder>, ApiError> {
        let req = Request::get(ORDER_BOOK_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parsed_rows(raw, |r| parse_order(r, now))
        })
    }

    /// Today's executions (without tags: Kite's trade rows have none); `now` stamps rows
    /// without a time.
    pub fn trades(&mut self, now: IstTime) -> Result<Vec<Fill>, ApiError> {
        let req = Request::get(TRADES_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parsed_rows(raw, |r| parse_trade(r, now))
        })
    }

    /// Net positions.
    pub fn positions(&mut self) -> Result<Vec<BrokerPosition>, ApiError> {
        let req = Request::get(POSITIONS_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parse_positions(&json_data(raw)?)
        })
    }

    /// Equity margins: available and used, rupees.
    pub fn margins(&mut self) -> Result<BrokerFunds, ApiError> {
        let req = Request::get(MARGINS_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parse_margins(&json_data(raw)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alphastock_core::market::{Exchange, IST};
    use alphastock_core::order::{OrderStatus, Product, TransactionType};
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn now() -> IstTime {
        IST.with_ymd_and_hms(2021, 5, 31, 10, 0, 0).unwrap()
    }

    #[test]
    fn mock_rows_are_read() {
        // From `orders.json`, `trades.json`, `positions.json` and `margins.json` of
        // zerodha/kiteconnect-mocks (commit c7a8123), with NFO rows in the same shape.
        let order = serde_json::json!({"order_id": "100000000000000", "status": "TRIGGER PENDING",
            "status_message": null, "order_timestamp": "2021-05-31 09:18:57", "exchange": "NFO",
            "tradingsymbol": "NIFTY21JUN15000PE", "order_type": "SL", "transaction_type": "SELL",
            "validity": "DAY", "product": "NRML", "quantity": 75, "price": 9.5,
            "trigger_price": 10, "average_price": 0, "filled_quantity": 0, "pending_quantity": 75,
            "tag": "AS2105310001"});
        let o = parse_order(&order, now()).unwrap();
        assert_eq!(o.status, OrderStatus::Open);
        assert_eq!(o.trigger_price, Some(dec!(10)));
        assert_eq!(o.tag, "AS2105310001");
        assert_eq!(
            o.updated_at,
            IST.with_ymd_and_hms(2021, 5, 31, 9, 18, 57).unwrap()
        );
        let untagged = serde_json::json!({"order_id": "1", "status": "CANCELLED", "tag": null,
            "exchange": "NSE", "tradingsymbol": "SBIN", "transaction_type": "BUY", "quantity": 1});
        assert_eq!(parse_order(&untagged, now()).unwrap().tag, "");
        let trade = serde_json::json!({"trade_id": "10000000", "order_id": "200000000000000",
            "exchange": "NSE", "tradingsymbol": "SBIN", "product": "CNC", "average_price": 420.65,
            "quantity": 1, "transaction_type": "BUY", "fill_timestamp": "2021-05-31 09:16:39"});
        let f = parse_trade(&trade, now()).unwrap();
        assert_eq!((f.price, f.quantity, f.tag.as_str()), (dec!(420.65), 1, ""));
        let positions = serde_json::json!({"net": [{"tradingsymbol": "NIFTY21JUN15000PE",
            "exchange": "NFO", "product": "NRML", "quantity": -75, "average_price": 9.5,
            "last_price": 8.1, "realised": 0, "unrealised": 105}], "day": []});
        let p = parse_positions(&positions).unwrap();
        assert_eq!((p[0].net_quantity, p[0].unrealised_pnl), (-75, dec!(105)));
        let margins = serde_json::json!({"equity": {"enabled": true, "net": 99725.05,
            "available": {"cash": 245431.6, "live_balance": 99725.05},
            "utilised": {"debits": 145706.55}}});
        let m = parse_margins(&margins).unwrap();
        assert_eq!((m.available, m.used), (dec!(99725.05), dec!(145706.55)));
        assert!(parse_margins(&serde_json::json!({"equity": {}})).is_err());
    }

    #[test]
    fn a_placement_sends_only_the_prices_its_type_uses() {
        let mut o = OrderRequest {
            tag: "AS2612010001".into(),
            exchange: Exchange::Nfo,
            trading_symbol: "NIFTY25DEC24000CE".into(),
            transaction_type: TransactionType::Sell,
            order_type: OrderType::StopLoss,
            quantity: 75,
            price: Some(dec!(95.50)),
            trigger_price: Some(dec!(96.00)),
            product: Product::Nrml,
            validity: Validity::Day,
        };
        let text = |f: Vec<(&str, Secret)>| -> Vec<String> {
            f.iter()
                .map(|(k, v)| format!("{k}={}", v.expose()))
                .collect()
        };
        assert_eq!(
            text(placement_form(&o)),
            vec![
                "tradingsymbol=NIFTY25DEC24000CE",
                "exchange=NFO",
                "transaction_type=SELL",
                "order_type=SL",
                "quantity=75",
                "product=NRML",
                "validity=DAY",
                "price=95.5",
                "trigger_price=96",
                "tag=AS2612010001"
            ]
        );
        o.order_type = OrderType::Market;
        let market = text(placement_form(&o));
        assert!(!market
            .iter()
            .any(|f| f.starts_with("price") || f.starts_with("trigger")));
        o.order_type = OrderType::StopLossMarket;
        let slm = text(placement_form(&o));
        assert!(slm.contains(&"trigger_price=96".to_string()));
        assert!(!slm.iter().any(|f| f.starts_with("price=")));
    }
}
