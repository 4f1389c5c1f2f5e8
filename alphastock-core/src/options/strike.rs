//! Strike selection: from the spot and an option chain, the ATM strike, the ITM/ATM/OTM strikes
//! watched on each of CE and PE, liquidity filtering, and the one contract to buy.
//!
//! Rules:
//! - **ATM** is the chain's strike nearest to spot. **Tie** (spot exactly half-way between two
//!   strikes): the **lower** strike, for both CE and PE (one ATM strike per chain).
//! - **Moneyness** is `strike / spot × 100` (percent; 100 = at the money). The class is taken
//!   relative to the ATM strike: for a CE, strikes below ATM are ITM and above are OTM; for a PE
//!   the reverse.
//! - **Watched strikes** per type: `strikes_per_side` strikes centred on ATM — ATM, then
//!   `(n − 1) / 2` ITM strikes and the rest OTM (3 → 1 ITM, ATM, 1 OTM; 4 → 1 ITM, ATM, 2 OTM).
//! - **Liquid** means open interest ≥ `min_oi`, volume ≥ `min_volume` (an unknown OI or volume
//!   fails a non-zero filter by name: unknown is never read as zero), both bid and ask present
//!   with spread ≤ `max_spread_pct` percent of mid, and a positive premium.
//! - **The contract bought** ([`StrikeSelector::choose`]) is the `choose` policy's strike (ATM by
//!   default; 1 strike ITM or 1 OTM from ATM otherwise). If it is illiquid, the nearest liquid
//!   watched strike of that type is taken instead (nearest to the preferred strike; on a tie the
//!   one nearer ATM). If none is liquid, the answer is [`NoCandidate`] listing why each was
//!   refused, with the filter and the numbers.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::{OptionChain, OptionQuote, OptionType};

/// Which strike the signal processor buys, relative to ATM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StrikePreference {
    /// The at-the-money strike (the default).
    #[default]
    Atm,
    /// One strike in the money.
    Itm,
    /// One strike out of the money.
    Otm,
}

impl StrikePreference {
    /// `atm`, `itm` or `otm`.
    pub fn as_str(self) -> &'static str {
        match self {
            StrikePreference::Atm => "atm",
            StrikePreference::Itm => "itm",
            StrikePreference::Otm => "otm",
        }
    }

    /// Position relative to ATM in strikes: 0 ATM, −1 one ITM, +1 one OTM.
    fn offset(self) -> i64 {
        match self {
            StrikePreference::Atm => 0,
            StrikePreference::Itm => -1,
            StrikePreference::Otm => 1,
        }
    }
}

/// `options_data_runner.strike_selection`: which strikes are watched and which are liquid
/// enough to trade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StrikeSelectionConfig {
    /// `strikes_per_side`: strikes watched on each of CE and PE, centred on ATM (default 3:
    /// 1 ITM, ATM, 1 OTM; at least 1).
    pub strikes_per_side: usize,
    /// `liquidity_filters`: minimum liquidity for a tradable contract.
    pub liquidity_filters: LiquidityFilters,
    /// `choose`: which strike the signal processor buys: `atm` (default), `itm` or `otm`
    /// (one strike from ATM).
    pub choose: StrikePreference,
}

impl Default for StrikeSelectionConfig {
    fn default() -> Self {
        Self {
            strikes_per_side: 3,
            liquidity_filters: LiquidityFilters::default(),
            choose: StrikePreference::Atm,
        }
    }
}

