//! The HTTP layer: a `ureq` agent with connect/read timeouts and verified TLS, requests with the
//! broker's API-version header (`X-Mirae-Version: 1` for mStock, `X-Kite-Version: 3` for Kite),
//! and the broker's JSON envelope turned into data or a typed [`ApiError`]. Both brokers answer
//! with the same `{"status":"success","data":..}` / `{"status":"error","error_type":..}`
//! envelope and take `Authorization: token {api_key}:{access_token}` (Kite Connect v3 docs,
//! "Response structure" and "Authentication", read December 2026).

use std::time::Duration;

use serde_json::Value;

use super::error::ApiError;
use super::secret::Secret;

/// HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST with a form body.
    Post,
    /// PUT with a form body.
    Put,
    /// DELETE.
    Delete,
}

/// One request, relative to the base URL.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Path under the base URL, e.g. `openapi/typea/orders`.
    pub path: String,
    /// Query pairs (repeated keys allowed, e.g. `i=NSE:SBIN&i=NSE:INFY`).
    pub query: Vec<(String, String)>,
    /// Form fields (sent as `application/x-www-form-urlencoded` for POST/PUT).
    pub form: Vec<(String, Secret)>,
}

impl Request {
    /// A GET of `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::Get,
            path: path.into(),
            query: Vec::new(),
            form: Vec::new(),
        }
    }

    /// A request of `method` to `path` with form fields (values kept as secrets so a debug
    /// print of the request never shows a password or token).
    pub fn form(method: Method, path: impl Into<String>, form: Vec<(&str, Secret)>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            form: form.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}

/// A complete HTTP answer.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// `Retry-After`, when given in seconds.
    pub retry_after: Option<Duration>,
    /// `Content-Type`, lower-case.
    pub content_type: String,
    /// The server's `Date` header as sent (RFC 7231 form), when given: `alphastock doctor`
    /// compares it with this machine's clock.
    pub date: Option<String>,
    /// The body.
    pub body: String,
}

/// What a [`Transport`] needs: where and how patiently to talk, and the version header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportSettings {
    /// API root, e.g. `https://api.kite.trade`.
    pub base_url: String,
    /// TCP/TLS connect timeout, milliseconds.
    pub connect_timeout_ms: u64,
    /// Time allowed for a whole response, milliseconds.
    pub read_timeout_ms: u64,
    /// The API-version header sent with every request (name, value).
    pub version_header: (&'static str, &'static str),
}

