use rust_decimal::Decimal;

use super::correlation::check_correlated;
use super::sizing::size;
use super::{
    KillSwitch, KillSwitchTrip, OrderRateLimiter, RiskApproved, RiskBook, RiskConfig, RiskRefused,
    RiskRejection, TradeProposal,
};
use crate::market::IstTime;

/// The risk gate: sizes entries in whole lots and refuses those that break a limit. Holds the
/// kill switch and the record of orders sent (for the order-rate caps). Deterministic: its
/// decisions depend only on its config, the calls made and the times passed in.
#[derive(Debug, Clone)]
pub struct RiskManager {
    config: RiskConfig,
    kill_switch: KillSwitch,
    rate: OrderRateLimiter,
}

impl RiskManager {
    /// A risk manager with `config` (validated by the config loader), kill switch off.
    pub fn new(config: RiskConfig) -> Self {
        Self {
            config,
            kill_switch: KillSwitch::new(),
            rate: OrderRateLimiter::new(),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// Checks a new entry against every limit, in this order: kill switch (tripping it first
    /// if the book's day P&L reached the daily loss limit), proposal sanity, max positions,
    /// correlated concentration, order rate, then sizing (max premium per trade, risk budget,
    /// available funds, exposure per underlying and in total). Approves the largest whole number
    /// of lots that fits; does not record the order (call [`RiskManager::record_order`] when it
    /// is sent).
    // A refusal is an ordinary outcome that hands the proposal back; boxing it buys nothing.
    #[allow(clippy::result_large_err)]
    pub fn check(
        &mut self,
        proposal: TradeProposal,
        book: &RiskBook,
        now: IstTime,
    ) -> Result<RiskApproved, RiskRefused> {
        self.update(book, now);
        match self.decide(&proposal, book, now) {
            Ok(s) => Ok(RiskApproved::new(
                proposal,
                s.lots,
                s.quantity,
                s.max_loss,
                s.premium_outlay,
            )),
            Err(reason) => Err(RiskRefused { proposal, reason }),
        }
    }

    fn decide(
        &self,
        proposal: &TradeProposal,
        book: &RiskBook,
        now: IstTime,
    ) -> Result<super::sizing::Size, RiskRejection> {
        if let Some(trip) = self.kill_switch.active(now) {
            return Err(RiskRejection::KillSwitch(trip.reason.clone()));
        }
        let open = book.open_positions();
        if open as i128 >= self.config.max_positions as i128 {
            return Err(RiskRejection::MaxPositions {
                open,
                max: self.config.max_positions,
            });
        }
        check_correlated(&self.config, &proposal.underlying, book)?;
        self.order_allowed(now)?;
        size(&self.config, proposal, book)
    }

    /// Trips the kill switch when the book's day P&L has lost `daily_loss_limit` or more.
    /// Returns the trip when this call tripped it (the caller alerts, and flattens when
    /// [`RiskManager::should_flatten`]). Call it on every mark of the portfolio.
    pub fn update(&mut self, book: &RiskBook, now: IstTime) -> Option<KillSwitchTrip> {
        let pnl: Decimal = book.day_pnl();
        if self
            .kill_switch
            .check_day_pnl(pnl, self.config.daily_loss_limit, now)
        {
            self.kill_switch.active(now).cloned()
        } else {
            None
        }
    }

    /// The kill-switch trip in force at `now`, if any.
    pub fn kill_switch(&self, now: IstTime) -> Option<&KillSwitchTrip> {
        self.kill_switch.active(now)
    }

    /// True when the kill switch is on at `now`.
    pub fn is_kill_switch_on(&self, now: IstTime) -> bool {
        self.kill_switch.active(now).is_some()
    }

    /// True when the kill switch is on at `now` and `flatten_on_kill_switch` is set: every open
    /// position should be exited.
    pub fn should_flatten(&self, now: IstTime) -> bool {
        self.config.flatten_on_kill_switch && self.is_kill_switch_on(now)
    }

    /// Trips the kill switch by hand (e.g. an operator's stop). Returns true when this call
    /// tripped it.
    pub fn trip_kill_switch(&mut self, reason: impl Into<String>, now: IstTime) -> bool {
        self.kill_switch.trip(reason, now)
    }

    /// Clears the kill switch (an operator's decision).
    pub fn reset_kill_switch(&mut self) {
        self.kill_switch.reset();
    }

    /// `Ok` when one more order (entry or exit) at `now` stays within the order-rate caps.
    pub fn order_allowed(&self, now: IstTime) -> Result<(), RiskRejection> {
        self.rate.allow(
            now,
            self.config.max_orders_per_second,
            self.config.max_orders_per_minute,
        )
    }

    /// Records an order sent at `now`, for the order-rate caps.
    pub fn record_order(&mut self, now: IstTime) {
        self.rate.record(now);
    }
}