impl StrikeSelectionConfig {
    /// Problems as (key path relative to this section, reason); empty when valid.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.strikes_per_side == 0 {
            out.push((
                "strikes_per_side".to_string(),
                "must be at least 1 (the ATM strike)".to_string(),
            ));
        }
        if self.strikes_per_side > 50 {
            out.push((
                "strikes_per_side".to_string(),
                format!("must be at most 50, got {}", self.strikes_per_side),
            ));
        }
        if self.choose != StrikePreference::Atm && self.strikes_per_side < 3 {
            out.push((
                "choose".to_string(),
                format!(
                    "`{}` needs strikes_per_side of at least 3 so that strike is watched, got {}",
                    self.choose.as_str(),
                    self.strikes_per_side
                ),
            ));
        }
        out.extend(
            self.liquidity_filters
                .validate()
                .into_iter()
                .map(|(k, r)| (format!("liquidity_filters.{k}"), r)),
        );
        out
    }
}

/// `options_data_runner.strike_selection.liquidity_filters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LiquidityFilters {
    /// `min_oi`: minimum open interest, units (default 100).
    pub min_oi: u64,
    /// `min_volume`: minimum day volume, units (default 50).
    pub min_volume: u64,
    /// `max_spread_pct`: maximum bid/ask spread as percent of mid (default 5 = 5 %); 100
    /// switches the spread check off, so contracts quoted by their last price only (no
    /// bid/ask, as in some recorded chains) pass.
    pub max_spread_pct: Decimal,
}

impl Default for LiquidityFilters {
    fn default() -> Self {
        Self {
            min_oi: 100,
            min_volume: 50,
            max_spread_pct: Decimal::from(5),
        }
    }
}

impl LiquidityFilters {
    /// Problems as (key path relative to this section, reason); empty when valid.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.max_spread_pct <= Decimal::ZERO || self.max_spread_pct > Decimal::ONE_HUNDRED {
            out.push((
                "max_spread_pct".to_string(),
                format!(
                    "must be a percent above 0 and at most 100, got {}",
                    self.max_spread_pct
                ),
            ));
        }
        out
    }

    /// Why `quote` fails the filters, or `None` when it is liquid.
    pub fn rejection(&self, quote: &OptionQuote) -> Option<Illiquid> {
        if quote.premium <= Decimal::ZERO {
            return Some(Illiquid::NoPremium {
                premium: quote.premium,
            });
        }
        match quote.oi {
            None if self.min_oi > 0 => {
                return Some(Illiquid::OpenInterestUnknown {
                    min_oi: self.min_oi,
                })
            }
            Some(oi) if oi < self.min_oi => {
                return Some(Illiquid::OpenInterest {
                    oi,
                    min_oi: self.min_oi,
                })
            }
            _ => {}
        }
        match quote.volume {
            None if self.min_volume > 0 => {
                return Some(Illiquid::VolumeUnknown {
                    min_volume: self.min_volume,
                })
            }
            Some(volume) if volume < self.min_volume => {
                return Some(Illiquid::Volume {
                    volume,
                    min_volume: self.min_volume,
                })
            }
            _ => {}
        }
        // A cap of 100 % or more filters nothing: it also lets through contracts quoted by
        // their last price only (recorded chains without bid/ask).
        if self.max_spread_pct >= Decimal::ONE_HUNDRED {
            return None;
        }
        match quote.spread_pct() {
            None => Some(Illiquid::NoTwoSidedQuote),
            Some(spread) if spread > self.max_spread_pct => Some(Illiquid::Spread {
                spread_pct: spread.round_dp(2),
                max_spread_pct: self.max_spread_pct,
            }),
            Some(_) => None,
        }
    }
}

/// Why a contract failed the liquidity filters (the filter and the numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Illiquid {
    /// Last traded premium not positive.
    NoPremium {
        /// The premium, rupees.
        premium: Decimal,
    },
    /// Open interest below `min_oi`.
    OpenInterest {
        /// The contract's open interest, units.
        oi: u64,
        /// The filter, units.
        min_oi: u64,
    },
    /// Volume below `min_volume`.
    Volume {
        /// The contract's day volume, units.
        volume: u64,
        /// The filter, units.
        min_volume: u64,
    },
    /// The quote carries no open interest (the broker did not say), so `min_oi` cannot be
    /// checked. Unknown is not zero.
    OpenInterestUnknown {
        /// The filter, units.
        min_oi: u64,
    },
    /// The quote carries no day volume, so `min_volume` cannot be checked.
    VolumeUnknown {
        /// The filter, units.
        min_volume: u64,
    },
    /// No bid or no ask (or a crossed quote), so the spread filter cannot pass.
    NoTwoSidedQuote,
    /// Spread wider than `max_spread_pct`.
    Spread {
        /// The spread, percent of mid.
        spread_pct: Decimal,
        /// The filter, percent of mid.
        max_spread_pct: Decimal,
    },
}

