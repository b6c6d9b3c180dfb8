//! Authentication and rate limiting of the API routes, as middleware: it resolves the key,
//! counts the request against the account's quotas, and writes the rate-limit headers on
//! the way out. Handlers take [`ApiAccount`] to know whose request it is.

use crate::accounts::store::{self, ResolvedKey};
use crate::auth::digest;
use crate::auth::keys::MAX_PRESENTED_LEN;
use crate::clock;
use crate::db::LocalReader;
use crate::error::Error;
use crate::http;
use crate::http::state::AppState;
use crate::ratelimit::Decision;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use std::future::{Ready, ready};

/// The account (and key) a request was authenticated as, with the account's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiAccount {
    pub account_id: i64,
    pub key_id: i64,
    pub limits: crate::accounts::Limits,
}

impl FromRequest for ApiAccount {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Absent only if a route was mounted outside the middleware: refuse, never guess.
        ready(
            req.extensions()
                .get::<ApiAccount>()
                .copied()
                .ok_or_else(Error::unauthorized),
        )
    }
}

/// The key from `x-api-key` or `Authorization: Bearer`. Never from the query string: URLs
/// end up in logs and browser histories.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    // A name, not a `&str`, which the map would parse on every request.
    const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
    let key = match headers.get(X_API_KEY) {
        Some(value) => value.to_str().ok()?.trim(),
        None => {
            let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
            let (scheme, token) = auth.split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            token.trim()
        }
    };
    (!key.is_empty() && key.len() <= MAX_PRESENTED_LEN).then_some(key)
}

pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let now = clock::now();
    // Refusals are answers, not errors: a dialect's middleware around this one (Wati's) can
    // then rewrite them.
    let (key, decision) = match admit(req.request(), now) {
        Ok(admitted) => admitted,
        Err(e) => return Ok(req.into_response(e.error_response()).map_into_right_body()),
    };
    if let Some(window) = decision.refused {
        let err = Error::limited(
            format!(
                "rate limit exceeded: this account's requests per {} are used up; retry in {} seconds",
                window.name(),
                decision.retry_after
            ),
            decision.retry_after,
        );
        let mut response = err.error_response();
        write_headers(response.headers_mut(), &decision);
        return Ok(req.into_response(response).map_into_right_body());
    }

    req.extensions_mut().insert(ApiAccount {
        account_id: key.account_id,
        key_id: key.key_id,
        limits: key.limits,
    });
    let mut response = next.call(req).await?;
    write_headers(response.headers_mut(), &decision);
    Ok(response.map_into_left_body())
}

/// The key `req` presents, counted against its account's quotas. The state and the
/// connection are borrowed from the request: cloning the shared state's handle would write
/// a counter every worker shares, on every request.
fn admit(req: &HttpRequest, now: clock::Timestamp) -> Result<(ResolvedKey, Decision), Error> {
    let state = http::worker_data::<web::Data<AppState>>(req)?;
    let key_digest = digest(presented_key(req.headers()).ok_or_else(Error::unauthorized)?);
    let key = match state.keys.get(&key_digest) {
        Some(key) => key,
        None => {
            let generation = state.keys.generation();
            let reader = http::worker_data::<LocalReader>(req)?;
            let key = reader.read(|conn| store::resolve_key(conn, &key_digest))?;
            let key = key.ok_or_else(Error::unauthorized)?;
            state.keys.insert(key_digest, key, generation);
            key
        }
    };
    let decision = state.limiter.check(key.account_id, &key.limits, now);
    if decision.refused.is_none() {
        state.keys.touch(key.key_id, now);
    }
    Ok((key, decision))
}

fn write_headers(headers: &mut HeaderMap, decision: &Decision) {
    let Some(tightest) = decision.tightest() else {
        return; // unlimited: no quota to describe
    };
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("x-ratelimit-limit", tightest.limit.to_string());
    set("x-ratelimit-remaining", tightest.remaining.to_string());
    set("x-ratelimit-reset", tightest.reset.to_string());
    set("ratelimit-policy", decision.policy_header());
    set("ratelimit", decision.state_header());
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn key_of(req: TestRequest) -> Option<String> {
        presented_key(req.to_http_request().headers()).map(str::to_string)
    }

    #[test]
    fn takes_the_key_from_either_header_only() {
        assert_eq!(
            key_of(TestRequest::default().insert_header(("x-api-key", " k1 "))),
            Some("k1".into())
        );
        assert_eq!(
            key_of(TestRequest::default().insert_header(("authorization", "Bearer k2"))),
            Some("k2".into())
        );
        assert_eq!(
            key_of(TestRequest::default().insert_header(("authorization", "bearer  k3"))),
            Some("k3".into())
        );
        assert_eq!(
            key_of(TestRequest::default().insert_header(("authorization", "Basic k4"))),
            None
        );
        assert_eq!(
            key_of(TestRequest::with_uri("/v1/x?x-api-key=k5&apiKey=k5")),
            None
        );
        assert_eq!(
            key_of(TestRequest::default().insert_header(("x-api-key", ""))),
            None
        );
        let huge = "k".repeat(MAX_PRESENTED_LEN + 1);
        assert_eq!(
            key_of(TestRequest::default().insert_header(("x-api-key", huge))),
            None
        );
    }
}
