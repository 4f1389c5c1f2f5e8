//! Orders: place (sent once, never retried), modify, cancel, the order book and order details.

use rust_decimal::Decimal;
use serde_json::Value;

use alphastock_core::market::{Exchange, IstTime};
use alphastock_core::order::{OrderRequest, OrderStatus, OrderType, TransactionType, Validity};

use super::client::{Idempotency, MstockClient};
use super::credentials::Secret;
use super::error::MstockError;
use super::fields::{dec_of, int_of, text_of};
use super::http::{json_data, Method, RawResponse, Request};
use super::limits;
use crate::broker::BrokerOrder;

/// Route of regular orders (POST to place; PUT/DELETE `/{order_id}` to modify/cancel).
pub const ORDERS_REGULAR_PATH: &str = "openapi/typea/orders/regular";
/// Route of the order book.
pub const ORDER_BOOK_PATH: &str = "openapi/typea/orders";
/// Route of order details.
pub const ORDER_DETAILS_PATH: &str = "openapi/typea/order/details";

/// The broker's status text mapped to the common order states. Unknown texts count as
/// `Pending` (still in flight), never as filled.
pub fn map_status(text: &str) -> OrderStatus {
    let t = text.trim().to_ascii_uppercase();
    match t.as_str() {
        "COMPLETE" | "COMPLETED" | "FILLED" | "TRADED" | "EXECUTED" => OrderStatus::Complete,
        "CANCELLED" | "CANCELED" | "CANCELLED AMO" | "EXPIRED" => OrderStatus::Cancelled,
        "REJECTED" => OrderStatus::Rejected,
        "OPEN" | "TRIGGER PENDING" | "MODIFIED" | "AMO REQ RECEIVED" => OrderStatus::Open,
        "PARTIALLY FILLED" | "PARTIALLY_FILLED" | "PARTIAL" => OrderStatus::PartiallyFilled,
        _ => OrderStatus::Pending,
    }
}

/// Reads one order-book row. `None` when it lacks an order id, exchange, symbol or side.
pub fn parse_order(v: &Value, now: IstTime) -> Option<BrokerOrder> {
    let order_id = text_of(v, &["order_id", "orderid", "order_no"])?;
    let exchange: Exchange = text_of(v, &["exchange"])?.parse().ok()?;
    let trading_symbol = text_of(v, &["tradingsymbol", "trading_symbol", "symbol"])?;
    let transaction_type = match text_of(v, &["transaction_type", "transactiontype"])?
        .to_ascii_uppercase()
        .as_str()
    {
        "BUY" | "B" => TransactionType::Buy,
        "SELL" | "S" => TransactionType::Sell,
        _ => return None,
    };
    let quantity = int_of(v, &["quantity", "qty"]).and_then(|q| u32::try_from(q).ok())?;
    let filled = int_of(v, &["filled_quantity", "filledqty", "filled_qty"])
        .and_then(|q| u32::try_from(q).ok())
        .unwrap_or(0);
    let mut status = map_status(&text_of(v, &["status", "order_status"]).unwrap_or_default());
    if status == OrderStatus::Open && filled > 0 && filled < quantity {
        status = OrderStatus::PartiallyFilled;
    }
    let nonzero = |d: Option<Decimal>| d.filter(|p| !p.is_zero());
    let updated_at = text_of(v, &["order_timestamp", "exchange_timestamp", "updated_at"])
        .and_then(|s| parse_ist(&s))
        .unwrap_or(now);
    Some(BrokerOrder {
        order_id,
        tag: text_of(v, &["tag"]).unwrap_or_default(),
        exchange,
        trading_symbol,
        transaction_type,
        quantity,
        filled_quantity: filled,
        price: nonzero(dec_of(v, &["price"])),
        trigger_price: nonzero(dec_of(v, &["trigger_price"])),
        order_type: text_of(v, &["order_type", "ordertype"]).and_then(|t| order_type_of(&t)),
        average_price: nonzero(dec_of(v, &["average_price", "avg_price"])),
        status,
        message: text_of(v, &["status_message", "message", "rejection_reason"])
            .filter(|m| !m.is_empty()),
        updated_at,
    })
}

