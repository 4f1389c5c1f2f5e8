use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{RiskBook, RiskConfig, RiskRejection, TradeProposal};

/// A position size that fits every sizing limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Size {
    /// Lots (at least 1).
    pub lots: u32,
    /// Units: lots × lot size.
    pub quantity: u32,
    /// Loss at the stop, rupees.
    pub max_loss: Decimal,
    /// Premium paid, rupees.
    pub premium_outlay: Decimal,
}

/// Sizes `proposal` in whole lots: the smallest of what `max_premium_per_trade`, the risk budget,
/// the available funds, the remaining exposure (per underlying and total), the lots left under
/// `max_lots_per_underlying` and `max_lots_per_order` allow. Zero lots is refused with the first
/// limit that allows none.
pub(super) fn size(
    config: &RiskConfig,
    proposal: &TradeProposal,
    book: &RiskBook,
) -> Result<Size, RiskRejection> {
    let invalid = |s: String| Err(RiskRejection::Invalid(s));
    if proposal.lot_size == 0 {
        return invalid("lot size is 0".to_string());
    }
    if proposal.entry_premium <= Decimal::ZERO {
        return invalid(format!(
            "entry premium {:.2} is not positive",
            proposal.entry_premium
        ));
    }
    if proposal.stop_premium < Decimal::ZERO || proposal.stop_premium >= proposal.entry_premium {
        return invalid(format!(
            "stop premium {:.2} must be at least 0 and below entry premium {:.2}",
            proposal.stop_premium, proposal.entry_premium
        ));
    }
    let (Some(premium), Some(loss)) = (proposal.premium_per_lot(), proposal.loss_per_lot()) else {
        return invalid("premium per lot is too large to compute".to_string());
    };

    let underlying_room =
        config.max_exposure_per_underlying - book.exposure_in(&proposal.underlying);
    let total_room = config.max_total_exposure - book.total_exposure();
    let mut caps: Vec<(u32, RiskRejection)> = vec![
        (
            whole_lots(config.max_premium_per_trade, premium),
            RiskRejection::PremiumPerTrade {
                premium,
                max: config.max_premium_per_trade,
            },
        ),
        (
            whole_lots(config.risk_budget(), loss),
            RiskRejection::RiskBudget {
                max_loss: loss,
                budget: config.risk_budget(),
            },
        ),
    ];
    if let Some(available) = proposal.available_funds {
        caps.push((
            whole_lots(available, premium),
            RiskRejection::Funds { premium, available },
        ));
    }
    caps.push((
        whole_lots(underlying_room, premium),
        RiskRejection::UnderlyingExposure {
            underlying: proposal.underlying.to_string(),
            would_be: book.exposure_in(&proposal.underlying) + premium,
            max: config.max_exposure_per_underlying,
        },
    ));
    caps.push((
        whole_lots(total_room, premium),
        RiskRejection::TotalExposure {
            would_be: book.total_exposure() + premium,
            max: config.max_total_exposure,
        },
    ));

    if let Some(max) = config.max_lots_per_underlying {
        let held = book.lots_in(&proposal.underlying);
        let room = u64::from(max).saturating_sub(held);
        caps.push((
            u32::try_from(room).unwrap_or(u32::MAX),
            RiskRejection::LotsPerUnderlying {
                underlying: proposal.underlying.to_string(),
                held,
                max,
            },
        ));
    }
    if let Some(max) = config.max_lots_per_order {
        // Validated to be at least 1, so it cuts the size down and never refuses on its own.
        caps.push((
            max.max(1),
            RiskRejection::Invalid("max_lots_per_order is 0".to_string()),
        ));
    }

    let mut lots = u32::MAX / proposal.lot_size;
    for (cap, reason) in caps {
        if cap == 0 {
            return Err(reason);
        }
        lots = lots.min(cap);
    }
    let quantity = lots * proposal.lot_size;
    let n = Decimal::from(lots);
    match (loss.checked_mul(n), premium.checked_mul(n)) {
        (Some(max_loss), Some(premium_outlay)) => Ok(Size {
            lots,
            quantity,
            max_loss,
            premium_outlay,
        }),
        _ => invalid("position value is too large to compute".to_string()),
    }
}

/// floor(`limit` / `per_lot`) as a lot count; 0 when `limit` is not positive.
fn whole_lots(limit: Decimal, per_lot: Decimal) -> u32 {
    if limit <= Decimal::ZERO || per_lot <= Decimal::ZERO {
        return 0;
    }
    limit
        .checked_div(per_lot)
        .map(|q| q.floor().to_u32().unwrap_or(u32::MAX))
        .unwrap_or(u32::MAX)
}
