//! One attempt to deliver an event: the signed `POST`, and what its answer means.

use super::destination::{Destinations, Resolver};
use super::model::signature;
use super::outbox::{Attempted, Due, Outcome};
use super::store;
use crate::clock;
use crate::secrets::SecretKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The most of an answer's body read to keep its connection.
const DRAIN_LIMIT: usize = 64 * 1024;

/// Sends attempts: one HTTP client for every endpoint, which never follows a redirect and,
/// unless the operator allows private addresses, resolves names to public addresses only.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    destinations: Destinations,
    key: Option<SecretKey>,
}

impl Sender {
    pub fn new(destinations: Destinations, key: Option<SecretKey>, timeout: Duration) -> Sender {
        crate::channels::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard-webhooks/", env!("CARGO_PKG_VERSION")));
        if !destinations.allow_private {
            builder = builder.dns_resolver(Arc::new(Resolver));
        }
        Sender {
            client: builder.build().expect("the HTTP client builds"),
            destinations,
            key,
        }
    }

    /// Attempts `due` once. Errors say what happened without the URL's query or the
    /// secret.
    pub async fn attempt(&self, due: &Due) -> Attempted {
        let started = Instant::now();
        let result = self.post(due).await;
        let duration_ms = started.elapsed().as_millis() as i64;
        let (outcome, http_status, error) = match result {
            Ok(status) if status.is_success() => (Outcome::Succeeded, Some(status.as_u16()), None),
            Ok(status) if status == reqwest::StatusCode::GONE => (
                Outcome::Gone,
                Some(410),
                Some("the receiver answered 410 Gone: the endpoint is disabled".to_string()),
            ),
            Ok(status) => (
                Outcome::Failed,
                Some(status.as_u16()),
                Some(format!("the receiver answered {status}")),
            ),
            Err(why) => (Outcome::Failed, None, Some(why)),
        };
        Attempted {
            delivery_id: due.delivery_id,
            endpoint_id: due.endpoint_id,
            attempt: due.attempt + 1,
            outcome,
            http_status,
            duration_ms,
            error,
        }
    }

    async fn post(&self, due: &Due) -> Result<reqwest::StatusCode, String> {
        let url = url::Url::parse(&due.url).map_err(|e| format!("the URL does not read: {e}"))?;
        self.destinations.check_literal(&url)?;
        let secrets = due
            .secrets
            .iter()
            .map(|s| store::open(due.account_id, s, self.key.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let timestamp = clock::now();
        let signed = signature(&secrets, &due.event_id, timestamp, due.payload.as_bytes())?;
        let res = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &due.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(due.payload.clone())
            .send()
            .await
            .map_err(|e| {
                let e = e.without_url();
                if e.is_timeout() {
                    format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
                } else if e.is_connect() {
                    format!("could not connect: {}", source_chain(&e))
                } else {
                    format!("the request failed: {}", source_chain(&e))
                }
            })?;
        let status = res.status();
        drain(res).await;
        Ok(status)
    }
}

/// Reads a short answer to its end, so that the connection goes back to the pool; a long
/// one is dropped with its connection (the body says nothing the status does not).
async fn drain(mut res: reqwest::Response) {
    let mut left = DRAIN_LIMIT;
    while let Ok(Some(chunk)) = res.chunk().await {
        left = match left.checked_sub(chunk.len()) {
            Some(left) => left,
            None => return,
        };
    }
}

/// An error and its causes, `: `-joined (reqwest's own message alone says little).
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