/// The order type an order-book row names (`LIMIT`, `MARKET`, `SL`, `SL-M`, any case);
/// `None` for anything else.
pub fn order_type_of(text: &str) -> Option<OrderType> {
    [
        OrderType::Limit,
        OrderType::Market,
        OrderType::StopLoss,
        OrderType::StopLossMarket,
    ]
    .into_iter()
    .find(|t| t.code().eq_ignore_ascii_case(text.trim()))
}

/// Parses `YYYY-MM-DD HH:MM:SS` (broker local time, IST) or RFC 3339.
pub fn parse_ist(s: &str) -> Option<IstTime> {
    use chrono::TimeZone;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()?;
    alphastock_core::market::IST
        .from_local_datetime(&naive)
        .single()
}

/// Rows of a list answer (`data` as a list, or null for none).
pub fn rows(data: &Value) -> Result<&[Value], MstockError> {
    match data {
        Value::Array(a) => Ok(a),
        Value::Null => Ok(&[]),
        _ => Err(MstockError::Malformed(
            "expected a list in `data`".to_string(),
        )),
    }
}

/// The rows of a list answer that `parse` reads (rows it cannot read are skipped): the order
/// book, order details and trade book of both brokers.
pub fn parsed_rows<T>(
    raw: &RawResponse,
    parse: impl Fn(&Value) -> Option<T>,
) -> Result<Vec<T>, MstockError> {
    Ok(rows(&json_data(raw)?)?.iter().filter_map(parse).collect())
}

/// The cancellation of order `order_id` (`DELETE {orders_path}/{order_id}`, no form), as both
/// brokers take it.
pub fn cancel_request(orders_path: &str, order_id: &str) -> Request {
    Request::form(
        Method::Delete,
        format!("{orders_path}/{order_id}"),
        Vec::new(),
    )
}

fn plain(s: impl Into<String>) -> Secret {
    Secret::new(s)
}

fn price_text(p: Option<Decimal>) -> String {
    p.map(|d| d.normalize().to_string())
        .unwrap_or_else(|| "0".to_string())
}

impl MstockClient {
    /// Sends one placement and returns the broker's order id. **Sent exactly once**: a failure
    /// whose [`MstockError::outcome_unknown`] is true must be reconciled by tag, never retried.
    pub fn place_order_once(&mut self, o: &OrderRequest) -> Result<String, MstockError> {
        let req = Request::form(
            Method::Post,
            ORDERS_REGULAR_PATH,
            vec![
                ("tradingsymbol", plain(&o.trading_symbol)),
                ("exchange", plain(o.exchange.code())),
                ("transaction_type", plain(o.transaction_type.code())),
                ("order_type", plain(o.order_type.code())),
                ("quantity", plain(o.quantity.to_string())),
                ("product", plain(o.product.code())),
                ("validity", plain(o.validity.code())),
                ("price", plain(price_text(o.price))),
                ("trigger_price", plain(price_text(o.trigger_price))),
                ("disclosed_quantity", plain("0")),
                ("tag", plain(&o.tag)),
            ],
        );
        self.call(limits::ORDERS, Idempotency::Write, &req, |raw| {
            let data = json_data(raw)?;
            text_of(&data, &["order_id", "orderid"]).ok_or_else(|| {
                MstockError::Malformed("placement answer has no data.order_id".to_string())
            })
        })
    }

