//! Indian market rules as dated data: the NSE calendar (holidays, special sessions, hours), the
//! option contracts of each underlying (lot size per contract, strike step, tick, freeze
//! quantity, expiry cycles) and the statutory charges, each with effective dates and a source.
//!
//! The facts live in CSV files under `alphastock-core/data/`, embedded at build time
//! (`include_str!`); every row names its source, and facts that could not be checked say so.
//! Everything that needs a lot, a holiday, an expiry or a tax rate asks [`MarketRules`] with
//! a date, so backtests of past data use the rules of the data's dates.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::NaiveDate;
use thiserror::Error;

pub mod calendar;
pub mod charges;
pub mod contracts;
pub mod freeze;
mod table;

pub use calendar::{regular_session, Calendar, Session};
pub use charges::{ChargeTable, Segment, StatutoryRates};
pub use contracts::{ContractTables, InstrumentRules, ListedExpiry, Series};
pub use freeze::{intent_tag, slice_order, slice_quantity, slice_tag};

/// A rule table that does not parse, or a question the tables cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RulesError {
    /// An embedded table is malformed (caught by the unit tests, so never in a release).
    #[error("market rules data {file} line {line}: {reason}")]
    Table {
        /// The data file.
        file: &'static str,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The tables do not cover this underlying on this date.
    #[error("no {what} for {underlying} on {date} in the market rules (covered: 2024-01-01 onwards for NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY, NIFTYNXT50, SBIN, RELIANCE, HDFCBANK)")]
    NotCovered {
        /// The fact asked for.
        what: &'static str,
        /// The underlying's name.
        underlying: String,
        /// The trade date.
        date: NaiveDate,
    },
    /// No contract of the underlying with that expiry is listed on that day.
    #[error("no {underlying} option expiring {expiry} is listed on {date}")]
    NotListed {
        /// The underlying's name.
        underlying: String,
        /// The expiry asked for.
        expiry: NaiveDate,
        /// The trade date.
        date: NaiveDate,
    },
    /// The charge table has no rate of this charge on this date.
    #[error("no {charge} rate for {segment} on {date} in the market rules")]
    NoCharge {
        /// The segment.
        segment: String,
        /// The charge.
        charge: &'static str,
        /// The date.
        date: NaiveDate,
    },
}

/// All market rules: calendar, contracts and charges.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketRules {
    calendar: Calendar,
    contracts: ContractTables,
    charges: ChargeTable,
    cache: ExpiryCache,
}

/// Listed expiries already worked out, by (underlying, trade date): the simulator and the replay
/// ask for the same day's contracts on every tick. A pure memo: it never changes an answer.
#[derive(Debug, Default)]
struct ExpiryCache(Mutex<HashMap<(String, NaiveDate), Vec<ListedExpiry>>>);

/// Entries kept before the memo starts afresh (a backtest walks forward day by day).
const CACHE_LIMIT: usize = 4096;

impl Clone for ExpiryCache {
    fn clone(&self) -> Self {
        ExpiryCache::default()
    }
}

impl PartialEq for ExpiryCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

static EMBEDDED: OnceLock<Result<MarketRules, RulesError>> = OnceLock::new();

impl MarketRules {
    /// The rules shipped with the core (parsed once).
    pub fn embedded() -> Result<&'static MarketRules, RulesError> {
        EMBEDDED
            .get_or_init(|| {
                Ok(MarketRules {
                    calendar: Calendar::parse(
                        include_str!("../../data/nse_holidays.csv"),
                        include_str!("../../data/nse_recurring_holidays.csv"),
                        include_str!("../../data/nse_special_sessions.csv"),
                    )?,
                    contracts: ContractTables::parse(
                        include_str!("../../data/instruments.csv"),
                        include_str!("../../data/lot_sizes.csv"),
                        include_str!("../../data/expiry_rules.csv"),
                    )?,
                    charges: ChargeTable::parse(include_str!("../../data/charges.csv"))?,
                    cache: ExpiryCache::default(),
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// These rules with `holidays` added to the calendar (the config's `market.holidays`).
    pub fn with_extra_holidays(&self, holidays: &[NaiveDate]) -> MarketRules {
        MarketRules {
            calendar: self.calendar.with_extra_holidays(holidays),
            contracts: self.contracts.clone(),
            charges: self.charges.clone(),
            cache: ExpiryCache::default(),
        }
    }

    /// The trading calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The charge table.
    pub fn charges(&self) -> &ChargeTable {
        &self.charges
    }

    /// The underlyings the contract tables cover.
    pub fn underlyings(&self) -> Vec<&str> {
        self.contracts.underlyings()
    }

    /// Strike step, tick and freeze quantity of `underlying`'s options on `day`.
    pub fn instrument(
        &self,
        underlying: &str,
        day: NaiveDate,
    ) -> Result<InstrumentRules, RulesError> {
        self.contracts.instrument(underlying, day)
    }

    /// The option expiries of `underlying` tradable on `day`, each with its lot size.
    pub fn expiries(
        &self,
        underlying: &str,
        day: NaiveDate,
    ) -> Result<Vec<ListedExpiry>, RulesError> {
        let key = (underlying.to_string(), day);
        if let Ok(cache) = self.cache.0.lock() {
            if let Some(hit) = cache.get(&key) {
                return Ok(hit.clone());
            }
        }
        let listed = self.contracts.expiries(underlying, day, &self.calendar)?;
        if let Ok(mut cache) = self.cache.0.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, listed.clone());
        }
        Ok(listed)
    }

    /// The nearest option expiry of `underlying` on or after `day`, with its lot size.
    pub fn nearest_expiry(
        &self,
        underlying: &str,
        day: NaiveDate,
    ) -> Result<ListedExpiry, RulesError> {
        self.expiries(underlying, day)?
            .into_iter()
            .next()
            .ok_or_else(|| RulesError::NotCovered {
                what: "expiry cycle",
                underlying: underlying.to_string(),
                date: day,
            })
    }

    /// The lot size (units) of `underlying`'s contract expiring on `expiry`, traded on `day`.
    pub fn lot_size(
        &self,
        underlying: &str,
        day: NaiveDate,
        expiry: NaiveDate,
    ) -> Result<u32, RulesError> {
        self.contracts
            .lot_size(underlying, day, expiry, &self.calendar)
    }

    /// The statutory and exchange rates of `segment` in force on `day`.
    pub fn rates(&self, segment: Segment, day: NaiveDate) -> Result<StatutoryRates, RulesError> {
        self.charges.rates(segment, day)
    }
}

#[cfg(test)]
mod tests;
