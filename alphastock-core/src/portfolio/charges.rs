use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use crate::order::TransactionType;
use crate::rules::{MarketRules, RulesError, Segment, StatutoryRates};

/// `options_trading.charges` (and `options_trading.underlying.charges`): what a fill costs.
///
/// Statutory and exchange rates (STT, exchange transaction charges, SEBI fee, stamp duty, IPFT,
/// GST) come from the market rules of the **fill's date** ([`crate::rules`], `data/charges.csv`),
/// so a backtest of 2024 pays 2024's STT and a fill from 1 April 2026 pays 0.15 %. Each can be
/// overridden here (percent of turnover, or rupees per crore); an override applies on every
/// date. Brokerage is the broker plan's, rupees per executed order: default ₹20, mStock's
/// per-order plan for intraday and F&O (its lifetime zero-brokerage plan costs a one-time fee
/// instead; its newer ₹5 plan is cheaper): the highest of mStock's per-order prices, so P&L is
/// never flattered. Set 0 or 5 to match your plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChargeSchedule {
    /// `brokerage_per_order`: rupees per executed order, charged once however many fills the
    /// order has (default 20).
    pub brokerage_per_order: Decimal,
    /// `stt_sell_pct`: override of securities transaction tax, percent of the sell turnover
    /// (default: the rate of the fill's date).
    pub stt_sell_pct: Option<Decimal>,
    /// `exchange_txn_pct`: override of exchange transaction charges, percent of turnover on
    /// both sides (default: the rate of the fill's date).
    pub exchange_txn_pct: Option<Decimal>,
    /// `sebi_fee_per_crore`: override of the SEBI turnover fee, rupees per crore (1,00,00,000
    /// rupees) of turnover on both sides (default: the rate of the fill's date).
    pub sebi_fee_per_crore: Option<Decimal>,
    /// `stamp_duty_buy_pct`: override of stamp duty, percent of the buy turnover (default: the
    /// rate of the fill's date).
    pub stamp_duty_buy_pct: Option<Decimal>,
    /// `ipft_per_crore`: override of NSE's Investor Protection Fund Trust levy, rupees per
    /// crore of turnover on both sides (default: the rate of the fill's date).
    pub ipft_per_crore: Option<Decimal>,
    /// `gst_pct`: override of GST, percent of brokerage + exchange charges + SEBI fee + IPFT
    /// (default: the rate of the fill's date).
    pub gst_pct: Option<Decimal>,
}

impl Default for ChargeSchedule {
    fn default() -> Self {
        Self {
            brokerage_per_order: dec!(20),
            stt_sell_pct: None,
            exchange_txn_pct: None,
            sebi_fee_per_crore: None,
            stamp_duty_buy_pct: None,
            ipft_per_crore: None,
            gst_pct: None,
        }
    }
}

/// The charges of one fill, each rounded to the paisa (half away from zero), rupees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    /// Brokerage, rupees.
    pub brokerage: Decimal,
    /// Securities transaction tax, rupees.
    pub stt: Decimal,
    /// Exchange transaction charges, rupees.
    pub exchange: Decimal,
    /// SEBI turnover fee, rupees.
    pub sebi: Decimal,
    /// Stamp duty, rupees.
    pub stamp_duty: Decimal,
    /// NSE IPFT levy, rupees.
    #[serde(default)]
    pub ipft: Decimal,
    /// GST, rupees.
    pub gst: Decimal,
}

impl Charges {
    /// Sum of all components, rupees.
    pub fn total(&self) -> Decimal {
        self.brokerage
            + self.stt
            + self.exchange
            + self.sebi
            + self.stamp_duty
            + self.ipft
            + self.gst
    }
}

impl std::ops::Add for Charges {
    type Output = Charges;
    fn add(self, o: Charges) -> Charges {
        Charges {
            brokerage: self.brokerage + o.brokerage,
            stt: self.stt + o.stt,
            exchange: self.exchange + o.exchange,
            sebi: self.sebi + o.sebi,
            stamp_duty: self.stamp_duty + o.stamp_duty,
            ipft: self.ipft + o.ipft,
            gst: self.gst + o.gst,
        }
    }
}

fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl ChargeSchedule {
    /// The schedule of **intraday cash equity** (MIS) on NSE, used when a strategy trades a
    /// stock itself (`options_trading.underlying.charges`): ₹20 per order and the dated rates
    /// of segment `equity-intraday` (STT 0.025 % of the sell value, NSE 0.00297 % from
    /// 2024-10-01, ...). Delivery (CNC) trades pay STT 0.1 % on both sides and 0.015 % stamp
    /// duty: set those overrides in the config when trading CNC.
    pub fn equity_intraday() -> Self {
        Self::default()
    }

    /// A schedule charging nothing at all (for tests and gross-only studies).
    pub fn zero() -> Self {
        Self {
            brokerage_per_order: Decimal::ZERO,
            stt_sell_pct: Some(Decimal::ZERO),
            exchange_txn_pct: Some(Decimal::ZERO),
            sebi_fee_per_crore: Some(Decimal::ZERO),
            stamp_duty_buy_pct: Some(Decimal::ZERO),
            ipft_per_crore: Some(Decimal::ZERO),
            gst_pct: Some(Decimal::ZERO),
        }
    }

    /// The rates this schedule charges in `segment` on `day`: the market rules of that day
    /// (a date before the table's first, 2024-01-01, takes the first rates) with this
    /// schedule's overrides on top.
    pub fn rates_on(&self, segment: Segment, day: NaiveDate) -> Result<StatutoryRates, RulesError> {
        let rules = MarketRules::embedded()?;
        let first = rules.charges().first_date(segment).unwrap_or(day);
        let base = rules.rates(segment, day.max(first))?;
        Ok(StatutoryRates {
            stt_sell_pct: self.stt_sell_pct.unwrap_or(base.stt_sell_pct),
            stt_exercise_pct: base.stt_exercise_pct,
            exchange_txn_pct: self.exchange_txn_pct.unwrap_or(base.exchange_txn_pct),
            sebi_fee_per_crore: self.sebi_fee_per_crore.unwrap_or(base.sebi_fee_per_crore),
            stamp_duty_buy_pct: self.stamp_duty_buy_pct.unwrap_or(base.stamp_duty_buy_pct),
            ipft_per_crore: self.ipft_per_crore.unwrap_or(base.ipft_per_crore),
            gst_pct: self.gst_pct.unwrap_or(base.gst_pct),
        })
    }

    /// Charges of one fill of `turnover` rupees (price × quantity) on `side` in `segment` on
    /// `day`; brokerage only when `first_fill_of_order` (an order pays brokerage once).
    pub fn for_fill(
        &self,
        segment: Segment,
        day: NaiveDate,
        side: TransactionType,
        turnover: Decimal,
        first_fill_of_order: bool,
    ) -> Result<Charges, RulesError> {
        let rates = self.rates_on(segment, day)?;
        Ok(self.with_rates(&rates, side, turnover, first_fill_of_order))
    }

    /// Charges of one fill at the given `rates` (see [`ChargeSchedule::for_fill`]).
    pub fn with_rates(
        &self,
        rates: &StatutoryRates,
        side: TransactionType,
        turnover: Decimal,
        first_fill_of_order: bool,
    ) -> Charges {
        // Multiplying by 0.01 is exact in `Decimal` and gives the same value as dividing by
        // 100, at a fraction of the cost (fills are on the backtest's hot path).
        let percent = dec!(0.01);
        let per_crore = dec!(0.0000001);
        let pct = |p: Decimal| paise(turnover * p * percent);
        let brokerage = if first_fill_of_order {
            paise(self.brokerage_per_order)
        } else {
            Decimal::ZERO
        };
        let (stt, stamp_duty) = match side {
            TransactionType::Sell => (pct(rates.stt_sell_pct), Decimal::ZERO),
            TransactionType::Buy => (Decimal::ZERO, pct(rates.stamp_duty_buy_pct)),
        };
        let exchange = pct(rates.exchange_txn_pct);
        let sebi = paise(turnover * rates.sebi_fee_per_crore * per_crore);
        let ipft = paise(turnover * rates.ipft_per_crore * per_crore);
        let gst = paise((brokerage + exchange + sebi + ipft) * rates.gst_pct * percent);
        Charges {
            brokerage,
            stt,
            exchange,
            sebi,
            stamp_duty,
            ipft,
            gst,
        }
    }

    /// Range checks; `(key relative to options_trading.charges, reason)` per problem.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (key, v) in [
            ("brokerage_per_order", Some(self.brokerage_per_order)),
            ("sebi_fee_per_crore", self.sebi_fee_per_crore),
            ("ipft_per_crore", self.ipft_per_crore),
        ] {
            if let Some(v) = v.filter(|v| *v < Decimal::ZERO) {
                out.push((key.to_string(), format!("must not be negative, got {v}")));
            }
        }
        for (key, v) in [
            ("stt_sell_pct", self.stt_sell_pct),
            ("exchange_txn_pct", self.exchange_txn_pct),
            ("stamp_duty_buy_pct", self.stamp_duty_buy_pct),
            ("gst_pct", self.gst_pct),
        ] {
            if let Some(v) = v.filter(|v| *v < Decimal::ZERO || *v > Decimal::ONE_HUNDRED) {
                out.push((
                    key.to_string(),
                    format!("must be 0 to 100 (percent), got {v}"),
                ));
            }
        }
        out
    }
}
