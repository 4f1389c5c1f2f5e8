//! Trading the symbol itself: a signal of a strategy instance configured with
//! `instrument: underlying` buys the stock on BUY and sells it short on SELL, instead of buying
//! an option.
//!
//! Steps, each of which may drop the signal with its reason:
//! 1. **validate** ([`validate_signal`]): the same checks as for options (trading enabled, kill
//!    switch, confidence, staleness, market hours, no-entry window, same direction);
//! 2. **tradable**: only cash equities (`NSE:SBIN`) can be traded themselves. An index
//!    (`BANKNIFTY`) has no instrument of its own: it needs an option (`instrument: option`) or
//!    a futures contract, and its signals are rejected with that reason;
//! 3. **flip**: when a position in the opposite direction is open, the signal closes it and
//!    opens the reverse one (`strategies.<name>.flip`, default true); with `flip: false` the
//!    signal is rejected while the opposite position is open;
//! 4. **limit price**: the signal's price plus `limit_buffer_ticks` ticks for a buy (rounded
//!    up to the tick), minus them for a sell (rounded down): a marketable limit;
//! 5. **target and stop** are the signal's own underlying levels, on the tick grid; a BUY needs
//!    stop < entry < target, a SELL target < entry < stop;
//! 6. **risk** ([`RiskManager::check`]): sized with a lot size of 1 share; the loss per share is
//!    |entry − stop| for a short as for a long (the proposal carries the mirrored stop
//!    `entry − (stop − entry)`, since the risk manager sizes long entries), and the exposure is
//!    the traded value (entry × quantity);
//! 7. **intent**: the closing order for the old position (when flipping) and the opening order,
//!    each a limit order with a fresh tag.
//!
//! With product CNC (delivery) a stock cannot be sold short: a SELL only closes a long.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{validate_signal, EntryConfig, Rejection, ValidationContext};
use crate::options::{round_down_to_tick, round_up_to_tick};
use crate::order::{OrderRequest, OrderType, Product, TransactionType, Validity};
use crate::portfolio::ChargeSchedule;
use crate::risk::{RiskApproved, RiskBook, RiskManager, TradeProposal};
use crate::strategy::{Side, Signal};

/// `options_trading.underlying`: how signals of `instrument: underlying` strategies trade the
/// stock itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnderlyingTradingConfig {
    /// `product`: `MIS` (intraday, default; shorts allowed) or `CNC` (delivery; no shorts).
    pub product: Product,
    /// `tick_size`: price step of the stock, rupees (default 0.05).
    pub tick_size: Decimal,
    /// `charges`: the costs of trading the stock (default: NSE intraday equity, see
    /// [`ChargeSchedule::equity_intraday`]).
    pub charges: ChargeSchedule,
    /// `square_off`: exit stock positions `exits.square_off_minutes_before_close` minutes
    /// before the close (default true, as MIS requires). Set false to hold them overnight:
    /// for CNC, or for a backtest compared with engines that know no trading session.
    pub square_off: bool,
}

impl Default for UnderlyingTradingConfig {
    fn default() -> Self {
        Self {
            product: Product::Mis,
            tick_size: Decimal::new(5, 2),
            charges: ChargeSchedule::equity_intraday(),
            square_off: true,
        }
    }
}

impl UnderlyingTradingConfig {
    /// Range checks; `(key relative to options_trading.underlying, reason)` per problem.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.product == Product::Nrml {
            out.push((
                "product".to_string(),
                "must be MIS or CNC for a stock traded itself".to_string(),
            ));
        }
        if self.tick_size <= Decimal::ZERO {
            out.push((
                "tick_size".to_string(),
                format!(
                    "must be a positive number of rupees, got {}",
                    self.tick_size
                ),
            ));
        }
        out.extend(
            self.charges
                .validate()
                .into_iter()
                .map(|(k, r)| (format!("charges.{k}"), r)),
        );
        out
    }
}

