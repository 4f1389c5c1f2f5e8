use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ChargeSchedule, Charges, Position, PositionMeta};
use crate::market::{Exchange, IstDay, IstTime, OptionQuote, Symbol};
use crate::order::{Fill, TransactionType};
use crate::risk::RiskBook;
use crate::rules::Segment;

/// Why a fill could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortfolioError {
    /// A fill for an instrument that was never registered.
    #[error("fill {trade_id} for {trading_symbol}, which has no registered position")]
    UnknownInstrument {
        /// The fill's trading symbol.
        trading_symbol: String,
        /// The fill's trade id.
        trade_id: String,
    },
    /// A fill with quantity 0 or a price that is not positive.
    #[error("fill {trade_id} is malformed: {reason}")]
    BadFill {
        /// The fill's trade id.
        trade_id: String,
        /// What is wrong.
        reason: String,
    },
    /// The market rules could not price the fill's charges.
    #[error("charges of fill {trade_id}: {source}")]
    Charges {
        /// The fill's trade id.
        trade_id: String,
        /// The rules' error.
        source: crate::rules::RulesError,
    },
}

/// A position that went flat: the result of its round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedTrade {
    /// The broker's trading symbol.
    pub trading_symbol: String,
    /// The underlying.
    pub underlying: Symbol,
    /// Realised P&L before charges, rupees.
    pub gross_pnl: Decimal,
    /// Charges of all its fills, rupees.
    pub charges: Decimal,
    /// `gross_pnl` − `charges`, rupees.
    pub net_pnl: Decimal,
}

/// What one fill did to the portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillEffect {
    /// The instrument.
    pub trading_symbol: String,
    /// Signed units held after the fill.
    pub quantity_after: i64,
    /// Realised P&L before charges produced by this fill, rupees.
    pub realised_pnl: Decimal,
    /// Charges of this fill.
    pub charges: Charges,
    /// The round trip's result when this fill made the position flat.
    pub closed: Option<ClosedTrade>,
}

/// The day's P&L over all positions, rupees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPnl {
    /// Realised P&L before charges of today's fills, rupees.
    pub realised: Decimal,
    /// Charges of today's fills, rupees.
    pub charges: Decimal,
    /// Unrealised P&L of open positions at their last marks (against their average prices),
    /// rupees.
    pub unrealised: Decimal,
}

impl DayPnl {
    /// `realised` − `charges` + `unrealised`, rupees.
    pub fn net(&self) -> Decimal {
        self.realised - self.charges + self.unrealised
    }
}

/// All positions, built from fills (partial fills too; a fill seen twice is ignored by its
/// trade id), marked to market from quotes, with realised P&L, charges and the day's totals.
/// The day rolls over at the first fill or mark of a later IST date.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    schedule: ChargeSchedule,
    cash_schedule: Option<ChargeSchedule>,
    positions: BTreeMap<String, Position>,
    /// The trading symbols of the open positions: the positions ever registered grow with the
    /// contracts traded, so the per-event work over open positions walks this instead.
    open: BTreeSet<String>,
    trades_seen: BTreeSet<String>,
    orders_seen: BTreeSet<String>,
    /// Trade and order ids of the previous day (see [`Portfolio::roll_day`]).
    trades_before: BTreeSet<String>,
    orders_before: BTreeSet<String>,
    day: Option<NaiveDate>,
    day_realised: Decimal,
    day_charges: Decimal,
    /// The IST date of the instants `roll_day` is given (a cache).
    dates: IstDay,
}

impl Portfolio {
    /// An empty portfolio charging fills by `schedule`.
    pub fn new(schedule: ChargeSchedule) -> Self {
        Self {
            schedule,
            cash_schedule: None,
            positions: BTreeMap::new(),
            open: BTreeSet::new(),
            trades_seen: BTreeSet::new(),
            orders_seen: BTreeSet::new(),
            trades_before: BTreeSet::new(),
            orders_before: BTreeSet::new(),
            day: None,
            dates: IstDay::new(),
            day_realised: Decimal::ZERO,
            day_charges: Decimal::ZERO,
        }
    }

    /// The charge schedule of derivatives fills (NFO, BFO).
    pub fn charge_schedule(&self) -> &ChargeSchedule {
        &self.schedule
    }

