//! The [`SignalProcessor`]: a strategy's signal on an underlying in, an [`OrderIntent`] for an
//! option (or a [`Rejection`] with its reason) out.
//!
//! Steps, each of which may drop the signal with its reason:
//! 1. **validate** ([`validate_signal`]): trading enabled, kill switch, underlying not blocked,
//!    confidence ≥ `min_confidence`, data not stale, market open, not inside the no-entry window
//!    before the close, no position in the same underlying and direction (unless allowed);
//! 2. **chain**: the underlying's latest option chain, no older than `max_chain_age_seconds`;
//! 3. **choose the option**: CE for a BUY (bullish) signal, PE for a SELL (bearish) one, through
//!    the [`StrikeSelector`] (ATM by default; `strike_selection.choose`);
//! 4. **limit price**: the contract's ask (its last price when no ask is quoted) plus
//!    `limit_buffer_ticks` ticks, rounded **up** to the tick: a marketable limit that caps
//!    slippage;
//! 5. **target and stop premium** by the configured method ([`OptionsPricingEngine`]), from the
//!    contract's last price, greeks (the chain's, else Black-Scholes from its IV, else from the
//!    IV implied by its price) and the signal's underlying target and stop, then bounded by
//!    `stop_loss_pct` / `profit_target_pct` ([`PremiumBounds`]) with the limit price as the
//!    entry: the stop is never further below the limit than `stop_loss_pct` % of it (rounded
//!    up to the tick), and a method that gives no target above the limit gets the
//!    `profit_target_pct` target; the trade needs stop < entry < target;
//! 6. **risk** ([`RiskManager::check`]): sized in whole lots, with the entry at the limit price
//!    (the worst fill the order allows) and the bounded stop (the stop actually placed), so the
//!    risk budget holds even if the order fills at its limit;
//! 7. **intent**: a limit BUY of the approved whole lots with a fresh tag.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{validate_signal, EntryConfig, Rejection, ValidationContext};
use crate::market::{OptionChain, OptionQuote, OptionType};
use crate::options::pricing::{OptionsPricingEngine, PricingInput, TargetMethod};
use crate::options::{
    black_scholes, days_to_expiry, implied_vol, round_up_to_tick, years_from_days, BsInput,
    PremiumBounds, StrikeChoice, StrikeSelector,
};
use crate::order::{OrderRequest, OrderType, TransactionType, Validity};
use crate::risk::{RiskApproved, RiskBook, RiskManager, TradeProposal};
use crate::strategy::{Side, Signal};

/// A risk-approved order for a signal. It can only be built from a [`RiskApproved`], so holding
/// one proves the trade passed every risk check.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderIntent {
    request: OrderRequest,
    approval: RiskApproved,
    signal: Signal,
    option: OptionQuote,
    target: Decimal,
    stop: Decimal,
    method_stop: Decimal,
    method: TargetMethod,
}

impl OrderIntent {
    /// The order to send: a limit BUY in whole lots, priced on the tick grid, with its tag.
    pub fn request(&self) -> &OrderRequest {
        &self.request
    }

    /// The risk approval (lots, quantity, max loss, premium outlay).
    pub fn approval(&self) -> &RiskApproved {
        &self.approval
    }

    /// The signal it came from.
    pub fn signal(&self) -> &Signal {
        &self.signal
    }

    /// The option bought, as quoted when chosen.
    pub fn option(&self) -> &OptionQuote {
        &self.option
    }

    /// Target premium, rupees (on the tick grid, rounded down).
    pub fn target(&self) -> Decimal {
        self.target
    }

    /// Stop premium, rupees (on the tick grid, rounded up).
    pub fn stop(&self) -> Decimal {
        self.stop
    }

    /// The method's own stop premium before the `stop_loss_pct` bound, rupees (on the tick
    /// grid). The engine re-anchors the percent bound on the actual fill price with it.
    pub fn method_stop(&self) -> Decimal {
        self.method_stop
    }

