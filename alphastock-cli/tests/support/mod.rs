//! Test support shared by the integration tests.

#![allow(dead_code)]

pub mod crash;
pub mod fake_http;
pub mod fake_kite;
pub mod fake_mstock;
pub mod live_config;
