use super::{RiskBook, RiskConfig, RiskRejection};
use crate::market::Symbol;

/// Refuses a new position on `underlying` when a correlated group containing it already holds
/// `max_correlated_positions` open positions (positions on `underlying` itself count).
pub(super) fn check_correlated(
    config: &RiskConfig,
    underlying: &Symbol,
    book: &RiskBook,
) -> Result<(), RiskRejection> {
    for group in config.groups_of(underlying) {
        let open: usize = group.iter().map(|s| book.positions_in(s)).sum();
        if open >= config.max_correlated_positions as usize {
            return Err(RiskRejection::Correlated {
                open,
                group: group
                    .iter()
                    .map(Symbol::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                max: config.max_correlated_positions,
            });
        }
    }
    Ok(())
}
