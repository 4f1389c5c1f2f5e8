//! Warnings for limits that forbid the trades a config asks for: a config can be valid key by
//! key and still never take a trade. [`Config::warnings`] names each such limit with its
//! numbers; `alphastock config check` prints them as `warning:` lines (exit 0).
//!
//! The **typical premium** of an index option is the Black-Scholes price of its at-the-money
//! call with [`TYPICAL_DAYS_TO_EXPIRY`] calendar days to expiry, rate 0, at the spot and annual
//! volatility of the underlying's `simulation.underlyings` entry (defaults: BANKNIFTY 51,245 at
//! 14 %, NIFTY 24,300 at 12 %, FINNIFTY 23,500 at 13 %), with the lot size of
//! `market.instruments` (else the lot of the nearest contract in the market rules of the day
//! checked: BANKNIFTY 30, NIFTY 65, FINNIFTY 60 in December 2026). For BANKNIFTY that is
//! 396.36 rupees, 11,890.80 a lot. An underlying without both is not checked.
//!
//! Checked, for every underlying an enabled strategy trades options on:
//! - `max_premium_per_trade` below one lot at the typical premium (every entry refused);
//! - the risk budget (`capital` × `risk_per_trade_pct`) below one lot's loss at the widest stop
//!   `stop_loss_pct` allows (entries whose method stop is that wide are refused);
//! - `max_correlated_positions` below the number of a correlated group's traded underlyings and
//!   below `max_positions` (the group can never hold more than that many positions together).

use chrono::NaiveDate;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use super::{Config, ConfigProblem, TradeInstrument};
use crate::market::OptionType;
use crate::market::Symbol;
use crate::options::{price, BsInput};

/// Calendar days to expiry of the typical option premium (a weekly option mid-week).
pub const TYPICAL_DAYS_TO_EXPIRY: f64 = 7.0;

/// The typical option premium of one underlying, and its lot.
#[derive(Debug, Clone, PartialEq)]
pub struct TypicalPremium {
    /// The underlying.
    pub underlying: Symbol,
    /// Spot the premium is priced at, rupees.
    pub spot: Decimal,
    /// Annual volatility, fraction.
    pub vol: f64,
    /// The at-the-money call premium, rupees per unit, to the paisa.
    pub premium: Decimal,
    /// Units per lot.
    pub lot_size: u32,
}

impl TypicalPremium {
    /// Premium of one lot, rupees.
    pub fn per_lot(&self) -> Decimal {
        self.premium * Decimal::from(self.lot_size)
    }
}

impl Config {
    /// The typical premium of `underlying`'s options (see the module docs) with the lot of the
    /// nearest contract tradable on `day` (a trade date), when its spot, vol and lot size are
    /// known.
    pub fn typical_premium(&self, underlying: &Symbol, day: NaiveDate) -> Option<TypicalPremium> {
        let sim = self.simulation.underlyings.get(underlying)?;
        let lot_size = crate::sim::market_instrument_for(&self.market, underlying, day)
            .ok()?
            .lot_size;
        if lot_size == 0 {
            return None;
        }
        let spot = sim.start_price.to_f64()?;
        let value = price(&BsInput {
            option_type: OptionType::CE,
            spot,
            strike: spot,
            years: TYPICAL_DAYS_TO_EXPIRY / 365.0,
            vol: sim.annual_vol,
            rate: 0.0,
            carry: 0.0,
        })
        .ok()?;
        Some(TypicalPremium {
            underlying: underlying.clone(),
            spot: sim.start_price,
            vol: sim.annual_vol,
            premium: Decimal::from_f64(value)?.round_dp(2),
            lot_size,
        })
    }

    /// Limits that make the configured trades impossible, as problems with their key path (see
    /// the module docs), judged with the contract rules in force on `day` (a trade date). Empty
    /// when every limit leaves room for a trade.
    pub fn warnings(&self, day: NaiveDate) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let risk = &self.options_trading.risk_management;
        let base = "options_trading.risk_management";
        let mut option_underlyings: Vec<&Symbol> = Vec::new();
        let mut traded: Vec<&Symbol> = Vec::new();
        for s in self.strategies.values().filter(|s| s.enabled) {
            for sym in &s.symbols {
                if !traded.contains(&sym) {
                    traded.push(sym);
                }
                if s.instrument == TradeInstrument::Option && !option_underlyings.contains(&sym) {
                    option_underlyings.push(sym);
                }
            }
        }
        if !self.options_trading.enabled {
            return out;
        }
        let budget = risk.risk_budget();
        for sym in option_underlyings {
            let Some(t) = self.typical_premium(sym, day) else {
                continue;
            };
            let per_lot = t.per_lot();
            let how = format!(
                "ATM call at spot {} with {:.0} % vol and {} days to expiry: {} × lot {}",
                t.spot,
                t.vol * 100.0,
                TYPICAL_DAYS_TO_EXPIRY,
                t.premium,
                t.lot_size
            );
            if per_lot > risk.max_premium_per_trade {
                out.push(ConfigProblem::new(
                    format!("{base}.max_premium_per_trade"),
                    format!(
                        "{} is below one lot of a typical {sym} option ({how} = {per_lot:.2}): \
                         such entries are refused; raise it to at least {}",
                        risk.max_premium_per_trade,
                        per_lot.ceil()
                    ),
                ));
            }
            let stop_loss = per_lot * risk.stop_loss_pct / Decimal::ONE_HUNDRED;
            if stop_loss > budget {
                out.push(ConfigProblem::new(
                    format!("{base}.risk_per_trade_pct"),
                    format!(
                        "{} gives a risk budget of {budget:.2} (capital {} × {} %), below one \
                         lot's loss at the widest stop of a typical {sym} option ({how} = \
                         {per_lot:.2}, × stop_loss_pct {} % = {stop_loss:.2}): entries whose \
                         stop is that wide are refused",
                        risk.risk_per_trade_pct,
                        risk.capital,
                        risk.risk_per_trade_pct,
                        risk.stop_loss_pct
                    ),
                ));
            }
        }
        let cap = risk.max_correlated_positions;
        for (i, group) in risk.correlated_groups.iter().enumerate() {
            let members: Vec<&str> = group
                .iter()
                .filter(|g| traded.contains(g))
                .map(Symbol::as_str)
                .collect();
            let n = members.len();
            if n >= 2 && (cap as usize) < n && i64::from(cap) < risk.max_positions {
                out.push(ConfigProblem::new(
                    format!("{base}.max_correlated_positions"),
                    format!(
                        "{cap} lets only {cap} of {} (correlated_groups.{i}) hold a position at \
                         a time, below max_positions {}",
                        members.join(", "),
                        risk.max_positions
                    ),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn typical_banknifty_premium_is_the_bs_atm_call() {
        let c = Config::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let t = c
            .typical_premium(&Symbol::parse("BANKNIFTY").unwrap(), day)
            .unwrap();
        // Black-Scholes ATM call, S = K = 51245, σ 0.14, T = 7/365, r = 0:
        // S·(2·N(d1) − 1) with d1 = σ√T/2 = 0.14 × √(7/365) / 2 = 0.0096939…:
        // 51245 × 0.0077347… = 396.36.
        assert_eq!(t.premium, dec!(396.36));
        // BANKNIFTY's lot from the January 2026 contracts on: 30 (NSE contract list of
        // 2026-03-27).
        assert_eq!(t.lot_size, 30);
        assert_eq!(t.per_lot(), dec!(11890.80));
    }
}
