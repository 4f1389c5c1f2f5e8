//! The latest option chain of an underlying as the engine holds it: priced whole (a broker's or
//! a recording's chain, [`Event::OptionChain`](super::Event::OptionChain)) or simulated and priced
//! only where read ([`Event::LazyChain`](super::Event::LazyChain)). A lazy chain prices the
//! window around ATM that strike selection, the learned filter and the IV regime read, the
//! whole chain for readers that may look anywhere (a strategy of the caller's own,
//! [`Engine::chain`](super::Engine::chain)), or single contracts, each at most once per chain;
//! every quote is the one the whole chain has.

use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::market::{OptionChain, OptionQuote, Symbol};
use crate::options::strike::watched_split;
use crate::sim::LazyChain;

/// An underlying's latest chain.
#[derive(Debug)]
pub(crate) enum HeldChain {
    /// Received with every quote priced.
    Priced(OptionChain),
    /// Received lazy; the parts read are priced once and kept until the next chain.
    Lazy {
        /// What the chain is priced from.
        chain: LazyChain,
        /// The contracts near ATM (see [`HeldChain::near_atm`]).
        window: OnceLock<OptionChain>,
        /// Every contract.
        whole: OnceLock<OptionChain>,
    },
}

impl HeldChain {
    /// A lazy chain, nothing priced yet.
    pub(crate) fn lazy(chain: LazyChain) -> Self {
        HeldChain::Lazy {
            chain,
            window: OnceLock::new(),
            whole: OnceLock::new(),
        }
    }

    /// The underlying.
    pub(crate) fn underlying(&self) -> &Symbol {
        match self {
            HeldChain::Priced(c) => &c.underlying,
            HeldChain::Lazy { chain, .. } => chain.underlying(),
        }
    }

    /// The expiry of the chain's contracts.
    pub(crate) fn expiry(&self) -> NaiveDate {
        match self {
            HeldChain::Priced(c) => c.expiry,
            HeldChain::Lazy { chain, .. } => chain.expiry(),
        }
    }

    /// The chain with every contract.
    pub(crate) fn whole(&self) -> &OptionChain {
        match self {
            HeldChain::Priced(c) => c,
            HeldChain::Lazy { chain, whole, .. } => whole.get_or_init(|| chain.to_chain()),
        }
    }

    /// The chain as readers of the strikes near ATM need it, strike selection with
    /// `strikes_per_side` watched strikes being the widest: a priced chain whole; a lazy one
    /// only the strikes within reach of the ATM strike (the watched ones on either side, plus
    /// two for the ATM strike, the spot's nearest, being the rounded spot's strike or a
    /// neighbour), which gives the same ATM strike and quotes, the same watched contracts and
    /// the same choice as the whole chain.
    pub(crate) fn near_atm(&self, strikes_per_side: usize) -> &OptionChain {
        match self {
            HeldChain::Priced(c) => c,
            HeldChain::Lazy {
                chain,
                window,
                whole,
            } => match whole.get() {
                Some(w) => w,
                None => window.get_or_init(|| {
                    let (itm, otm) = watched_split(strikes_per_side);
                    chain.around_atm(itm.max(otm).saturating_add(2))
                }),
            },
        }
    }

    /// The quote of the contract with this trading symbol, when the chain lists it.
    pub(crate) fn quote(&self, trading_symbol: &str) -> Option<OptionQuote> {
        match self {
            HeldChain::Priced(c) => c.by_trading_symbol(trading_symbol).cloned(),
            HeldChain::Lazy {
                chain,
                window,
                whole,
            } => match whole.get().or(window.get()) {
                Some(c) => c
                    .by_trading_symbol(trading_symbol)
                    .cloned()
                    .or_else(|| chain.by_trading_symbol(trading_symbol)),
                None => chain.by_trading_symbol(trading_symbol),
            },
        }
    }
}
