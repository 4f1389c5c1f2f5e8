//! Recorded NSE option chains in the format they are published in, read as they are.
//!
//! ```text
//! timestamp,underlying,spot,expiry,strike,option_type,ltp,bid,ask,volume,oi,iv
//! 2026-08-18T10:43:00+05:30,NIFTY,24212.8,2026-08-18,22000,CE,2235.0,,,18,52,75.38
//! 2025-08-29T09:22:45+05:30,NIFTY,,2025-09-02,22600,PE,0.95,0.95,1.0,31669,46706.0,30.16
//! ```
//!
//! Units: prices (`spot`, `strike`, `ltp`, `bid`, `ask`) in rupees; `iv` in **percent** as NSE
//! publishes it (12.5 = 12.5 %; stored as the fraction 0.125); `volume` and `oi` in
//! **contracts** (lots; `oi` may be fractional on far expiries), stored as units (× the lot
//! size of `market.instruments`, `oi` rounded). Any cell but `timestamp`, `underlying`,
//! `expiry`, `strike` and `option_type` may be empty (not published).
//!
//! - A contract's premium is its `ltp`; without one, the mid of `bid` and `ask`; without both,
//!   the one side quoted. A row with no price at all is skipped.
//! - Rows with the same `timestamp` and `underlying` are one snapshot. Of its expiries only the
//!   **nearest** on or after the snapshot's date is kept: it is the one the engine trades
//!   (the engine holds one chain per underlying).
//! - `spot` is the snapshot's underlying price when published. When it is empty the
//!   underlying is derived by **put-call parity** at that nearest expiry
//!   ([`parity_forward`]): at the strike where the CE and PE mids are closest,
//!   `K + CE mid − PE mid`. That is the expiry's **forward**, slightly above spot (carry), not
//!   spot. A snapshot where neither is possible is skipped.
//! - [`candles_from_chains`] builds the underlying's candles from the snapshots' spots, so a
//!   backtest can run from the chains alone.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Timelike};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::market::instrument_for;
use super::replay::ReplayError;
use crate::config::MarketConfig;
use crate::market::{
    Candle, IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Symbol, IST,
};

/// The recorded-chain CSV header, in order.
pub const RECORDED_CHAIN_HEADER: [&str; 12] = [
    "timestamp",
    "underlying",
    "spot",
    "expiry",
    "strike",
    "option_type",
    "ltp",
    "bid",
    "ask",
    "volume",
    "oi",
    "iv",
];

/// One snapshot being gathered: its published spot and the quotes of its nearest expiry.
struct Gathering {
    spot: Option<Decimal>,
    expiry: Option<NaiveDate>,
    quotes: Vec<OptionQuote>,
}

/// True when `line` is the recorded-chain header.
pub fn is_recorded_chain_header(line: &str) -> bool {
    let cols: Vec<&str> = line.split(',').map(str::trim).collect();
    cols == RECORDED_CHAIN_HEADER
}