    /// The method that priced target and stop.
    pub fn method(&self) -> TargetMethod {
        self.method
    }
}

/// What the processor needs besides the signal.
#[derive(Debug, Clone, Copy)]
pub struct ProcessContext<'a> {
    /// Inputs of the validation step (time, session, flags).
    pub validation: ValidationContext<'a>,
    /// The underlying's latest option chain, if any.
    pub chain: Option<&'a OptionChain>,
    /// Funds available for new positions, rupees, when the broker reported them.
    pub available_funds: Option<Decimal>,
    /// Open positions, pending entries and the day's P&L, for the risk limits.
    pub book: &'a RiskBook,
}

/// Turns signals into order intents; see the module docs for the steps.
#[derive(Debug, Clone)]
pub struct SignalProcessor {
    /// Entry rules (`options_trading.entry`).
    pub entry: EntryConfig,
    /// Which contract to buy.
    pub selector: StrikeSelector,
    /// Target and stop premium.
    pub pricing: OptionsPricingEngine,
    /// The configured target method (`options_trading.target_calculation_method`).
    pub method: TargetMethod,
    /// Risk-free rate, annual fraction, for greeks computed here.
    pub rate: f64,
    /// Percent bounds on the stop and target premium (`risk_management.stop_loss_pct`,
    /// `profit_target_pct`).
    pub bounds: PremiumBounds,
}

impl SignalProcessor {
    /// Runs a signal through every step. `next_tag` is called only when an order results, so a
    /// rejected signal never consumes a tag. On success the order is recorded with the risk
    /// manager's order-rate limiter.
    pub fn process(
        &self,
        signal: &Signal,
        ctx: &ProcessContext<'_>,
        risk: &mut RiskManager,
        next_tag: impl FnOnce() -> String,
    ) -> Result<OrderIntent, Rejection> {
        validate_signal(signal, &self.entry, &ctx.validation)?;
        let now = ctx.validation.now;
        let chain = self.usable_chain(signal, ctx)?;
        let option_type = match signal.side {
            Side::Buy => OptionType::CE,
            Side::Sell => OptionType::PE,
        };
        let choice = self
            .selector
            .choose(chain.spot, chain, option_type)
            .map_err(|e| Rejection::NoCandidate {
                detail: e.to_string(),
            })?;
        let quote = &choice.quote;
        let contract = &quote.contract;
        if contract.lot_size == 0 {
            return Err(Rejection::UnknownInstrument {
                detail: format!("lot size of {} is 0", contract.trading_symbol),
            });
        }
        let limit = self.limit_price(quote)?;
        let input = self.pricing_input(signal, chain, &choice, now);
        let levels = self
            .pricing
            .levels(self.method, &input)
            .map_err(|e| Rejection::Pricing {
                detail: e.to_string(),
            })?;
        let method_stop = levels.stop;
        let levels = self
            .bounds
            .apply(levels, limit, contract.tick_size)
            .map_err(|e| Rejection::Pricing {
                detail: e.to_string(),
            })?
            .levels;
        if !(levels.stop < quote.premium && quote.premium < levels.target) {
            return Err(Rejection::NoReward {
                entry: quote.premium,
                target: levels.target,
                stop: levels.stop,
            });
        }
        let proposal = TradeProposal {
            underlying: signal.symbol.clone(),
            side: signal.side,
            trading_symbol: contract.trading_symbol.clone(),
            entry_premium: limit,
            stop_premium: levels.stop,
            lot_size: contract.lot_size,
            available_funds: ctx.available_funds,
        };
        let approval = risk
            .check(proposal, ctx.book, now)
            .map_err(|refused| Rejection::Risk {
                detail: refused.reason.to_string(),
            })?;
        risk.record_order(now);
        let request = OrderRequest {
            tag: next_tag(),
            exchange: contract.exchange,
            trading_symbol: contract.trading_symbol.clone(),
            transaction_type: TransactionType::Buy,
            order_type: OrderType::Limit,
            quantity: approval.quantity(),
            price: Some(limit),
            trigger_price: None,
            product: self.entry.product,
            validity: Validity::Day,
        };
        Ok(OrderIntent {
            request,
            approval,
            signal: signal.clone(),
            option: quote.clone(),
            target: levels.target,
            stop: levels.stop,
            method_stop,
            method: self.method,
        })
    }

