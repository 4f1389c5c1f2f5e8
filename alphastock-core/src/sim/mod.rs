//! Deterministic simulated market (seeded): underlying price paths and option chains priced from a
//! volatility surface. Pure: the seed is passed in, no global randomness.
