//! mStock's API errors are the shared [`ApiError`](crate::net::error::ApiError) (the broker answers with the same envelope
//! and error types as Kite Connect's); this name is kept for the mStock code.

pub use crate::net::error::ApiError as MstockError;