    /// Modifies a resting order (sent once).
    #[allow(clippy::too_many_arguments)]
    pub fn modify_order(
        &mut self,
        order_id: &str,
        order_type: OrderType,
        quantity: u32,
        price: Option<Decimal>,
        trigger_price: Option<Decimal>,
        validity: Validity,
    ) -> Result<(), MstockError> {
        let req = Request::form(
            Method::Put,
            format!("{ORDERS_REGULAR_PATH}/{order_id}"),
            vec![
                ("order_type", plain(order_type.code())),
                ("quantity", plain(quantity.to_string())),
                ("price", plain(price_text(price))),
                ("validity", plain(validity.code())),
                ("trigger_price", plain(price_text(trigger_price))),
                ("disclosed_quantity", plain("0")),
            ],
        );
        self.call(limits::ORDERS, Idempotency::Write, &req, json_data)?;
        Ok(())
    }

    /// Cancels a resting order (sent once).
    pub fn cancel_order(&mut self, order_id: &str) -> Result<(), MstockError> {
        let req = cancel_request(ORDERS_REGULAR_PATH, order_id);
        self.call(limits::ORDERS, Idempotency::Write, &req, json_data)?;
        Ok(())
    }

    /// Today's orders; `now` stamps rows without a timestamp.
    pub fn order_book(&mut self, now: IstTime) -> Result<Vec<BrokerOrder>, MstockError> {
        let req = Request::get(ORDER_BOOK_PATH);
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parsed_rows(raw, |r| parse_order(r, now))
        })
    }

    /// The history of one order (`segment` `E` equity, `D` derivatives). A read, so retried.
    pub fn order_details(
        &mut self,
        order_no: &str,
        derivatives: bool,
        now: IstTime,
    ) -> Result<Vec<BrokerOrder>, MstockError> {
        let req = Request::form(
            Method::Post,
            ORDER_DETAILS_PATH,
            vec![
                ("order_no", plain(order_no)),
                ("segment", plain(if derivatives { "D" } else { "E" })),
            ],
        );
        self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            parsed_rows(raw, |r| parse_order(r, now))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_common_states() {
        assert_eq!(map_status("COMPLETE"), OrderStatus::Complete);
        assert_eq!(map_status("trigger pending"), OrderStatus::Open);
        assert_eq!(map_status("REJECTED"), OrderStatus::Rejected);
        assert_eq!(map_status("put order req received"), OrderStatus::Pending);
    }

    #[test]
    fn order_row_is_read_leniently() {
        let now = parse_ist("2026-12-01 10:00:00").unwrap();
        let v = serde_json::json!({"order_id": 1161, "exchange": "NFO", "tradingsymbol": "BANKNIFTY25DEC51200CE",
            "transaction_type": "BUY", "quantity": "30", "filled_quantity": 15, "price": "280.05",
            "average_price": 0, "status": "OPEN", "tag": "AS2612010001"});
        let o = parse_order(&v, now).unwrap();
        assert_eq!(o.order_id, "1161");
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
        assert_eq!(o.price, Some(Decimal::new(28005, 2)));
        assert_eq!(o.average_price, None);
        assert!(parse_order(&serde_json::json!({"order_id": "1"}), now).is_none());
        // No order type in the row: unknown, never guessed.
        assert_eq!(o.order_type, None);
    }

    #[test]
    fn the_order_type_of_a_row_is_read_so_a_converted_stop_shows_as_limit() {
        let now = parse_ist("2026-12-01 10:00:00").unwrap();
        let row = |ty: &str| {
            serde_json::json!({"order_id": "7", "exchange": "NFO", "tradingsymbol": "X",
                "transaction_type": "SELL", "quantity": 75, "order_type": ty, "status": "OPEN"})
        };
        let of = |ty: &str| parse_order(&row(ty), now).unwrap().order_type;
        assert_eq!(of("SL"), Some(OrderType::StopLoss));
        assert_eq!(of("limit"), Some(OrderType::Limit));
        assert_eq!(of("SL-M"), Some(OrderType::StopLossMarket));
        assert_eq!(of("MARKET"), Some(OrderType::Market));
        assert_eq!(of("ICEBERG"), None);
    }
}
