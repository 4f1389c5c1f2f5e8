//! The I/O shell around `alphastock-core`: the mStock and Kite clients, the paper broker, SQLite
//! storage and the run loop. The `alphastock` binary is a thin `clap` front end over this library.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alerts;
pub mod broker;
pub mod commands;
pub mod dashboard;
pub mod kite;
pub mod logging;
pub mod monitor;
pub mod mstock;
pub mod net;
pub mod runner;
pub mod store;