    /// Charges fills on a cash segment (NSE, BSE: a stock traded itself) by `schedule` instead
    /// of the derivatives schedule (see [`ChargeSchedule::equity_intraday`]).
    pub fn with_cash_charges(mut self, schedule: ChargeSchedule) -> Self {
        self.cash_schedule = Some(schedule);
        self
    }

    /// The schedule that charges a fill on `exchange`: the cash schedule for NSE and BSE when
    /// one is set, else the derivatives schedule.
    pub fn schedule_for(&self, exchange: Exchange) -> &ChargeSchedule {
        match &self.cash_schedule {
            Some(cash) if !exchange.is_derivatives() => cash,
            _ => &self.schedule,
        }
    }

    /// Registers an instrument before its first fill (or replaces the facts, target and stop of
    /// a flat one). For an open position only the target and stop are updated.
    pub fn register(&mut self, meta: PositionMeta) {
        match self.positions.get_mut(&meta.trading_symbol) {
            Some(p) if p.is_open() => p.set_levels(meta.target, meta.stop),
            _ => {
                self.positions
                    .insert(meta.trading_symbol.clone(), Position::new(meta));
            }
        }
    }

    /// Replaces the target and stop (rupees per unit) of a registered position. Returns false
    /// when there is no such position.
    pub fn set_levels(
        &mut self,
        trading_symbol: &str,
        target: Option<Decimal>,
        stop: Option<Decimal>,
    ) -> bool {
        match self.positions.get_mut(trading_symbol) {
            Some(p) => {
                p.set_levels(target, stop);
                true
            }
            None => false,
        }
    }

    /// Applies one execution. Returns `Ok(None)` for a fill already applied (same trade id).
    pub fn apply_fill(&mut self, fill: &Fill) -> Result<Option<FillEffect>, PortfolioError> {
        if self.trades_seen.contains(&fill.trade_id) || self.trades_before.contains(&fill.trade_id)
        {
            return Ok(None);
        }
        if fill.quantity == 0 || fill.price <= Decimal::ZERO {
            return Err(PortfolioError::BadFill {
                trade_id: fill.trade_id.clone(),
                reason: format!("quantity {} at price {}", fill.quantity, fill.price),
            });
        }
        if !self.positions.contains_key(&fill.trading_symbol) {
            return Err(PortfolioError::UnknownInstrument {
                trading_symbol: fill.trading_symbol.clone(),
                trade_id: fill.trade_id.clone(),
            });
        }
        let first_of_order = !self.orders_seen.contains(&fill.order_id)
            && !self.orders_before.contains(&fill.order_id);
        let turnover = fill.price * Decimal::from(fill.quantity);
        let segment = if fill.exchange.is_derivatives() {
            Segment::Options
        } else {
            Segment::EquityIntraday
        };
        let day = self.dates.date(fill.timestamp);
        let charges = self
            .schedule_for(fill.exchange)
            .for_fill(
                segment,
                day,
                fill.transaction_type,
                turnover,
                first_of_order,
            )
            .map_err(|source| PortfolioError::Charges {
                trade_id: fill.trade_id.clone(),
                source,
            })?;
        self.roll_day(fill.timestamp);
        self.orders_seen.insert(fill.order_id.clone());
        self.trades_seen.insert(fill.trade_id.clone());
        let Some(position) = self.positions.get_mut(&fill.trading_symbol) else {
            return Err(PortfolioError::UnknownInstrument {
                trading_symbol: fill.trading_symbol.clone(),
                trade_id: fill.trade_id.clone(),
            });
        };
        let realised = position.apply(
            fill.transaction_type,
            fill.quantity,
            fill.price,
            charges.total(),
            fill.timestamp,
        );
        track_open(&mut self.open, position);
        self.day_realised += realised;
        self.day_charges += charges.total();
        let closed = (!position.is_open()).then(|| ClosedTrade {
            trading_symbol: position.trading_symbol().to_string(),
            underlying: position.underlying().clone(),
            gross_pnl: position.realised_pnl(),
            charges: position.charges(),
            net_pnl: position.realised_pnl() - position.charges(),
        });
        Ok(Some(FillEffect {
            trading_symbol: fill.trading_symbol.clone(),
            quantity_after: position.quantity(),
            realised_pnl: realised,
            charges,
            closed,
        }))
    }

