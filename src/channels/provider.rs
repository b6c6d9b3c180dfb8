//! Where each provider's API is, one request to it, and what its answer means for the
//! message: the one place that decides which failures are worth another try.

use crate::delivery::transport::{Refusal, codes};
use crate::messages::model::Channel;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use std::time::Duration;

const GRAPH_API: &str = "https://graph.facebook.com/v21.0";
const BOT_API: &str = "https://api.telegram.org";

/// Where each provider's API is: the public one, unless the operator names another
/// (`--provider-url`) for a proxy, an air-gapped install or a test stand-in. Never an
/// account's choice: a tenant who could pick the host would receive the stored tokens
/// there and could probe the server's network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUrls([String; 4]);

impl Default for ProviderUrls {
    fn default() -> ProviderUrls {
        ProviderUrls(Channel::ALL.map(|c| match c {
            Channel::Telegram => BOT_API.to_string(),
            _ => GRAPH_API.to_string(),
        }))
    }
}

impl ProviderUrls {
    /// The base URL requests for `channel` start with (no trailing `/`).
    pub fn of(&self, channel: Channel) -> &str {
        &self.0[channel as usize]
    }

    pub fn set(&mut self, channel: Channel, url: &str) {
        self.0[channel as usize] = url.trim_end_matches('/').to_string();
    }

    /// One `CHANNEL=URL` setting, as `--provider-url` and `SWITCHBOARD_PROVIDER_URLS` take it.
    pub fn parse_entry(entry: &str) -> Result<(Channel, String), String> {
        let (name, url) = entry.split_once('=').ok_or_else(|| {
            format!("{entry:?}: expected CHANNEL=URL, e.g. whatsapp=http://10.0.0.5:8080/v21.0")
        })?;
        let channel = Channel::parse(name.trim()).ok_or_else(|| {
            format!("{name:?}: not a channel (whatsapp, telegram, instagram, messenger)")
        })?;
        let parsed = url::Url::parse(url.trim()).map_err(|e| format!("{url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("{url:?}: expected an http:// or https:// URL"));
        }
        Ok((channel, url.trim().trim_end_matches('/').to_string()))
    }
}

/// The client every provider call goes through, each allowed `timeout` in all. It never
/// follows a redirect: a provider answers where it was asked, and a token must not travel
/// to wherever a 3xx points.
pub fn client(timeout: Duration) -> reqwest::Client {
    super::install_tls_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds")
}

/// Where the providers are and the client that reaches them, for calls made outside the
/// delivery worker (a template sync).
#[derive(Clone)]
pub struct Providers {
    pub client: reqwest::Client,
    pub urls: ProviderUrls,
}

/// A provider's answer: its status, its `Retry-After` (in seconds) and its JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Value,
}