/// Parses recorded chains (the format in the module docs) into one chain per snapshot (its
/// nearest expiry), ordered by time. Errors name the 1-based line and the column.
pub fn parse_recorded_chains(
    text: &str,
    market: &MarketConfig,
) -> Result<Vec<OptionChain>, ReplayError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    if !lines
        .next()
        .is_some_and(|(_, h)| is_recorded_chain_header(h.trim_start_matches('\u{feff}')))
    {
        return Err(ReplayError::Snapshot {
            line: 1,
            column: "header",
            reason: format!(
                "the first line must be `{}`",
                RECORDED_CHAIN_HEADER.join(",")
            ),
        });
    }
    let mut snapshots: BTreeMap<(IstTime, Symbol), Gathering> = BTreeMap::new();
    let mut lots: BTreeMap<(Symbol, NaiveDate, NaiveDate), (u32, Decimal)> = BTreeMap::new();
    for (line, row) in lines {
        let cells: Vec<&str> = row.split(',').map(str::trim).collect();
        if cells.len() != RECORDED_CHAIN_HEADER.len() {
            return Err(ReplayError::Snapshot {
                line,
                column: "header",
                reason: format!(
                    "expected {} columns, found {}",
                    RECORDED_CHAIN_HEADER.len(),
                    cells.len()
                ),
            });
        }
        let bad = |col: usize, reason: String| ReplayError::Snapshot {
            line,
            column: RECORDED_CHAIN_HEADER[col],
            reason,
        };
        let opt_money = |col: usize| -> Result<Option<Decimal>, ReplayError> {
            if cells[col].is_empty() {
                return Ok(None);
            }
            let v: Decimal = cells[col]
                .parse()
                .map_err(|_| bad(col, format!("expected rupees, got `{}`", cells[col])))?;
            if v < Decimal::ZERO {
                return Err(bad(col, format!("must not be negative, got {v}")));
            }
            Ok((v > Decimal::ZERO).then_some(v))
        };
        let contracts = |col: usize| -> Result<Decimal, ReplayError> {
            if cells[col].is_empty() {
                return Ok(Decimal::ZERO);
            }
            let v: Decimal = cells[col].parse().map_err(|_| {
                bad(
                    col,
                    format!("expected a number of contracts, got `{}`", cells[col]),
                )
            })?;
            if v < Decimal::ZERO {
                return Err(bad(col, format!("must not be negative, got {v}")));
            }
            Ok(v)
        };
        let timestamp = chrono::DateTime::parse_from_rfc3339(cells[0])
            .map_err(|_| {
                bad(
                    0,
                    format!(
                        "expected RFC 3339 (2026-08-18T10:43:00+05:30), got `{}`",
                        cells[0]
                    ),
                )
            })?
            .with_timezone(&IST);
        let underlying = Symbol::parse(cells[1]).map_err(|e| bad(1, e.to_string()))?;
        let spot = opt_money(2)?;
        let expiry = NaiveDate::parse_from_str(cells[3], "%Y-%m-%d")
            .map_err(|_| bad(3, format!("expected YYYY-MM-DD, got `{}`", cells[3])))?;
        let strike = opt_money(4)?.ok_or_else(|| bad(4, "must be a positive price".into()))?;
        let option_type: OptionType = cells[5]
            .parse()
            .map_err(|_| bad(5, format!("expected CE or PE, got `{}`", cells[5])))?;
        let ltp = opt_money(6)?;
        let bid = opt_money(7)?;
        let ask = opt_money(8)?;
        if let (Some(b), Some(a)) = (bid, ask) {
            if b > a {
                return Err(bad(8, format!("ask {a} is below bid {b}")));
            }
        }
        let volume = contracts(9)?;
        let oi = contracts(10)?;
        let iv = if cells[11].is_empty() {
            None
        } else {
            let pct: f64 = cells[11].parse().map_err(|_| {
                bad(
                    11,
                    format!("expected percent (12.5 = 12.5 %), got `{}`", cells[11]),
                )
            })?;
            (pct.is_finite() && pct > 0.0 && pct < 1000.0).then_some(pct / 100.0)
        };
        let key = (timestamp, underlying.clone());
        let snap = snapshots.entry(key).or_insert(Gathering {
            spot: None,
            expiry: None,
            quotes: Vec::new(),
        });
        if snap.spot.is_none() {
            snap.spot = spot;
        }
        // Only the nearest expiry on or after the snapshot's date is kept.
        let today = timestamp.with_timezone(&IST).date_naive();
        if expiry < today {
            continue;
        }
        match snap.expiry {
            Some(e) if expiry > e => continue,
            Some(e) if expiry < e => {
                snap.quotes.clear();
                snap.expiry = Some(expiry);
            }
            Some(_) => {}
            None => snap.expiry = Some(expiry),
        }
        let premium = match (ltp, bid, ask) {
            (Some(l), _, _) => l,
            (None, Some(b), Some(a)) => (b + a) / Decimal::TWO,
            (None, Some(p), None) | (None, None, Some(p)) => p,
            (None, None, None) => continue,
        };
        // A lot belongs to a contract: the lot of this expiry's contract as traded that day
        // (the market rules), unless `market.instruments` overrides the underlying.
        let lot_key = (underlying.clone(), today, expiry);
        let (lot, tick) = match lots.get(&lot_key) {
            Some(v) => *v,
            None => {
                let inst = instrument_for(market, &underlying, today)
                    .map_err(|source| ReplayError::Instrument { line, source })?;
                let lot = if market.instruments.contains_key(&underlying) {
                    inst.lot_size
                } else {
                    crate::rules::MarketRules::embedded()
                        .ok()
                        .and_then(|r| r.lot_size(underlying.name(), today, expiry).ok())
                        .unwrap_or(inst.lot_size)
                };
                lots.insert(lot_key, (lot, inst.tick_size));
                (lot, inst.tick_size)
            }
        };
        let units = |c: Decimal| (c * Decimal::from(lot)).round().to_u64().unwrap_or(0);
        snap.quotes.push(OptionQuote {
            contract: OptionContract {
                trading_symbol: super::expiry::trading_symbol(
                    &underlying,
                    expiry,
                    &strike.normalize().to_string(),
                    option_type == OptionType::CE,
                ),
                exchange: underlying.derivatives_exchange(),
                underlying,
                expiry,
                strike,
                option_type,
                lot_size: lot,
                tick_size: tick,
            },
            premium,
            bid,
            ask,
            // An empty cell is not published: unknown, never zero.
            volume: (!cells[9].trim().is_empty()).then(|| units(volume)),
            oi: (!cells[10].trim().is_empty()).then(|| units(oi)),
            iv,
            greeks: None,
            timestamp,
        });
    }
    let mut out = Vec::with_capacity(snapshots.len());
    for ((timestamp, underlying), snap) in snapshots {
        let Some(expiry) = snap.expiry else {
            continue;
        };
        let mut chain = OptionChain {
            underlying,
            spot: Decimal::ZERO,
            expiry,
            timestamp,
            quotes: snap.quotes,
        };
        let Some(spot) = snap.spot.or_else(|| parity_forward(&chain)) else {
            continue;
        };
        chain.spot = spot;
        out.push(chain);
    }
    Ok(out)
}