impl fmt::Display for Illiquid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Illiquid::NoPremium { premium } => write!(f, "premium {premium} is not positive"),
            Illiquid::OpenInterest { oi, min_oi } => write!(f, "OI {oi} < min_oi {min_oi}"),
            Illiquid::Volume { volume, min_volume } => {
                write!(f, "volume {volume} < min_volume {min_volume}")
            }
            Illiquid::OpenInterestUnknown { min_oi } => write!(
                f,
                "open interest unknown (the quote carries none), so min_oi {min_oi} cannot be checked"
            ),
            Illiquid::VolumeUnknown { min_volume } => write!(
                f,
                "volume unknown (the quote carries none), so min_volume {min_volume} cannot be checked"
            ),
            Illiquid::NoTwoSidedQuote => {
                f.write_str("no two-sided bid/ask quote, so max_spread_pct cannot be checked")
            }
            Illiquid::Spread {
                spread_pct,
                max_spread_pct,
            } => write!(f, "spread {spread_pct}% > max_spread_pct {max_spread_pct}%"),
        }
    }
}

/// A strike's moneyness class for its option type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Moneyness {
    /// In the money.
    Itm,
    /// At the money (the ATM strike).
    Atm,
    /// Out of the money.
    Otm,
}

impl Moneyness {
    /// The class of `strike` for `option_type` given the chain's ATM strike.
    pub fn classify(option_type: OptionType, strike: Decimal, atm_strike: Decimal) -> Moneyness {
        use std::cmp::Ordering::*;
        match (strike.cmp(&atm_strike), option_type) {
            (Equal, _) => Moneyness::Atm,
            (Less, OptionType::CE) | (Greater, OptionType::PE) => Moneyness::Itm,
            (Greater, OptionType::CE) | (Less, OptionType::PE) => Moneyness::Otm,
        }
    }
}

impl fmt::Display for Moneyness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Moneyness::Itm => "ITM",
            Moneyness::Atm => "ATM",
            Moneyness::Otm => "OTM",
        })
    }
}

/// Moneyness as a percent: `strike / spot × 100` (100 = at the money). `None` when spot ≤ 0.
pub fn moneyness_pct(strike: Decimal, spot: Decimal) -> Option<Decimal> {
    if spot <= Decimal::ZERO {
        return None;
    }
    strike
        .checked_div(spot)
        .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
}

/// How `strikes_per_side` strikes of one option type are placed around ATM: `(itm, otm)`, the
/// strikes watched in the money and out of the money besides ATM itself — `(n − 1) / 2` ITM and
/// the rest OTM (3 → 1 ITM, ATM, 1 OTM; 4 → 1 ITM, ATM, 2 OTM; 0 counts as 1). The one meaning
/// of `strikes_per_side` everywhere: the selector watches these, and the live feed quotes
/// exactly these.
pub fn watched_split(strikes_per_side: usize) -> (usize, usize) {
    let n = strikes_per_side.max(1);
    let itm = (n - 1) / 2;
    (itm, n - 1 - itm)
}

/// The chain strike nearest to `spot`; on a tie the lower one. `None` for an empty list.
/// `strikes` must be ascending.
pub fn atm_strike(strikes: &[Decimal], spot: Decimal) -> Option<Decimal> {
    let mut best: Option<(Decimal, Decimal)> = None;
    for &k in strikes {
        let d = (k - spot).abs();
        match best {
            Some((_, bd)) if d >= bd => {}
            _ => best = Some((k, d)),
        }
    }
    best.map(|(k, _)| k)
}

