//! Option chain master (expiries and underlying tokens per exchange) and option chains. Their
//! exact shapes are not documented in detail, so they are returned as the broker's JSON `data`.

use serde_json::Value;

use super::client::{Idempotency, MstockClient};
use super::error::MstockError;
use super::http::{json_data, Request};
use super::limits;

impl MstockClient {
    /// `GET openapi/typea/getoptionchainmaster/{exchange_id}`: the `data` of the answer.
    pub fn option_chain_master(&mut self, exchange_id: u32) -> Result<Value, MstockError> {
        let req = Request::get(format!("openapi/typea/getoptionchainmaster/{exchange_id}"));
        self.call(limits::OTHER, Idempotency::Read, &req, json_data)
    }

    /// `GET openapi/typea/GetOptionChain/{exchange_id}/{expiry}/{token}`: the `data` of the
    /// answer (`expiry` as the master gives it).
    pub fn option_chain(
        &mut self,
        exchange_id: u32,
        expiry: &str,
        underlying_token: &str,
    ) -> Result<Value, MstockError> {
        let req = Request::get(format!(
            "openapi/typea/GetOptionChain/{exchange_id}/{expiry}/{underlying_token}"
        ));
        self.call(limits::QUOTES, Idempotency::Read, &req, json_data)
    }
}
