//! The loop of `alphastock run`: event sources (simulated, replayed or live market), pacing,
//! the session that feeds the engine and carries out its actions through a broker, crash
//! recovery from the journal, and what is printed.

pub mod cadence;
pub mod executor;
pub mod feed;
pub mod funds;
pub mod live;
pub mod live_loop;
pub mod pace;
pub mod positions;
pub mod recovery;
pub mod report;
pub mod session;
pub mod sim_clock;
pub mod warm_start;
