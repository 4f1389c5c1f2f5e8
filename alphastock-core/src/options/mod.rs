//! Options analytics: Black-Scholes price, greeks and implied vol; strike selection; target and
//! stop-loss premium; the correlation table of learned option/underlying move multipliers.