/// The chain's forward by put-call parity: at the strike where the CE and PE mids (of bid and
/// ask; the premium when a side is missing) are closest, strike + CE mid − PE mid, rupees.
/// Rounded to the paisa, half to even. `None` without a strike quoted on both sides.
pub fn parity_forward(chain: &OptionChain) -> Option<Decimal> {
    let mid = |q: &OptionQuote| match (q.bid, q.ask) {
        (Some(b), Some(a)) => (b + a) / Decimal::TWO,
        _ => q.premium,
    };
    let mut best: Option<(Decimal, Decimal)> = None;
    for ce in chain
        .quotes
        .iter()
        .filter(|q| q.contract.option_type == OptionType::CE)
    {
        let k = ce.contract.strike;
        let Some(pe) = chain.get(k, OptionType::PE) else {
            continue;
        };
        let (c, p) = (mid(ce), mid(pe));
        let gap = (c - p).abs();
        if best.is_none_or(|(g, _)| gap < g) {
            best = Some((gap, k + c - p));
        }
    }
    best.map(|(_, f)| f.round_dp(2))
}

/// Candles of each underlying built from its snapshots' spots: bars of `candle_minutes` from
/// 09:15 IST, open = the first spot in the bar, high/low the extremes, close the last; volume
/// 0 (an index has none). Sorted by start, then symbol.
pub fn candles_from_chains(chains: &[OptionChain], candle_minutes: u32) -> Vec<Candle> {
    let minutes = i64::from(candle_minutes.max(1));
    let mut bars: BTreeMap<(IstTime, Symbol), Candle> = BTreeMap::new();
    for c in chains {
        let local = c.timestamp.with_timezone(&IST);
        let since_open = i64::from(local.hour() * 60 + local.minute()) - (9 * 60 + 15);
        let offset = since_open.rem_euclid(minutes);
        let start = (local - Duration::minutes(offset))
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(local);
        bars.entry((start, c.underlying.clone()))
            .and_modify(|b| {
                b.high = b.high.max(c.spot);
                b.low = b.low.min(c.spot);
                b.close = c.spot;
            })
            .or_insert(Candle {
                symbol: c.underlying.clone(),
                timestamp: start,
                open: c.spot,
                high: c.spot,
                low: c.spot,
                close: c.spot,
                volume: 0,
            });
    }
    bars.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const TEXT: &str = "\
timestamp,underlying,spot,expiry,strike,option_type,ltp,bid,ask,volume,oi,iv
2025-08-29T09:22:45+05:30,NIFTY,,2025-09-02,24600,CE,96.0,95.6,95.8,100,85.0,10.5
2025-08-29T09:22:45+05:30,NIFTY,,2025-09-02,24600,PE,,120.15,120.4,20,10.4,
2025-08-29T09:22:45+05:30,NIFTY,,2025-09-02,24650,CE,70,69.9,70.1,5,1,
2025-08-29T09:22:45+05:30,NIFTY,,2025-09-02,24650,PE,140,139.9,140.1,5,1,
2025-08-29T09:22:45+05:30,NIFTY,,2025-09-09,24600,CE,186.7,186.5,187,1,1,
2025-08-29T09:23:45+05:30,NIFTY,24580.5,2025-09-09,24600,CE,180,,,1,1,
2025-08-29T09:23:45+05:30,NIFTY,24580.5,2025-09-02,24600,CE,90,,,1,1,
2025-08-29T09:23:45+05:30,NIFTY,24580.5,2025-09-02,24600,PE,,,,1,1,
";

    #[test]
    fn reads_units_keeps_the_nearest_expiry_and_derives_the_forward_by_parity() {
        let chains = parse_recorded_chains(TEXT, &MarketConfig::default()).unwrap();
        assert_eq!(chains.len(), 2);
        let first = &chains[0];
        assert_eq!(first.expiry, NaiveDate::from_ymd_opt(2025, 9, 2).unwrap());
        assert_eq!(first.quotes.len(), 4, "the 2025-09-09 row is dropped");
        // Mids: CE 95.70, PE 120.275 at 24600 (gap 24.575) and 70, 140 at 24650 (gap 70):
        // forward 24600 + 95.70 − 120.275 = 24575.425, to the paisa half to even 24575.42
        // (the value of the reference data's independently derived parity forward).
        assert_eq!(first.spot, dec!(24575.42));
        let ce = first.get(dec!(24600), OptionType::CE).unwrap();
        let lot = ce.contract.lot_size;
        assert_eq!(ce.premium, dec!(96.0));
        assert_eq!(ce.volume, Some(100 * u64::from(lot)));
        assert_eq!(ce.oi, Some(85 * u64::from(lot)));
        assert_eq!(ce.iv, Some(0.105));
        // No ltp: the mid of bid and ask.
        let pe = first.get(dec!(24600), OptionType::PE).unwrap();
        assert_eq!(pe.premium, dec!(120.275));
        assert_eq!(pe.iv, None);
        // Published spot is used as is; a row without any price is skipped.
        assert_eq!(chains[1].spot, dec!(24580.5));
        assert_eq!(chains[1].quotes.len(), 1);
    }

    #[test]
    fn candles_come_from_the_spots() {
        let mut chains = parse_recorded_chains(TEXT, &MarketConfig::default()).unwrap();
        chains[1].spot = dec!(24590);
        let bars = candles_from_chains(&chains, 5);
        // 09:22:45 and 09:23:45 fall in the 09:20 bar.
        assert_eq!(bars.len(), 1);
        assert_eq!(bars[0].timestamp.to_rfc3339(), "2025-08-29T09:20:00+05:30");
        assert_eq!(
            (bars[0].open, bars[0].high, bars[0].low, bars[0].close),
            (dec!(24575.42), dec!(24590), dec!(24575.42), dec!(24590))
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = TEXT.replace("24650,PE,140", "24650,XE,140");
        match parse_recorded_chains(&text, &MarketConfig::default()) {
            Err(ReplayError::Snapshot { line, column, .. }) => {
                assert_eq!((line, column), (5, "option_type"))
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
}