    fn usable_chain<'a>(
        &self,
        signal: &Signal,
        ctx: &ProcessContext<'a>,
    ) -> Result<&'a OptionChain, Rejection> {
        let chain = ctx.chain.ok_or_else(|| Rejection::NoChain {
            detail: format!("no option chain received for {}", signal.symbol),
        })?;
        let age = (ctx.validation.now - chain.timestamp).num_seconds();
        let max = i64::try_from(self.entry.max_chain_age_seconds).unwrap_or(i64::MAX);
        if age > max {
            return Err(Rejection::NoChain {
                detail: format!("the {} chain is {age} s old (max {max} s)", signal.symbol),
            });
        }
        if chain.spot <= Decimal::ZERO {
            return Err(Rejection::NoChain {
                detail: format!("the {} chain has spot {}", signal.symbol, chain.spot),
            });
        }
        Ok(chain)
    }

    /// Ask (or last price) plus the buffer, rounded up to the tick.
    fn limit_price(&self, quote: &OptionQuote) -> Result<Decimal, Rejection> {
        let tick = quote.contract.tick_size;
        let base = quote
            .ask
            .filter(|a| *a > Decimal::ZERO)
            .unwrap_or(quote.premium);
        if base <= Decimal::ZERO {
            return Err(Rejection::Pricing {
                detail: format!(
                    "{} has no positive price (last {}, ask {:?})",
                    quote.contract.trading_symbol, quote.premium, quote.ask
                ),
            });
        }
        let raw = base + tick * Decimal::from(self.entry.limit_buffer_ticks);
        round_up_to_tick(raw, tick).map_err(|e| Rejection::Pricing {
            detail: e.to_string(),
        })
    }

    fn pricing_input(
        &self,
        signal: &Signal,
        chain: &OptionChain,
        choice: &StrikeChoice,
        now: crate::market::IstTime,
    ) -> PricingInput {
        let quote = &choice.quote;
        let contract = &quote.contract;
        let mut input = PricingInput::new(
            contract.option_type,
            chain.spot,
            signal.target,
            signal.stop,
            quote.premium,
        );
        let days = days_to_expiry(now, contract.expiry);
        input.strike = Some(contract.strike);
        input.days_to_expiry = Some(days);
        input.tick_size = contract.tick_size;
        input.rate = self.rate;
        input.holding_minutes = f64::from(self.entry.expected_holding_minutes);
        let iv = quote.iv.filter(|v| v.is_finite() && *v > 0.0).or_else(|| {
            let bs = BsInput {
                option_type: contract.option_type,
                spot: chain.spot.to_f64()?,
                strike: contract.strike.to_f64()?,
                years: years_from_days(days),
                vol: 0.0,
                rate: self.rate,
                carry: 0.0,
            };
            implied_vol(&bs, quote.premium.to_f64()?).ok()
        });
        input.iv = iv;
        let greeks = quote.greeks.or_else(|| {
            let bs = BsInput {
                option_type: contract.option_type,
                spot: chain.spot.to_f64()?,
                strike: contract.strike.to_f64()?,
                years: years_from_days(days),
                vol: iv?,
                rate: self.rate,
                carry: 0.0,
            };
            black_scholes::price_and_greeks(&bs).ok().map(|v| v.greeks)
        });
        if let Some(g) = greeks {
            input.delta = Some(g.delta);
            input.gamma = Some(g.gamma);
            input.theta_per_day = Some(g.theta_per_day);
        }
        input
    }
}