/// What the underlying path needs besides the signal.
#[derive(Debug, Clone, Copy)]
pub struct UnderlyingContext<'a> {
    /// Inputs of the validation step (time, session, flags, same-direction position).
    pub validation: ValidationContext<'a>,
    /// Signed shares of the symbol held now: positive long, negative short.
    pub held_quantity: i64,
    /// True when an exit order for the held position is already working (it will close the
    /// position, so a flip sends only the opening order).
    pub exit_working: bool,
    /// Close an opposite position and reverse (the instance's `flip`).
    pub flip: bool,
    /// Funds available for new positions, rupees, when the broker reported them.
    pub available_funds: Option<Decimal>,
    /// Open positions and the day's P&L, **without** the position a flip closes.
    pub book: &'a RiskBook,
}

/// The orders for an underlying signal. The opening order can only be built from a
/// [`RiskApproved`], so holding one proves the new position passed every risk check.
#[derive(Debug, Clone, PartialEq)]
pub struct UnderlyingIntent {
    close: Option<OrderRequest>,
    open: Option<(OrderRequest, RiskApproved)>,
    target: Decimal,
    stop: Decimal,
}

impl UnderlyingIntent {
    /// The order closing the opposite position, when the signal flips one.
    pub fn close(&self) -> Option<&OrderRequest> {
        self.close.as_ref()
    }

    /// The order opening the new position and its risk approval; `None` when the signal only
    /// closes (a SELL under CNC).
    pub fn open(&self) -> Option<(&OrderRequest, &RiskApproved)> {
        self.open.as_ref().map(|(r, a)| (r, a))
    }

    /// Target price of the new position, rupees per share (on the tick grid).
    pub fn target(&self) -> Decimal {
        self.target
    }

    /// Stop price of the new position, rupees per share (on the tick grid).
    pub fn stop(&self) -> Decimal {
        self.stop
    }
}

/// The broker's trading symbol of a cash equity: its name without the exchange (`SBIN` for
/// `NSE:SBIN`).
pub fn equity_trading_symbol(symbol: &crate::market::Symbol) -> &str {
    symbol.name()
}

