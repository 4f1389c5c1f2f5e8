//! What every broker client has the same way, written once: `broker_link!` gives a client
//! struct its `Debug` (never showing a secret), its session accessors and its entry points into
//! the request pipeline. A client using it has the fields `pipeline: Pipeline`, `credentials`
//! (with `api_key: Secret`) and `access_token: Option<Secret>`, and implements
//! [`SessionCalls`](super::pipeline::SessionCalls) for how it gets and renews a session.

/// Implements the shared accessors of broker client `$client`, whose unauthenticated calls
/// (logins) count against the endpoint class `$other`.
macro_rules! broker_link {
    ($client:ident, $other:path) => {
        impl std::fmt::Debug for $client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($client))
                    .field("base_url", &self.pipeline.base_url())
                    .field("credentials", &self.credentials)
                    .field("logged_in", &self.access_token.is_some())
                    .field("breaker", &self.pipeline.breaker_state())
                    .finish()
            }
        }

        impl $client {
            /// Uses `token` as the access token (e.g. one read from the cache).
            pub fn set_access_token(&mut self, token: $crate::net::Secret) {
                self.access_token = Some(token);
            }

            /// True once an access token is held.
            pub fn is_logged_in(&self) -> bool {
                self.access_token.is_some()
            }

            /// The circuit breaker's state.
            pub fn breaker_state(&self) -> $crate::net::breaker::BreakerState {
                self.pipeline.breaker_state()
            }

            /// How much of each rate-limit window of `class` this client has used (for
            /// `alphastock doctor`).
            pub fn rate_usage(
                &self,
                class: $crate::net::rate_limit::EndpointClass,
            ) -> Vec<$crate::net::rate_limit::WindowUse> {
                self.pipeline.rate_usage(class)
            }

            /// The request pipeline (breaker and rate-limit state, for reports).
            pub fn pipeline_ref(&self) -> &$crate::net::pipeline::Pipeline {
                &self.pipeline
            }

            /// Sends an authenticated request through the whole pipeline and parses its
            /// answer ([`SessionCalls::call`](crate::net::pipeline::SessionCalls::call)).
            pub(crate) fn call<T>(
                &mut self,
                class: $crate::net::rate_limit::EndpointClass,
                idempotency: $crate::net::pipeline::Idempotency,
                req: &$crate::net::http::Request,
                parse: impl Fn(&$crate::net::http::RawResponse) -> Result<T, $crate::net::ApiError>,
            ) -> Result<T, $crate::net::ApiError> {
                $crate::net::pipeline::SessionCalls::call(self, class, idempotency, req, parse)
            }

            /// Sends a request without the session header (the login calls), once.
            pub(crate) fn call_unauthenticated<T>(
                &mut self,
                req: &$crate::net::http::Request,
                parse: impl Fn(&$crate::net::http::RawResponse) -> Result<T, $crate::net::ApiError>,
            ) -> Result<T, $crate::net::ApiError> {
                self.pipeline.attempts(
                    $other,
                    $crate::net::pipeline::Idempotency::Write,
                    req,
                    None,
                    &parse,
                )
            }

            /// Sleeps on the client's clock (between reconciliation reads).
            pub(crate) fn pause(&self, d: std::time::Duration) {
                self.pipeline.pause(d);
            }

            /// The (API key, access token) pair of the session header, when a token is held.
            fn link_auth(&self) -> Option<($crate::net::Secret, $crate::net::Secret)> {
                self.access_token
                    .clone()
                    .map(|t| (self.credentials.api_key.clone(), t))
            }
        }
    };
}

pub(crate) use broker_link;
