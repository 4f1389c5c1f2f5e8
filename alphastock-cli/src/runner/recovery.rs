//! Recovery at start, after a crash or a clean stop alike: the journal says what this program
//! sent and saw; the broker's order book and positions are the truth. Open orders the broker
//! still works are adopted (never placed again); orders that never reached the broker are closed
//! in the journal; the day's orders are remembered and its fills replayed into the engine, so
//! positions, the day's P&L and a kill switch tripped earlier in the day come back; a position
//! the broker shows differently is adopted from the broker and protected; tags continue after
//! the highest used.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{NaiveDate, NaiveTime, TimeZone};
use rust_decimal::Decimal;

use alphastock_core::engine::{Action, Event, OrderPurpose, ProtectiveStops, Record};
use alphastock_core::market::{IstTime, IST};
use alphastock_core::order::{OrderStatus, OrderType, OrderUpdate};
use alphastock_core::portfolio::PositionMeta;

use super::positions;
use super::report::Tally;
use super::session::Session;
use crate::store::{Row, StoredOrder};

/// Journal kind written when a run starts.
pub const RUN_START: &str = "run_start";
/// Journal kind written when a run stops cleanly.
pub const RUN_STOP: &str = "run_stop";
/// Journal kind written when a simulated or replayed market ran to the end of its data (the
/// run was not stopped part-way), just before [`RUN_STOP`].
pub const RUN_END_OF_DATA: &str = "run_end_of_data";

/// What recovery found and did.
#[derive(Debug, Clone, Default)]
pub struct Recovered {
    /// True when the previous run was interrupted (no clean stop after its start).
    pub interrupted: bool,
    /// True when the run continues a day the journal already has (after a crash or a clean
    /// stop).
    pub continued: bool,
    /// The kill-switch trip of the day restored, if any.
    pub kill_switch: Option<String>,
    /// Market time the previous run reached (a simulated or replayed market resumes after it).
    pub resume_after: Option<IstTime>,
    /// Orders still working at the broker, now tracked again.
    pub adopted: Vec<String>,
    /// Orders the journal had that never reached the broker (closed in the journal).
    pub lost: Vec<String>,
    /// Fills replayed into the engine.
    pub fills_replayed: usize,
    /// Differences between the journal and the broker, as sentences.
    pub mismatches: Vec<String>,
    /// Open positions after the replay: trading symbol and signed quantity, units.
    pub positions: Vec<(String, i64)>,
}

fn start_of(day: NaiveDate) -> Option<IstTime> {
    IST.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
}

/// Recovers `session` from its journal and broker. `live_day` is today for a live run (the
/// broker's books are today's); `None` for a simulated or replayed market, whose day is the one
/// the journal's latest quote belongs to when the previous run was interrupted. See
/// [`recover_from`] to continue a simulated day after a clean stop too.
pub fn recover(session: &mut Session, live_day: Option<NaiveDate>) -> Result<Recovered> {
    recover_from(session, live_day, None)
}

