//! The broker's positions against the engine's: every difference is settled in the broker's
//! favour. The engine adopts the broker's quantity (at the broker's average price), protects it
//! with a stop like any position, and the operator is alerted (an `ALERT` line on stdout and an
//! `adopt_position` journal entry). Used at start-up (recovery) and on every live tick.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use alphastock_core::engine::Engine;
use alphastock_core::market::{Exchange, Symbol};
use alphastock_core::portfolio::PositionMeta;

use crate::broker::BrokerPosition;

/// One instrument whose quantity differs between the engine and the broker.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Trading symbol.
    pub trading_symbol: String,
    /// Exchange segment of the instrument.
    pub exchange: Exchange,
    /// The broker's net quantity, units (signed; 0 when the broker shows none).
    pub broker_quantity: i64,
    /// The engine's quantity, units (signed).
    pub engine_quantity: i64,
    /// The price to adopt at, rupees per unit: the broker's average price, else its last price,
    /// else the engine's average price.
    pub price: Decimal,
}

impl Mismatch {
    /// The sentence recovery prints and journals.
    pub fn sentence(&self) -> String {
        format!(
            "position {}: broker has {}, journal has {}",
            self.trading_symbol, self.broker_quantity, self.engine_quantity
        )
    }
}

/// The instruments whose quantity differs, in trading-symbol order. `skip` says which trading
/// symbols to leave alone (e.g. those with an order still working, whose fills may lag).
pub fn mismatches(
    engine: &Engine,
    at_broker: &[BrokerPosition],
    skip: impl Fn(&str) -> bool,
) -> Vec<Mismatch> {
    let mut theirs: BTreeMap<&str, &BrokerPosition> = BTreeMap::new();
    for p in at_broker.iter().filter(|p| p.net_quantity != 0) {
        theirs.insert(p.trading_symbol.as_str(), p);
    }
    let mut out = Vec::new();
    for (sym, p) in &theirs {
        let ours = engine.portfolio().position(sym);
        let engine_quantity = ours.map_or(0, |o| o.quantity());
        if engine_quantity == p.net_quantity || skip(sym) {
            continue;
        }
        let price = [p.average_price, p.ltp]
            .into_iter()
            .chain(ours.map(|o| o.average_price()))
            .find(|d| *d > Decimal::ZERO)
            .unwrap_or(Decimal::ZERO);
        out.push(Mismatch {
            trading_symbol: sym.to_string(),
            exchange: p.exchange,
            broker_quantity: p.net_quantity,
            engine_quantity,
            price,
        });
    }
    for p in engine.portfolio().open_positions() {
        let sym = p.trading_symbol();
        if theirs.contains_key(sym) || skip(sym) {
            continue;
        }
        out.push(Mismatch {
            trading_symbol: sym.to_string(),
            exchange: p.meta().exchange,
            broker_quantity: 0,
            engine_quantity: p.quantity(),
            price: p.last_price().unwrap_or_else(|| p.average_price()),
        });
    }
    out.sort_by(|a, b| a.trading_symbol.cmp(&b.trading_symbol));
    out
}

/// What the engine needs to manage a position the broker reports: the engine's own facts when
/// it knows the instrument, else the underlying found from the trading symbol (a configured
/// symbol whose name the trading symbol starts with, the longest), the configured lot size and
/// a 0.05 tick. Levels are left to [`Engine::adopt_position`]. `None` when no underlying
/// symbol can be made of the trading symbol.
pub fn meta_for(engine: &Engine, m: &Mismatch) -> Option<PositionMeta> {
    if let Some(p) = engine.portfolio().position(&m.trading_symbol) {
        let mut meta = p.meta().clone();
        if !p.is_open() {
            meta.target = None;
            meta.stop = None;
        }
        return Some(meta);
    }
    let config = engine.config();
    let mut known: Vec<Symbol> = engine.symbols();
    known.extend(config.market.instruments.keys().cloned());
    let underlying = if m.exchange.is_derivatives() {
        known
            .into_iter()
            .filter(|s| m.trading_symbol.starts_with(s.name()))
            .max_by_key(|s| s.name().len())
    } else {
        known
            .into_iter()
            .find(|s| !s.is_index() && s.name() == m.trading_symbol)
    };
    let underlying = underlying.or_else(|| {
        let name: String = m
            .trading_symbol
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        let text = if m.exchange.is_derivatives() {
            name
        } else {
            format!("{}:{}", m.exchange.code(), m.trading_symbol)
        };
        Symbol::parse(&text).ok()
    })?;
    let lot_size = config
        .market
        .instruments
        .get(&underlying)
        .map_or(1, |i| i.lot_size.max(1));
    Some(PositionMeta {
        trading_symbol: m.trading_symbol.clone(),
        exchange: m.exchange,
        underlying,
        lot_size: if m.exchange.is_derivatives() {
            lot_size
        } else {
            1
        },
        tick_size: Decimal::new(5, 2),
        expiry: None,
        target: None,
        stop: None,
    })
}