/// One watched contract with its classification and liquidity.
#[derive(Debug, Clone, PartialEq)]
pub struct StrikeCandidate {
    /// The quote from the chain.
    pub quote: OptionQuote,
    /// Strikes away from ATM, signed towards OTM: 0 ATM, −1 one ITM, +2 two OTM.
    pub offset: i64,
    /// ITM, ATM or OTM for its type.
    pub moneyness: Moneyness,
    /// `strike / spot × 100`, percent.
    pub moneyness_pct: Decimal,
    /// Why it fails the liquidity filters; `None` when liquid.
    pub illiquid: Option<Illiquid>,
}

impl StrikeCandidate {
    /// True when it passes the liquidity filters.
    pub fn is_liquid(&self) -> bool {
        self.illiquid.is_none()
    }
}

/// The watched strikes of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct StrikeSet {
    /// The ATM strike, rupees.
    pub atm_strike: Decimal,
    /// Watched CE contracts, most ITM first (ascending strike).
    pub calls: Vec<StrikeCandidate>,
    /// Watched PE contracts, most ITM first (descending strike).
    pub puts: Vec<StrikeCandidate>,
}

/// The contract chosen for a trade.
#[derive(Debug, Clone, PartialEq)]
pub struct StrikeChoice {
    /// The chosen contract's quote.
    pub quote: OptionQuote,
    /// ITM, ATM or OTM for its type.
    pub moneyness: Moneyness,
    /// `strike / spot × 100`, percent.
    pub moneyness_pct: Decimal,
    /// Strikes away from ATM, signed towards OTM.
    pub offset: i64,
    /// The chain's ATM strike, rupees.
    pub atm_strike: Decimal,
    /// True when the preferred strike was illiquid and a neighbour was taken.
    pub fallback: bool,
}

/// Why no contract can be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoCandidate {
    /// The spot is zero or negative.
    #[error("no candidate: spot {0} is not a positive price")]
    BadSpot(Decimal),
    /// The chain has no quotes at all.
    #[error("no candidate: the option chain for {underlying} is empty")]
    EmptyChain {
        /// The chain's underlying.
        underlying: String,
    },
    /// The chain has no quotes of the wanted type.
    #[error("no candidate: the chain for {underlying} has no {option_type} quotes")]
    NoQuotesOfType {
        /// The chain's underlying.
        underlying: String,
        /// CE or PE.
        option_type: OptionType,
    },
    /// Every watched strike failed a liquidity filter.
    #[error("no candidate: no liquid {option_type} among {} watched strike(s) around ATM {atm_strike}: {}", .rejected.len(), format_rejections(.rejected, *.option_type))]
    Illiquid {
        /// CE or PE.
        option_type: OptionType,
        /// The ATM strike, rupees.
        atm_strike: Decimal,
        /// Each watched strike with why it was refused.
        rejected: Vec<(Decimal, Illiquid)>,
    },
}