/// The base URL in effect: the environment variable `env_var` (read through `lookup`) when set
/// and not blank, else `configured`; without a trailing slash.
pub fn effective_base_url(
    configured: &str,
    env_var: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> String {
    lookup(env_var)
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| configured.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// The `ureq` agent, base URL and version header.
#[derive(Debug, Clone)]
pub struct Transport {
    agent: ureq::Agent,
    base_url: String,
    version_header: (&'static str, &'static str),
}

/// Largest body accepted (the script master CSV is tens of megabytes), bytes.
const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

impl Transport {
    /// An agent with the configured timeouts. TLS certificates are verified (ureq's default;
    /// never turned off). HTTP error statuses are returned as responses, not errors, so the
    /// broker's error envelope can be read.
    pub fn new(cfg: &TransportSettings) -> Self {
        let read = Some(Duration::from_millis(cfg.read_timeout_ms));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_millis(cfg.connect_timeout_ms)))
            .timeout_recv_response(read)
            .timeout_recv_body(read)
            .timeout_send_body(read)
            .user_agent(concat!("alphastock/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Self {
            agent,
            base_url: cfg.base_url.trim_end_matches('/').to_string(),
            version_header: cfg.version_header,
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends `req` with the version header and, when given, `Authorization: token
    /// {api_key}:{access_token}`.
    pub fn send(
        &self,
        req: &Request,
        auth: Option<(&Secret, &Secret)>,
    ) -> Result<RawResponse, ApiError> {
        let url = format!("{}/{}", self.base_url, req.path.trim_start_matches('/'));
        let auth_value = auth.map(|(k, t)| format!("token {}:{}", k.expose(), t.expose()));
        let form = req.form.iter().map(|(k, v)| (k.as_str(), v.expose()));
        let query = req.query.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let result = match req.method {
            Method::Get | Method::Delete => {
                let mut b = if req.method == Method::Get {
                    self.agent.get(&url)
                } else {
                    self.agent.delete(&url)
                }
                .header(self.version_header.0, self.version_header.1)
                .query_pairs(query);
                if let Some(a) = &auth_value {
                    b = b.header("Authorization", a);
                }
                b.call()
            }
            Method::Post | Method::Put => {
                let mut b = if req.method == Method::Post {
                    self.agent.post(&url)
                } else {
                    self.agent.put(&url)
                }
                .header(self.version_header.0, self.version_header.1)
                .query_pairs(query);
                if let Some(a) = &auth_value {
                    b = b.header("Authorization", a);
                }
                b.send_form(form)
            }
        };
        let mut resp = result.map_err(classify)?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
        };
        let retry_after = header("retry-after")
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let content_type = header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let date = header("date");
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(|e| ApiError::NoAnswer(format!("reading the response body: {e}")))?;
        Ok(RawResponse {
            status,
            retry_after,
            content_type,
            date,
            body,
        })
    }
}

/// Sorts a `ureq` failure into "never sent" (safe to repeat anything) and "no answer" (the
/// broker may have acted).
fn classify(e: ureq::Error) -> ApiError {
    use ureq::Timeout;
    match &e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::BadUri(_) => {
            ApiError::NotSent(e.to_string())
        }
        ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => {
            ApiError::NotSent(e.to_string())
        }
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable
            ) || is_name_resolution_failure(io) =>
        {
            ApiError::NotSent(e.to_string())
        }
        _ => ApiError::NoAnswer(e.to_string()),
    }
}

/// True when an I/O error is a failed host name lookup (the system resolver's error, which
/// the standard library reports as "failed to lookup address information: ..."): nothing was
/// sent.
fn is_name_resolution_failure(io: &std::io::Error) -> bool {
    io.to_string().contains("failed to lookup address")
}

/// How the broker's `status` field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeStatus {
    /// `"success"`, `"true"` or `true`.
    Success,
    /// `"error"`, `"false"` or `false` (the Type B spelling).
    Error,
    /// No `status` field.
    Missing,
}

/// Reads the `status` field in every form the broker uses: the strings `"success"`/`"error"`
/// (Type A), `"true"`/`"false"` and the booleans `true`/`false` (Type B, and some Type A
/// answers seen by public clients). `Err` carries an unrecognised value, for the message.
pub fn envelope_status(
    envelope: &serde_json::Map<String, Value>,
) -> Result<EnvelopeStatus, String> {
    match envelope.get("status") {
        None | Some(Value::Null) => Ok(EnvelopeStatus::Missing),
        Some(Value::Bool(true)) => Ok(EnvelopeStatus::Success),
        Some(Value::Bool(false)) => Ok(EnvelopeStatus::Error),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "success" | "true" | "ok" => Ok(EnvelopeStatus::Success),
            "error" | "false" | "failure" | "failed" => Ok(EnvelopeStatus::Error),
            _ => Err(s.clone()),
        },
        Some(other) => Err(other.to_string()),
    }
}

/// The envelope object of a body: the object itself, or the single element of a one-element
/// array around it. The official SDK (`tradingapi_a/mconnect.py`, `_request`: `if
/// type(data)==list: data=data[0]`) unwraps such arrays; the placement answer is recorded as
/// one (`mock_responses/place_order.json` in the SDK's repository).
pub fn envelope_object(body: &Value) -> Option<&serde_json::Map<String, Value>> {
    match body {
        Value::Object(map) => Some(map),
        Value::Array(items) if items.len() == 1 => items[0].as_object(),
        _ => None,
    }
}

