//! The live market feed: underlying quotes polled through the broker every
//! `market_data_runner.frequency_seconds` (as few calls as the batch size allows) and, every
//! `options_data_runner.frequency_seconds`, quotes of the option contracts around each
//! underlying's spot (the strike selector's window) turned into option chains. Both cadences run
//! on a fixed grid: a slow call never makes the loop drift, missed ticks are skipped.
