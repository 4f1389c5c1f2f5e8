//! Options analytics: Black-Scholes price, greeks and implied vol; time to expiry; tick
//! rounding; strike selection; target and stop-loss premium; the correlation table of learned
//! option/underlying move multipliers.

pub mod black_scholes;
pub mod bounds;
pub mod correlation;
pub mod implied_vol;
pub mod pricing;
pub mod strike;
pub mod tick;
pub mod time;

pub use black_scholes::{price, price_and_greeks, BsError, BsInput, Valuation};
pub use bounds::{BoundedLevels, PremiumBounds};
pub use correlation::{CorrelationKey, CorrelationTable, MovePair};
pub use implied_vol::{implied_vol, IvError};
pub use pricing::{OptionsPricingEngine, PremiumLevels, PricingError, PricingInput, TargetMethod};
pub use strike::{NoCandidate, StrikeChoice, StrikeSelectionConfig, StrikeSelector};
pub use tick::{
    round_down_to_tick, round_nearest_to_tick, round_to_tick, round_up_to_tick, TickError,
    TickRounding,
};
pub use time::{days_to_expiry, years_from_days, years_to_expiry, EXPIRY_TIME};