/// Reads the JSON envelope: `data` of a success, or the typed error.
///
/// As both official SDKs do, the **body, not the HTTP code, decides**: many broker errors
/// arrive as HTTP 200. A body is an error when its `status` reads error (`"error"`, `false`,
/// `"false"`; mStock's `tradingapi_a/mconnect.py`, `_request`) **or when it carries an
/// `error_type` at all, whatever its `status` says** (Kite's `kiteconnect/connect.py`,
/// `_request`: `if data.get("status") == "error" or data.get("error_type")`, then the exception
/// class named by `error_type`; pykiteconnect commit f5531bd, April 2026). A one-element array
/// around the envelope is unwrapped (mStock's `_request`: `if type(data)==list: data=data[0]`).
/// An error without `error_type` is a `GeneralException`, both SDKs' fallback class; what each
/// class means for a retry or an order in doubt is [`super::error::ErrorClass`].
///
/// Where an SDK is laxer than this reader, the stricter reading is kept for both brokers,
/// because acting on a misread answer costs money: mStock's SDK takes a body with a success
/// status and an `error_type` for a success (Kite's does not), and neither checks an error
/// status in another spelling, an HTTP error status with a success envelope, or an unknown
/// status value, which are refused here.
pub fn json_data(raw: &RawResponse) -> Result<Value, ApiError> {
    if raw.status == 429 {
        return Err(ApiError::RateLimited {
            retry_after: raw.retry_after,
        });
    }
    let parsed: Value = match serde_json::from_str(&raw.body) {
        Ok(v) => v,
        Err(_) if raw.status >= 400 => {
            return Err(ApiError::Http {
                status: raw.status,
                snippet: snippet(&raw.body),
            })
        }
        Err(e) => {
            return Err(ApiError::Malformed(format!(
                "{e} (body starts {:?})",
                snippet(&raw.body)
            )))
        }
    };
    let Some(map) = envelope_object(&parsed) else {
        if raw.status >= 400 {
            return Err(ApiError::Http {
                status: raw.status,
                snippet: snippet(&raw.body),
            });
        }
        return Err(ApiError::Malformed(format!(
            "expected a JSON object with `status` and `data` (or a one-element array around one), body starts {:?}",
            snippet(&raw.body)
        )));
    };
    let status = envelope_status(map).map_err(|v| {
        ApiError::Malformed(format!("unknown `status` value {v} in the broker's answer"))
    })?;
    let text = |k: &str| match map.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let error_type = text("error_type").or_else(|| text("errorType"));
    if raw.status >= 400 || status == EnvelopeStatus::Error || error_type.is_some() {
        return Err(ApiError::Api {
            status: raw.status,
            error_type: error_type.unwrap_or_else(|| "GeneralException".to_string()),
            message: text("message")
                .or_else(|| text("error"))
                .or_else(|| text("errorcode"))
                .unwrap_or_else(|| "(no message)".to_string()),
        });
    }
    if status == EnvelopeStatus::Missing && !map.contains_key("data") {
        return Err(ApiError::Malformed(
            "the broker's answer has neither `status` nor `data`".to_string(),
        ));
    }
    Ok(map.get("data").cloned().unwrap_or(Value::Null))
}

/// Checks the status of a non-JSON answer (the script master CSV) and returns its body.
pub fn text_body(raw: &RawResponse) -> Result<String, ApiError> {
    if raw.status == 429 || raw.status >= 400 || raw.content_type.contains("json") {
        // Error answers come as the JSON envelope (or an HTML page).
        json_data(raw)?;
        return Err(ApiError::Malformed(
            "expected CSV, got a JSON answer".to_string(),
        ));
    }
    Ok(raw.body.clone())
}

