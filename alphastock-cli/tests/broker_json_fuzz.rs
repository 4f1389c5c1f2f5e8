//! Property test over broker answers: any JSON body (random structure, the documented shapes
//! with random field values, numbers at and beyond `Decimal`'s range, broken text) goes through
//! the envelope reader and every row parser without a panic; whatever they accept has numbers
//! within the broker bound, so the engine's arithmetic on them cannot overflow.

use alphastock_cli::broker::InstrumentKey;
use alphastock_cli::mstock::fields::MAX_BROKER_NUMBER;
use alphastock_cli::mstock::http::{json_data, RawResponse};
use alphastock_cli::mstock::orders::{parse_order, rows};
use alphastock_cli::mstock::portfolio::{parse_funds, parse_positions, parse_trade};
use alphastock_cli::mstock::quotes::parse_quotes;
use alphastock_core::market::{Exchange, IstTime};
use chrono::DateTime;
use proptest::prelude::*;
use serde_json::{json, Value};

fn now() -> IstTime {
    DateTime::parse_from_rfc3339("2025-12-02T10:00:00+05:30").unwrap()
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|i| json!(i)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!("79228162514264337593543950335")),
        Just(json!("-79228162514264337593543950335.5")),
        Just(json!("1e400")),
        Just(json!("NSE")),
        Just(json!("NFO")),
        Just(json!("BUY")),
        Just(json!("SELL")),
        Just(json!("COMPLETE")),
        Just(json!("2025-12-02 10:00:00")),
        "\\PC{0,16}".prop_map(Value::String),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,16}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A row shaped like the broker's (order, trade, position, quote), each field a random scalar.
fn row() -> impl Strategy<Value = Value> {
    proptest::collection::vec(scalar(), 20).prop_map(|v| {
        json!({
            "order_id": v[0], "trade_id": v[1], "exchange": v[2], "tradingsymbol": v[3],
            "transaction_type": v[4], "quantity": v[5], "filled_quantity": v[6], "price": v[7],
            "average_price": v[8], "status": v[9], "tag": v[10], "order_timestamp": v[11],
            "last_price": v[12], "ohlc": {"open": v[13], "high": v[14], "low": v[15], "close": v[16]},
            "volume": v[17], "oi": v[18], "availablecash": v[19], "realised": v[7],
            "depth": {"buy": [{"price": v[14], "quantity": v[5]}], "sell": [{"price": v[15]}]}
        })
    })
}

fn check_everything(body: &str, status: u16) {
    let raw = RawResponse {
        status,
        retry_after: None,
        content_type: "application/json".into(),
        body: body.to_string(),
        date: None,
    };
    let Ok(data) = json_data(&raw) else { return };
    let bound = MAX_BROKER_NUMBER;
    if let Ok(list) = rows(&data) {
        for r in list {
            if let Some(o) = parse_order(r, now()) {
                for d in [o.price, o.average_price].into_iter().flatten() {
                    assert!(d.abs() <= bound);
                }
            }
            if let Some(f) = parse_trade(r, now()) {
                assert!(f.price.abs() <= bound);
            }
        }
    }
    if let Ok(ps) = parse_positions(&data) {
        for p in ps {
            assert!(p.average_price.abs() <= bound && p.ltp.abs() <= bound);
        }
    }
    let _ = parse_funds(&data);
    let keys = [InstrumentKey {
        exchange: Exchange::Nse,
        trading_symbol: "SBIN".into(),
    }];
    if let Ok(qs) = parse_quotes(&keys, &data, now()) {
        for q in qs {
            assert!(q.ltp.abs() <= bound);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_broker_body_is_read_or_refused_without_a_panic(
        data in any_json(),
        shaped in proptest::collection::vec(row(), 0..4),
        status in prop_oneof![Just(200u16), Just(400u16), Just(403u16), Just(500u16), Just(503u16)],
        cut in 0usize..200,
    ) {
        let bodies = [
            json!({"status": "success", "data": data}).to_string(),
            json!({"status": "success", "data": shaped.clone()}).to_string(),
            json!({"status": "success", "data": {"NSE:SBIN": shaped.first().cloned().unwrap_or(Value::Null)}}).to_string(),
            json!({"status": "success", "data": {"net": shaped}}).to_string(),
            data.to_string(),
        ];
        for body in &bodies {
            check_everything(body, status);
            let end = body.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(body.len());
            check_everything(&body[..end], status);
        }
    }
}