/// [`recover`], and for a simulated or replayed market whose first day is `first_day`: when the
/// journal's latest quote is on or after that day, the run continues from there whether the
/// previous run crashed or stopped cleanly (positions, the day's P&L and kill switch restored;
/// the market resumes after that quote, so no signal is entered twice).
pub fn recover_from(
    session: &mut Session,
    live_day: Option<NaiveDate>,
    first_day: Option<NaiveDate>,
) -> Result<Recovered> {
    let mut rec = Recovered::default();
    let store = session.writer.store();
    let tags = store.all_tags()?;
    let (order_ids, trade_ids) = store.known_ids()?;
    let last = store.last_journal_of(&[RUN_START, RUN_STOP])?;
    let latest_quote = store.latest_quote_time()?;
    session.engine.resume_tags(tags.iter().map(String::as_str));
    if let Some(p) = session.broker.paper() {
        p.continue_numbering(
            order_ids.iter().map(String::as_str),
            trade_ids.iter().map(String::as_str),
        );
    }
    session
        .executor
        .mark_trades_seen(trade_ids.iter().map(String::as_str));
    rec.interrupted = matches!(&last, Some((kind, _)) if kind == RUN_START);
    let day = match live_day {
        Some(d) => d,
        None => match latest_quote {
            Some(t) if rec.interrupted || first_day.is_some_and(|f| t.date_naive() >= f) => {
                t.date_naive()
            }
            _ => {
                close_stale_orders(session, "the previous run ended")?;
                return Ok(rec);
            }
        },
    };
    if live_day.is_none() {
        rec.resume_after = latest_quote;
    }
    let Some(day_start) = start_of(day) else {
        return Ok(rec);
    };
    let store = session.writer.store();
    let orders = store.orders_on(day)?;
    let fills = store.fills_since(day_start)?;
    let now = rec.resume_after.unwrap_or(day_start);

    // 1. The broker's view (the paper broker is rebuilt from the journal first).
    if let Some(paper) = session.broker.paper() {
        let placed: Vec<_> = orders
            .iter()
            .filter_map(|o| {
                o.order_id
                    .clone()
                    .map(|id| (o.request.clone(), id, o.status))
            })
            .collect();
        paper.restore(&placed, &fills);
    }
    let book = match session.broker.as_dyn().order_book() {
        Ok(b) => b,
        Err(e) => {
            rec.mismatches
                .push(format!("the broker's order book could not be read: {e}"));
            Vec::new()
        }
    };
    let by_tag: BTreeMap<&str, _> = book.iter().map(|o| (o.tag.as_str(), o)).collect();

    // 2. Orders: adopt what still works at the broker, close what never reached it.
    let mut updates = Vec::new();
    for o in &orders {
        let at_broker = by_tag.get(o.request.tag.as_str());
        match at_broker {
            Some(b) => {
                if b.status != o.status || b.filled_quantity != o.filled_quantity {
                    rec.mismatches.push(format!(
                        "order {}: journal says {:?} ({} filled), broker says {:?} ({} filled); the broker is right",
                        o.request.tag, o.status, o.filled_quantity, b.status, b.filled_quantity
                    ));
                }
                if !b.status.is_terminal() {
                    if let Some(purpose) = &o.purpose {
                        // The broker's price is the current one (the order may have been
                        // re-priced since it was journaled); so are a stop order's trigger and
                        // quantity (the trailing stop modifies it in place).
                        let mut request = o.request.clone();
                        if b.price.is_some_and(|p| p > Decimal::ZERO) {
                            request.price = b.price;
                        }
                        if ProtectiveStops::is_stop_request(&request) {
                            if b.trigger_price.is_some_and(|t| t > Decimal::ZERO) {
                                request.trigger_price = b.trigger_price;
                            }
                            request.quantity = b.quantity;
                            if b.order_type == Some(OrderType::Limit) {
                                // A stop converted into its position's exit just before the
                                // stop of the run: adopted as that exit (re-priced as any
                                // exit), so no second stop or exit is placed.
                                request.order_type = OrderType::Limit;
                                request.trigger_price = None;
                            }
                        }
                        session
                            .engine
                            .adopt_order(request, purpose.clone(), o.created_at);
                        rec.adopted.push(o.request.tag.clone());
                    }
                }
                updates.push(OrderUpdate {
                    order_id: b.order_id.clone(),
                    tag: b.tag.clone(),
                    status: b.status,
                    filled_quantity: b.filled_quantity,
                    average_price: b.average_price,
                    message: b.message.clone(),
                    timestamp: now.max(b.updated_at),
                });
            }
            None if !o.status.is_terminal() => {
                rec.lost.push(o.request.tag.clone());
                session.writer.push(Row::OrderUpdate(OrderUpdate {
                    order_id: o.order_id.clone().unwrap_or_default(),
                    tag: o.request.tag.clone(),
                    status: OrderStatus::Cancelled,
                    filled_quantity: o.filled_quantity,
                    average_price: o.average_price,
                    message: Some(
                        "not at the broker after a restart: never placed or already gone"
                            .to_string(),
                    ),
                    timestamp: now,
                }))?;
            }
            None => {}
        }
    }

    // 3. Positions: remember every order of the day (so fills are capped at what each order
    // can fill), register each instrument the day's fills touch, then replay the fills.
    for o in &orders {
        if let Some(purpose) = &o.purpose {
            let final_filled = by_tag
                .get(o.request.tag.as_str())
                .filter(|b| b.status.is_terminal())
                .map(|b| b.filled_quantity)
                .or_else(|| o.status.is_terminal().then_some(o.filled_quantity));
            session
                .engine
                .record_order(&o.request, purpose, final_filled);
        }
    }
    let entry_of: BTreeMap<&str, &StoredOrder> = orders
        .iter()
        .filter(|o| matches!(o.purpose, Some(OrderPurpose::Entry { .. })))
        .map(|o| (o.request.trading_symbol.as_str(), o))
        .collect();
    for f in &fills {
        if session
            .engine
            .portfolio()
            .position(&f.trading_symbol)
            .is_some()
        {
            continue;
        }
        let Some(o) = entry_of.get(f.trading_symbol.as_str()) else {
            rec.mismatches.push(format!(
                "fill {} of {} has no entry order in the journal",
                f.trade_id, f.trading_symbol
            ));
            continue;
        };
        if let Some(OrderPurpose::Entry {
            signal,
            target,
            stop,
        }) = &o.purpose
        {
            let lot_size = session
                .engine
                .config()
                .market
                .instruments
                .get(&signal.symbol)
                .map_or(o.request.quantity.max(1), |i| i.lot_size);
            let meta = PositionMeta {
                trading_symbol: o.request.trading_symbol.clone(),
                exchange: o.request.exchange,
                underlying: signal.symbol.clone(),
                lot_size,
                tick_size: Decimal::new(5, 2),
                expiry: None,
                target: Some(*target),
                stop: Some(*stop),
            };
            session.engine.restore_instrument(meta, signal.side);
        }
    }
    let (signals, accepted) = session.writer.store().signal_counts_on(day)?;
    let mut before = Tally {
        orders: orders.len() as u32,
        fills: fills.len() as u32,
        signals,
        accepted,
        ..Tally::default()
    };
    for f in &fills {
        // The engine's answers to old fills were carried out before the restart; only the
        // round trips they close are counted into the day's summary.
        for action in session.engine.on_event(Event::Fill(f.clone())) {
            if let Action::Record(Record::PositionClosed {
                trading_symbol,
                net_pnl,
                ..
            }) = action
            {
                let charges = session
                    .engine
                    .portfolio()
                    .position(&trading_symbol)
                    .map_or(Decimal::ZERO, |p| p.charges());
                before.close_trade(net_pnl, charges);
            }
        }
        rec.fills_replayed += 1;
    }
    // The day's summary goes on from what the journal has, live as on paper, so the stored
    // daily P&L is never overwritten with a fresh count.
    session.seed_day(day, &before);
    rec.continued = !orders.is_empty() || !fills.is_empty() || latest_quote.is_some();
    for (at, detail) in store_alerts(session, day_start)? {
        if let Some(reason) = detail
            .get("message")
            .and_then(|m| m.as_str())
            .filter(|m| m.starts_with("kill switch tripped"))
        {
            session.engine.restore_kill_switch(reason, at);
            rec.kill_switch = Some(reason.to_string());
        }
    }
    for u in updates {
        let _ = session.engine.on_event(Event::OrderUpdate(u.clone()));
        session.writer.push(Row::OrderUpdate(u))?;
    }

    // 4. Compare positions with the broker's; adopt the broker's where they differ.
    match session.broker.as_dyn().positions() {
        Ok(at_broker) => {
            let found = positions::mismatches(&session.engine, &at_broker, |_| false);
            rec.mismatches
                .extend(found.iter().map(positions::Mismatch::sentence));
            session.adopt(&found, now)?;
        }
        Err(e) => rec
            .mismatches
            .push(format!("the broker's positions could not be read: {e}")),
    }
    rec.positions = session
        .engine
        .portfolio()
        .open_positions()
        .map(|p| (p.trading_symbol().to_string(), p.quantity()))
        .collect();
    session.writer.push(Row::Journal {
        at: now,
        kind: "reconcile".to_string(),
        detail: serde_json::json!({
            "adopted": rec.adopted,
            "lost": rec.lost,
            "fills_replayed": rec.fills_replayed,
            "mismatches": rec.mismatches,
            "positions": rec.positions,
        }),
    })?;
    session.writer.flush()?;
    Ok(rec)
}

/// The day's journaled critical alerts, from the store under the writer (after a flush).
fn store_alerts(
    session: &mut Session,
    since: IstTime,
) -> Result<Vec<(IstTime, serde_json::Value)>> {
    session.writer.flush()?;
    session.writer.store().journal_since("alert", since)
}

/// After a clean stop of a simulated run the paper broker's session is over: orders the journal
/// still shows as working are closed.
fn close_stale_orders(session: &mut Session, why: &str) -> Result<()> {
    let open = session.writer.store().open_orders()?;
    for o in open {
        let at = o.updated_at;
        session.writer.push(Row::OrderUpdate(OrderUpdate {
            order_id: o.order_id.unwrap_or_default(),
            tag: o.request.tag,
            status: OrderStatus::Cancelled,
            filled_quantity: o.filled_quantity,
            average_price: o.average_price,
            message: Some(why.to_string()),
            timestamp: at,
        }))?;
    }
    session.writer.flush()
}