/// Sends `request` to the provider called `name`. A connection that never opened is worth
/// another try: nothing was sent. Anything that fails after the request may have been
/// written (a timeout, a dropped connection) leaves the outcome unknown, and is final so
/// that nobody gets the message twice. Errors are reported without the URL, which may hold
/// a token.
pub async fn call(name: &str, request: RequestBuilder) -> Result<Answer, Refusal> {
    let res = request.send().await.map_err(|e| {
        let e = e.without_url();
        if e.is_connect() {
            Refusal::transient(format!("{name} could not be reached: {e}"), None)
                .with_code(codes::UNREACHABLE)
        } else if e.is_builder() {
            Refusal::permanent(format!("the request to {name} could not be made: {e}"))
        } else {
            let why = if e.is_timeout() {
                "did not answer in time"
            } else {
                "dropped the connection"
            };
            Refusal::unknown(format!(
                "{name} {why} after the message was handed over: {UNKNOWN}"
            ))
        }
    })?;
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = read_json(res).await;
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// The most of an answer's body read: a provider's JSON is small, and a body is never
/// worth unbounded memory.
const MAX_BODY: usize = 64 * 1024;
/// The most of a provider's own error text kept for the log.
const MAX_REASON: usize = 300;

/// The answer's JSON, or `null` when it is not JSON or is longer than [`MAX_BODY`].
async fn read_json(mut res: reqwest::Response) -> Value {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = res.chunk().await {
        if bytes.len() + chunk.len() > MAX_BODY {
            return Value::Null;
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// What an `errorMessage` adds when the provider may or may not have sent the message.
const UNKNOWN: &str = "it may or may not have gone out, so it is not sent again \
    automatically; send it again if it is missing";

impl Answer {
    /// Why the provider `name` did not take the message, in its own words (`said`) and with
    /// its own error code if it gave them. Only "slow down" (`429`) and "try later" (`503`)
    /// certainly mean nothing was done, and pass (after `wait`, or the `Retry-After`). Any
    /// other fault of the provider (`5xx`) may have come after it acted: the outcome is
    /// unknown and final. Anything else is a refusal, final.
    pub fn refusal(
        &self,
        name: &str,
        said: Option<&str>,
        code: &Value,
        wait: Option<Duration>,
    ) -> Refusal {
        let status = self.status;
        let said = said.map(str::trim).filter(|r| !r.is_empty());
        let said = said.map_or(String::new(), |s| {
            format!(": {}", s.chars().take(MAX_REASON).collect::<String>())
        });
        let code = match code {
            Value::String(s) if !s.is_empty() => Some(s.chars().take(64).collect()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let refusal = match status {
            StatusCode::TOO_MANY_REQUESTS => Refusal::transient(
                format!("{name} refused the message ({status}){said}"),
                wait.or(self.retry_after),
            )
            .with_code(codes::RATE_LIMITED),
            StatusCode::SERVICE_UNAVAILABLE => Refusal::transient(
                format!("{name} refused the message ({status}){said}"),
                wait.or(self.retry_after),
            )
            .with_code(codes::PROVIDER_UNAVAILABLE),
            _ if status.is_server_error() => {
                return Refusal::unknown(format!("{name} failed ({status}){said}: {UNKNOWN}"));
            }
            _ => Refusal::permanent(format!("{name} refused the message ({status}){said}")),
        };
        match code {
            Some(code) => refusal.with_code(code),
            None => refusal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, retry_after: Option<u64>) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
            body: Value::Null,
        }
    }

    #[test]
    fn only_rate_limits_and_try_later_are_worth_another_try() {
        let none = &Value::Null;
        let r = answer(400, None).refusal(
            "WhatsApp",
            Some("(#131026) Message undeliverable"),
            &json!(131026),
            None,
        );
        assert_eq!(
            r,
            Refusal::permanent(
                "WhatsApp refused the message (400 Bad Request): (#131026) Message undeliverable"
            )
            .with_code("131026")
        );
        let r = answer(429, Some(7)).refusal("Telegram", None, none, None);
        assert_eq!(r.retry, Some(Some(Duration::from_secs(7))));
        assert_eq!(r.code.as_deref(), Some(codes::RATE_LIMITED));
        let r = answer(429, Some(7)).refusal("Telegram", None, none, Some(Duration::from_secs(30)));
        assert_eq!(
            r.retry,
            Some(Some(Duration::from_secs(30))),
            "the body's own wait wins"
        );
        let r = answer(503, None).refusal("Messenger", None, none, None);
        assert_eq!(r.retry, Some(None));
        assert_eq!(
            answer(401, None)
                .refusal("Messenger", None, none, None)
                .retry,
            None
        );
        for status in [500, 502, 504] {
            let r = answer(status, None).refusal("WhatsApp", Some("oops"), &json!(1), None);
            assert_eq!(
                (r.retry, r.code.as_deref()),
                (None, Some(codes::OUTCOME_UNKNOWN))
            );
            assert!(
                r.reason.contains("may or may not have gone out"),
                "{}",
                r.reason
            );
        }
        let long = "x".repeat(5000);
        let r = answer(400, None).refusal("WhatsApp", Some(&long), none, None);
        assert!(r.reason.len() < 400, "a provider's text is bounded");
    }
}
