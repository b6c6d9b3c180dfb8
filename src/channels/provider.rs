//! Where each provider's API is, one request to it, and what its answer means for the
//! message: the one place that decides which failures are worth another try.

use crate::messages::model::Channel;
use crate::messages::outbox::Refusal;
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

/// A provider's answer: its status, its `Retry-After` (in seconds) and its JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Value,
}

/// Sends `request` to the provider called `name`. No answer at all (refused connection,
/// timeout) is worth another try; errors are reported without the URL, which may hold a
/// token.
pub async fn call(name: &str, request: RequestBuilder) -> Result<Answer, Refusal> {
    let res = request.send().await.map_err(|e| {
        Refusal::transient(
            format!("{name} could not be reached: {}", e.without_url()),
            None,
        )
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

impl Answer {
    /// Why the provider `name` did not take the message, in its own words if it gave any.
    /// Rate limits and the provider's own faults may pass (after `wait`, or its
    /// `Retry-After`); anything else is final.
    pub fn refusal(&self, name: &str, reason: Option<&str>, wait: Option<Duration>) -> Refusal {
        let status = self.status;
        let reason = match reason.map(|r| r.trim()).filter(|r| !r.is_empty()) {
            Some(reason) => {
                let reason: String = reason.chars().take(MAX_REASON).collect();
                format!("{name} refused the message ({status}): {reason}")
            }
            None => format!("{name} refused the message ({status})"),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Refusal::transient(reason, wait.or(self.retry_after))
        } else {
            Refusal::permanent(reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<u64>) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
            body: Value::Null,
        }
    }

    #[test]
    fn only_rate_limits_and_provider_faults_are_worth_another_try() {
        let r =
            answer(400, None).refusal("WhatsApp", Some("(#131026) Message undeliverable"), None);
        assert_eq!(
            r,
            Refusal::permanent(
                "WhatsApp refused the message (400 Bad Request): (#131026) Message undeliverable"
            )
        );
        let r = answer(429, Some(7)).refusal("Telegram", None, None);
        assert_eq!(r.retry, Some(Some(Duration::from_secs(7))));
        let r = answer(429, Some(7)).refusal("Telegram", None, Some(Duration::from_secs(30)));
        assert_eq!(
            r.retry,
            Some(Some(Duration::from_secs(30))),
            "the body's own wait wins"
        );
        assert_eq!(
            answer(503, None).refusal("Messenger", None, None).retry,
            Some(None)
        );
        assert_eq!(
            answer(401, None).refusal("Messenger", None, None).retry,
            None
        );
    }
}