fn format_rejections(rejected: &[(Decimal, Illiquid)], option_type: OptionType) -> String {
    rejected
        .iter()
        .map(|(k, why)| format!("{k} {option_type} {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Picks watched strikes and the contract to buy from a chain (see the module docs for the
/// rules).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrikeSelector {
    /// The settings.
    pub config: StrikeSelectionConfig,
}

impl StrikeSelector {
    /// A selector with these settings.
    pub fn new(config: StrikeSelectionConfig) -> Self {
        Self { config }
    }

    /// The watched strikes of both types around the ATM strike.
    pub fn select(&self, spot: Decimal, chain: &OptionChain) -> Result<StrikeSet, NoCandidate> {
        let (atm, strikes) = self.atm(spot, chain)?;
        Ok(StrikeSet {
            atm_strike: atm,
            calls: self.watched(spot, chain, &strikes, atm, OptionType::CE),
            puts: self.watched(spot, chain, &strikes, atm, OptionType::PE),
        })
    }

    /// The contract of `option_type` to buy: the configured preference (ATM by default), else the
    /// nearest liquid watched strike; [`NoCandidate`] with the reasons when there is none.
    pub fn choose(
        &self,
        spot: Decimal,
        chain: &OptionChain,
        option_type: OptionType,
    ) -> Result<StrikeChoice, NoCandidate> {
        let (atm, strikes) = self.atm(spot, chain)?;
        let watched = self.watched(spot, chain, &strikes, atm, option_type);
        if watched.is_empty() {
            return Err(NoCandidate::NoQuotesOfType {
                underlying: chain.underlying.to_string(),
                option_type,
            });
        }
        let want = self.config.choose.offset();
        let mut order: Vec<&StrikeCandidate> = watched.iter().collect();
        order.sort_by_key(|c| ((c.offset - want).abs(), c.offset.abs()));
        if let Some(c) = order.iter().find(|c| c.is_liquid()) {
            return Ok(StrikeChoice {
                quote: c.quote.clone(),
                moneyness: c.moneyness,
                moneyness_pct: c.moneyness_pct,
                offset: c.offset,
                atm_strike: atm,
                fallback: c.offset != want,
            });
        }
        Err(NoCandidate::Illiquid {
            option_type,
            atm_strike: atm,
            rejected: order
                .iter()
                .filter_map(|c| c.illiquid.clone().map(|why| (c.quote.contract.strike, why)))
                .collect(),
        })
    }

    fn atm(
        &self,
        spot: Decimal,
        chain: &OptionChain,
    ) -> Result<(Decimal, Vec<Decimal>), NoCandidate> {
        if spot <= Decimal::ZERO {
            return Err(NoCandidate::BadSpot(spot));
        }
        let strikes = chain.strikes();
        match atm_strike(&strikes, spot) {
            Some(atm) => Ok((atm, strikes)),
            None => Err(NoCandidate::EmptyChain {
                underlying: chain.underlying.to_string(),
            }),
        }
    }

    /// Watched contracts of one type, most ITM first.
    fn watched(
        &self,
        spot: Decimal,
        chain: &OptionChain,
        strikes: &[Decimal],
        atm: Decimal,
        option_type: OptionType,
    ) -> Vec<StrikeCandidate> {
        let (itm, otm) = watched_split(self.config.strikes_per_side);
        let (itm, otm) = (itm as i64, otm as i64);
        // Strikes of this type present in the chain, ascending.
        let typed: Vec<Decimal> = strikes
            .iter()
            .copied()
            .filter(|&k| chain.get(k, option_type).is_some())
            .collect();
        // Index of ATM among the typed strikes (or the nearest to it when the ATM strike has no
        // quote of this type).
        let Some(centre) = atm_strike(&typed, atm) else {
            return Vec::new();
        };
        let Some(ci) = typed.iter().position(|&k| k == centre) else {
            return Vec::new();
        };
        let ci = ci as i64;
        let mut out = Vec::new();
        for (i, &k) in typed.iter().enumerate() {
            // Offset in strikes, positive towards OTM for this type.
            let raw = i as i64 - ci;
            let offset = match option_type {
                OptionType::CE => raw,
                OptionType::PE => -raw,
            };
            let offset = if k == centre { 0 } else { offset };
            if offset < -itm || offset > otm {
                continue;
            }
            let Some(q) = chain.get(k, option_type) else {
                continue;
            };
            out.push(StrikeCandidate {
                quote: q.clone(),
                offset,
                moneyness: Moneyness::classify(option_type, k, atm),
                moneyness_pct: moneyness_pct(k, spot).unwrap_or_default().round_dp(4),
                illiquid: self.config.liquidity_filters.rejection(q),
            });
        }
        out.sort_by_key(|c| c.offset);
        out
    }
}