/// The first 120 characters of a body, on one line.
fn snippet(body: &str) -> String {
    body.chars()
        .take(120)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            retry_after: None,
            content_type: "application/json".into(),
            date: None,
            body: body.into(),
        }
    }

    #[test]
    fn a_host_name_that_does_not_resolve_is_never_sent() {
        let cfg = TransportSettings {
            base_url: "http://alphastock-no-such-host.invalid".into(),
            connect_timeout_ms: 2000,
            read_timeout_ms: 2000,
            version_header: ("X-Mirae-Version", "1"),
        };
        let err = Transport::new(&cfg)
            .send(&Request::get("openapi/typea/orders"), None)
            .unwrap_err();
        assert!(matches!(err, ApiError::NotSent(_)), "{err:?}");
        assert!(!err.outcome_unknown());
    }

    #[test]
    fn envelope_becomes_data_or_typed_error() {
        let ok = json_data(&raw(200, r#"{"status":"success","data":{"order_id":"1"}}"#)).unwrap();
        assert_eq!(ok["order_id"], "1");
        let err = json_data(&raw(
            403,
            r#"{"status":"error","message":"Invalid session","error_type":"TokenException"}"#,
        ))
        .unwrap_err();
        assert!(err.is_token_expired());
        assert!(!err.is_transient());
        let err = json_data(&raw(
            200,
            r#"{"status":"error","message":"bad qty","error_type":"InputException"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            err,
            ApiError::Api {
                status: 200,
                error_type: "InputException".into(),
                message: "bad qty".into()
            }
        );
        let err = json_data(&raw(502, "<html><body>Bad Gateway</body></html>")).unwrap_err();
        assert!(matches!(err, ApiError::Http { status: 502, .. }) && err.is_transient());
        let err = json_data(&raw(200, "{\"status\":\"succ")).unwrap_err();
        assert!(matches!(err, ApiError::Malformed(_)));
    }

    #[test]
    fn every_status_spelling_and_array_wrapping_is_read() {
        for ok in [
            r#"{"status":"success","data":7}"#,
            r#"{"status":"true","data":7}"#,
            r#"{"status":true,"data":7}"#,
            r#"[{"status":"success","data":7}]"#,
            r#"{"data":7}"#,
        ] {
            assert_eq!(json_data(&raw(200, ok)).unwrap(), Value::from(7), "{ok}");
        }
        for bad in [
            r#"{"status":"error","message":"m"}"#,
            r#"{"status":"false","message":"m"}"#,
            r#"{"status":false,"message":"m"}"#,
            r#"[{"status":false,"message":"m"}]"#,
        ] {
            assert_eq!(
                json_data(&raw(200, bad)).unwrap_err(),
                ApiError::Api {
                    status: 200,
                    error_type: "GeneralException".into(),
                    message: "m".into()
                },
                "{bad}"
            );
        }
        // A success envelope with an HTTP error status is still an error.
        // An `error_type` makes the body an error whatever its `status` says (Kite's SDK).
        for (body, class) in [
            (
                r#"{"status":"success","error_type":"OrderException","message":"m","data":{"order_id":"1"}}"#,
                "OrderException",
            ),
            (
                r#"{"error_type":"NetworkException","message":"m","data":null}"#,
                "NetworkException",
            ),
            (
                r#"[{"status":true,"error_type":"TokenException","message":"m"}]"#,
                "TokenException",
            ),
        ] {
            assert_eq!(
                json_data(&raw(200, body)).unwrap_err(),
                ApiError::Api {
                    status: 200,
                    error_type: class.into(),
                    message: "m".into()
                },
                "{body}"
            );
        }
        // An empty or null `error_type` on a success is no error (the SDK tests truthiness).
        for ok in [
            r#"{"status":"success","error_type":"","data":7}"#,
            r#"{"status":"success","error_type":null,"data":7}"#,
        ] {
            assert_eq!(json_data(&raw(200, ok)).unwrap(), Value::from(7), "{ok}");
        }
        let err = json_data(&raw(500, r#"{"status":"success","data":1}"#)).unwrap_err();
        assert!(matches!(err, ApiError::Api { status: 500, .. }));
        // Shapes that cannot be read with confidence.
        for odd in [
            r#"{"status":"maybe","data":1}"#,
            r#"[]"#,
            r#"[{"status":"success","data":1},{"status":"success","data":2}]"#,
            r#"{"message":"m"}"#,
        ] {
            let err = json_data(&raw(200, odd)).unwrap_err();
            assert!(matches!(err, ApiError::Malformed(_)), "{odd}: {err:?}");
        }
    }
}
