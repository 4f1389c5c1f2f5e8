use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::order::TransactionType;

/// `options_trading.charges`: the costs of trading index and stock options on NSE, so that P&L
/// is net. Percents are of the premium turnover (price × quantity) of the fill.
///
/// Defaults are the rates in force from 1 October 2024 (still current in 2025): STT on options
/// 0.1 % of the sell premium (raised from 0.0625 % by the Finance (No. 2) Act, 2024); NSE
/// transaction charges 0.03503 % of premium (NSE circular of 1 Oct 2024); SEBI turnover fee
/// ₹10 per crore; stamp duty 0.003 % on the buy side (Indian Stamp Act, from 1 July 2020); GST
/// 18 % on brokerage, exchange charges and the SEBI fee; a discount broker's flat ₹20 per
/// executed order. Check them against the broker's contract notes and change them here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChargeSchedule {
    /// `brokerage_per_order`: rupees per executed order, charged once however many fills the
    /// order has (default 20).
    pub brokerage_per_order: Decimal,
    /// `stt_sell_pct`: securities transaction tax, percent of the sell premium (default 0.1).
    pub stt_sell_pct: Decimal,
    /// `exchange_txn_pct`: exchange transaction charges, percent of premium on both sides
    /// (default 0.03503, NSE).
    pub exchange_txn_pct: Decimal,
    /// `sebi_fee_per_crore`: SEBI turnover fee, rupees per crore (10,000,000 rupees) of premium
    /// on both sides (default 10).
    pub sebi_fee_per_crore: Decimal,
    /// `stamp_duty_buy_pct`: stamp duty, percent of the buy premium (default 0.003).
    pub stamp_duty_buy_pct: Decimal,
    /// `gst_pct`: GST, percent of brokerage + exchange charges + SEBI fee (default 18).
    pub gst_pct: Decimal,
}

impl Default for ChargeSchedule {
    fn default() -> Self {
        Self {
            brokerage_per_order: dec!(20),
            stt_sell_pct: dec!(0.1),
            exchange_txn_pct: dec!(0.03503),
            sebi_fee_per_crore: dec!(10),
            stamp_duty_buy_pct: dec!(0.003),
            gst_pct: dec!(18),
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
    /// GST, rupees.
    pub gst: Decimal,
}

impl Charges {
    /// Sum of all components, rupees.
    pub fn total(&self) -> Decimal {
        self.brokerage + self.stt + self.exchange + self.sebi + self.stamp_duty + self.gst
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
            gst: self.gst + o.gst,
        }
    }
}

fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl ChargeSchedule {
    /// The costs of **intraday cash equity** (MIS) on NSE, used when a strategy trades a stock
    /// itself (`options_trading.underlying.charges`). Percents are of the traded value.
    ///
    /// Rates in force from 1 October 2024 (still current in 2025): STT 0.025 % of the sell value
    /// (intraday equity); NSE transaction charges 0.00297 % of the value on both sides (NSE
    /// circular of 1 Oct 2024); SEBI turnover fee ₹10 per crore; stamp duty 0.003 % on the buy
    /// side; GST 18 % on brokerage, exchange charges and the SEBI fee; a flat ₹20 brokerage per
    /// executed order. Delivery (CNC) trades pay STT 0.1 % on both sides and 0.015 % stamp
    /// duty; set those in the config when trading CNC.
    pub fn equity_intraday() -> Self {
        Self {
            brokerage_per_order: dec!(20),
            stt_sell_pct: dec!(0.025),
            exchange_txn_pct: dec!(0.00297),
            sebi_fee_per_crore: dec!(10),
            stamp_duty_buy_pct: dec!(0.003),
            gst_pct: dec!(18),
        }
    }

    /// Charges of one fill of `turnover` rupees (price × quantity) on `side`; brokerage only when
    /// `first_fill_of_order` (an order pays brokerage once).
    pub fn for_fill(
        &self,
        side: TransactionType,
        turnover: Decimal,
        first_fill_of_order: bool,
    ) -> Charges {
        // Multiplying by 0.01 is exact in `Decimal` and gives the same value as dividing by
        // 100, at a fraction of the cost (fills are on the backtest's hot path).
        let percent = dec!(0.01);
        let pct = |p: Decimal| paise(turnover * p * percent);
        let brokerage = if first_fill_of_order {
            paise(self.brokerage_per_order)
        } else {
            Decimal::ZERO
        };
        let (stt, stamp_duty) = match side {
            TransactionType::Sell => (pct(self.stt_sell_pct), Decimal::ZERO),
            TransactionType::Buy => (Decimal::ZERO, pct(self.stamp_duty_buy_pct)),
        };
        let exchange = pct(self.exchange_txn_pct);
        let sebi = paise(turnover * self.sebi_fee_per_crore * dec!(0.0000001));
        let gst = paise((brokerage + exchange + sebi) * self.gst_pct * percent);
        Charges {
            brokerage,
            stt,
            exchange,
            sebi,
            stamp_duty,
            gst,
        }
    }

    /// Range checks; `(key relative to options_trading.charges, reason)` per problem.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (key, v) in [
            ("brokerage_per_order", self.brokerage_per_order),
            ("sebi_fee_per_crore", self.sebi_fee_per_crore),
        ] {
            if v < Decimal::ZERO {
                out.push((key.to_string(), format!("must not be negative, got {v}")));
            }
        }
        for (key, v) in [
            ("stt_sell_pct", self.stt_sell_pct),
            ("exchange_txn_pct", self.exchange_txn_pct),
            ("stamp_duty_buy_pct", self.stamp_duty_buy_pct),
            ("gst_pct", self.gst_pct),
        ] {
            if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
                out.push((
                    key.to_string(),
                    format!("must be 0 to 100 (percent), got {v}"),
                ));
            }
        }
        out
    }
}
