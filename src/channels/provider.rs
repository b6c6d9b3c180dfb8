//! One request to a provider's API, and what its answer means for the message: the one
//! place that decides which failures are worth another try.

use crate::messages::outbox::Refusal;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use std::time::Duration;

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
    let body = res.json().await.unwrap_or(Value::Null);
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

impl Answer {
    /// Why the provider `name` did not take the message, in its own words if it gave any.
    /// Rate limits and the provider's own faults may pass (after `wait`, or its
    /// `Retry-After`); anything else is final.
    pub fn refusal(&self, name: &str, reason: Option<&str>, wait: Option<Duration>) -> Refusal {
        let status = self.status;
        let reason = match reason {
            Some(reason) => format!("{name} refused the message ({status}): {reason}"),
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