/// Runs a signal of an `instrument: underlying` strategy through the steps in the module docs.
/// `next_tag` is called once per order that results; a rejected signal consumes no tag. Every
/// order is recorded with the risk manager's order-rate limiter.
pub fn process_underlying(
    signal: &Signal,
    entry: &EntryConfig,
    config: &UnderlyingTradingConfig,
    ctx: &UnderlyingContext<'_>,
    risk: &mut RiskManager,
    mut next_tag: impl FnMut() -> String,
) -> Result<UnderlyingIntent, Rejection> {
    validate_signal(signal, entry, &ctx.validation)?;
    let now = ctx.validation.now;
    if signal.symbol.is_index() {
        return Err(Rejection::NotTradable {
            detail: format!(
                "{} is an index: it cannot be bought or sold itself; trade its options \
                 (instrument: option) or a futures contract",
                signal.symbol
            ),
        });
    }
    let dir: i64 = match signal.side {
        Side::Buy => 1,
        Side::Sell => -1,
    };
    let opposite = ctx.held_quantity != 0 && ctx.held_quantity.signum() != dir;
    if opposite && !ctx.flip {
        return Err(Rejection::OppositePosition {
            held: ctx.held_quantity,
        });
    }
    let can_open = !(signal.side == Side::Sell && config.product == Product::Cnc);
    if !can_open && !opposite {
        return Err(Rejection::NotTradable {
            detail: format!(
                "{} with product CNC (delivery) cannot be sold short",
                signal.symbol
            ),
        });
    }
    let tick = config.tick_size;
    let pricing = |e: crate::options::TickError| Rejection::Pricing {
        detail: e.to_string(),
    };
    let buffer = tick * Decimal::from(entry.limit_buffer_ticks);
    let (limit, target, stop) = match signal.side {
        Side::Buy => (
            round_up_to_tick(signal.price + buffer, tick).map_err(pricing)?,
            round_down_to_tick(signal.target, tick).map_err(pricing)?,
            round_down_to_tick(signal.stop, tick).map_err(pricing)?,
        ),
        Side::Sell => (
            round_down_to_tick(signal.price - buffer, tick).map_err(pricing)?,
            round_up_to_tick(signal.target, tick).map_err(pricing)?,
            round_up_to_tick(signal.stop, tick).map_err(pricing)?,
        ),
    };
    let d = Decimal::from(dir);
    if limit <= Decimal::ZERO
        || (target - limit) * d <= Decimal::ZERO
        || (limit - stop) * d <= Decimal::ZERO
    {
        return Err(Rejection::NoReward {
            entry: limit,
            target,
            stop,
        });
    }
    let trading_symbol = equity_trading_symbol(&signal.symbol);
    let exchange = signal.symbol.cash_exchange();
    let order = |tag: String, side: TransactionType, quantity: u32| OrderRequest {
        tag,
        exchange,
        trading_symbol: trading_symbol.to_string(),
        transaction_type: side,
        order_type: OrderType::Limit,
        quantity,
        price: Some(limit),
        trigger_price: None,
        product: config.product,
        validity: Validity::Day,
    };
    let approval = if can_open {
        let proposal = TradeProposal {
            underlying: signal.symbol.clone(),
            side: signal.side,
            trading_symbol: trading_symbol.to_string(),
            entry_premium: limit,
            // The loss per share to the stop, expressed as a long's stop (see the module docs).
            stop_premium: limit - (limit - stop) * d,
            lot_size: 1,
            available_funds: ctx.available_funds,
        };
        let approval = risk
            .check(proposal, ctx.book, now)
            .map_err(|refused| Rejection::Risk {
                detail: refused.reason.to_string(),
            })?;
        Some(approval)
    } else {
        None
    };
    let side = match signal.side {
        Side::Buy => TransactionType::Buy,
        Side::Sell => TransactionType::Sell,
    };
    let close = if opposite && !ctx.exit_working {
        let held = u32::try_from(ctx.held_quantity.unsigned_abs()).map_err(|_| {
            Rejection::NotTradable {
                detail: format!("held quantity {} is too large", ctx.held_quantity),
            }
        })?;
        risk.record_order(now);
        Some(order(next_tag(), side, held))
    } else {
        None
    };
    let open = approval.map(|a| {
        risk.record_order(now);
        (order(next_tag(), side, a.quantity()), a)
    });
    if close.is_none() && open.is_none() {
        return Err(Rejection::NotTradable {
            detail: format!(
                "{}: an exit is already working and no new position may be opened",
                signal.symbol
            ),
        });
    }
    Ok(UnderlyingIntent {
        close,
        open,
        target,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{IstTime, MarketSession, Symbol};
    use crate::risk::RiskConfig;
    use chrono::DateTime;
    use rust_decimal_macros::dec;

    fn at(s: &str) -> IstTime {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn signal(symbol: &str, side: Side, price: Decimal, target: Decimal, stop: Decimal) -> Signal {
        Signal {
            symbol: Symbol::parse(symbol).unwrap(),
            strategy: "sbin_trend".into(),
            side,
            timestamp: at("2026-01-05T10:10:00+05:30"),
            price,
            target,
            stop,
            confidence: 80,
            expected_move_pct: 1.0,
            reason: "test".into(),
        }
    }

    fn ctx(book: &RiskBook, held: i64) -> UnderlyingContext<'_> {
        UnderlyingContext {
            validation: ValidationContext {
                now: at("2026-01-05T10:15:00+05:30"),
                candle_minutes: 5,
                session: MarketSession::nse(),
                holidays: &[],
                trading_enabled: true,
                kill_switch: false,
                blocked_by: None,
                positioned_same_direction: false,
            },
            held_quantity: held,
            exit_working: false,
            flip: true,
            available_funds: None,
            book,
        }
    }

    fn risk() -> RiskManager {
        // Budget 1 % of 5,00,000 = 5,000; at most 1,00,000 of stock per trade.
        RiskManager::new(RiskConfig {
            capital: dec!(500000),
            risk_per_trade_pct: dec!(1),
            max_premium_per_trade: dec!(100000),
            max_exposure_per_underlying: dec!(1000000),
            max_total_exposure: dec!(1000000),
            ..RiskConfig::default()
        })
    }

    fn entry() -> EntryConfig {
        EntryConfig {
            limit_buffer_ticks: 2,
            ..EntryConfig::default()
        }
    }

    #[test]
    fn a_short_is_sized_on_its_stop_above_entry_and_priced_below_the_signal() {
        let book = RiskBook::new();
        let mut n = 0;
        let s = signal(
            "NSE:SBIN",
            Side::Sell,
            dec!(800),
            dec!(780.03),
            dec!(812.51),
        );
        let intent = process_underlying(
            &s,
            &entry(),
            &UnderlyingTradingConfig::default(),
            &ctx(&book, 0),
            &mut risk(),
            || {
                n += 1;
                format!("T{n}")
            },
        )
        .unwrap();
        assert!(intent.close().is_none());
        let (req, approval) = intent.open().unwrap();
        // Limit 800 − 2 ticks = 799.90; stop 812.51 up to 812.55, target 780.03 up to 780.05.
        assert_eq!(req.price, Some(dec!(799.90)));
        assert_eq!(
            (intent.stop(), intent.target()),
            (dec!(812.55), dec!(780.05))
        );
        // Loss per share 12.65: 5,000 / 12.65 = 395 shares; 1,00,000 / 799.90 = 125 → 125.
        assert_eq!(approval.quantity(), 125);
        assert_eq!(approval.max_loss(), dec!(12.65) * dec!(125));
        assert_eq!(req.transaction_type, TransactionType::Sell);
        assert_eq!(
            (req.exchange, req.trading_symbol.as_str()),
            (crate::market::Exchange::Nse, "SBIN")
        );
        assert_eq!(req.tag, "T1");
    }

    #[test]
    fn a_flip_closes_the_whole_long_before_opening_the_short() {
        let book = RiskBook::new();
        let mut n = 0;
        let s = signal("NSE:SBIN", Side::Sell, dec!(800), dec!(780), dec!(810));
        let intent = process_underlying(
            &s,
            &entry(),
            &UnderlyingTradingConfig::default(),
            &ctx(&book, 60),
            &mut risk(),
            || {
                n += 1;
                format!("T{n}")
            },
        )
        .unwrap();
        let close = intent.close().unwrap();
        assert_eq!((close.quantity, close.tag.as_str()), (60, "T1"));
        assert_eq!(close.transaction_type, TransactionType::Sell);
        assert_eq!(intent.open().unwrap().0.tag, "T2");
    }

    #[test]
    fn rejections_name_their_cause() {
        let book = RiskBook::new();
        let cfg = UnderlyingTradingConfig::default();
        let run = |s: &Signal, held: i64, cfg: &UnderlyingTradingConfig, flip: bool| {
            let mut c = ctx(&book, held);
            c.flip = flip;
            process_underlying(s, &entry(), cfg, &c, &mut risk(), || "T".to_string())
                .unwrap_err()
                .to_string()
        };
        let idx = signal(
            "BANKNIFTY",
            Side::Buy,
            dec!(51245),
            dec!(51655),
            dec!(51040),
        );
        assert!(run(&idx, 0, &cfg, true).contains("BANKNIFTY is an index"));
        let short = signal("NSE:SBIN", Side::Sell, dec!(800), dec!(780), dec!(810));
        let cnc = UnderlyingTradingConfig {
            product: Product::Cnc,
            ..cfg.clone()
        };
        assert!(run(&short, 0, &cnc, true).contains("cannot be sold short"));
        assert_eq!(
            run(&short, 10, &cfg, false),
            "an opposite position of 10 shares is open and flip is off for this strategy"
        );
        // A BUY whose stop is above its price has no reward.
        let bad = signal("NSE:SBIN", Side::Buy, dec!(800), dec!(820), dec!(805));
        assert!(run(&bad, 0, &cfg, true).starts_with("no reward"));
        // Too wide a stop for the budget: one share loses 6,000 > 5,000.
        let wide = signal("NSE:SBIN", Side::Buy, dec!(8000), dec!(9000), dec!(2000));
        assert!(run(&wide, 0, &cfg, true).contains("risk budget"));
    }
}