    /// Sets the position in a registered `trading_symbol` to `quantity` units (signed) by one
    /// adjustment at `price` rupees per unit without charges: the broker's position taken as
    /// the truth. Units it closes realise P&L at `price`. Returns false when the instrument is
    /// not registered.
    pub fn adopt_quantity(
        &mut self,
        trading_symbol: &str,
        quantity: i64,
        price: Decimal,
        at: IstTime,
    ) -> bool {
        self.roll_day(at);
        let Some(position) = self.positions.get_mut(trading_symbol) else {
            return false;
        };
        let diff = quantity - position.quantity();
        let Ok(units) = u32::try_from(diff.unsigned_abs()) else {
            return false;
        };
        if units == 0 {
            return true;
        }
        let side = if diff > 0 {
            TransactionType::Buy
        } else {
            TransactionType::Sell
        };
        let realised = position.apply(side, units, price, Decimal::ZERO, at);
        track_open(&mut self.open, position);
        self.day_realised += realised;
        true
    }

    /// Marks `trading_symbol` at `price` rupees per unit. Returns false when there is no such
    /// position or the price is not positive.
    pub fn mark(&mut self, trading_symbol: &str, price: Decimal, at: IstTime) -> bool {
        if price <= Decimal::ZERO {
            return false;
        }
        self.roll_day(at);
        match self.positions.get_mut(trading_symbol) {
            Some(p) => {
                p.mark(price);
                true
            }
            None => false,
        }
    }

    /// Marks the quoted contract at its last traded premium.
    pub fn mark_quote(&mut self, quote: &OptionQuote) -> bool {
        self.mark(
            &quote.contract.trading_symbol,
            quote.premium,
            quote.timestamp,
        )
    }

    /// The position in `trading_symbol` (open or flat), if registered.
    pub fn position(&self, trading_symbol: &str) -> Option<&Position> {
        self.positions.get(trading_symbol)
    }

    /// Every registered position, open or flat, in trading-symbol order.
    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values()
    }

    /// The open positions, in trading-symbol order. Costs the number of open positions, not
    /// of the positions ever registered.
    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.open.iter().filter_map(|s| self.positions.get(s))
    }

    /// The day's P&L: today's realised and charges, and the open positions' unrealised.
    pub fn day_pnl(&self) -> DayPnl {
        DayPnl {
            realised: self.day_realised,
            charges: self.day_charges,
            unrealised: self.open_positions().map(Position::unrealised_pnl).sum(),
        }
    }

    /// The snapshot the risk manager checks against: open positions and exposure per
    /// underlying, the day's realised P&L net of charges and the unrealised P&L.
    pub fn risk_book(&self) -> RiskBook {
        let mut book = RiskBook::new();
        for p in self.open_positions() {
            book.add_position(p.underlying().clone(), p.exposure());
            let lot = u64::from(p.meta().lot_size.max(1));
            book.add_lots(p.underlying(), p.quantity().unsigned_abs().div_ceil(lot));
        }
        let day = self.day_pnl();
        book.day_realised_pnl = day.realised - day.charges;
        book.day_unrealised_pnl = day.unrealised;
        book
    }

    /// Starts a new trading day when `at` falls on a later IST date than the current one: the
    /// day's realised P&L and charges restart from zero (open positions carry over). Fills and
    /// marks call it; the engine also calls it on every market event, so a day with no fills
    /// does not inherit the previous day's loss (and its kill switch). Trade and order ids are
    /// remembered for the current and the previous day only (duplicate reports and per-order
    /// brokerage come from the broker's trade book, which lists the current day's trades), so
    /// the portfolio's memory does not grow with the days it runs.
    pub fn roll_day(&mut self, at: IstTime) {
        let date = self.dates.date(at);
        if self.day.is_none_or(|d| date > d) {
            if self.day.is_some() {
                self.trades_before = std::mem::take(&mut self.trades_seen);
                self.orders_before = std::mem::take(&mut self.orders_seen);
            }
            self.day = Some(date);
            self.day_realised = Decimal::ZERO;
            self.day_charges = Decimal::ZERO;
        }
    }
}

/// Keeps `open` listing exactly the open positions after `position` changed.
fn track_open(open: &mut BTreeSet<String>, position: &Position) {
    if position.is_open() {
        if !open.contains(position.trading_symbol()) {
            open.insert(position.trading_symbol().to_string());
        }
    } else {
        open.remove(position.trading_symbol());
    }
}
