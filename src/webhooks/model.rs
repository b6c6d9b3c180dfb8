//! Event webhooks' pure parts: the event types, an endpoint's fields and their checks, the
//! signing secret and the Standard Webhooks signature, the retry schedule. No SQL, no HTTP.

use crate::error::Error;
use crate::fields::text;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::time::Duration;

/// Every event an endpoint can subscribe to, as its `type` names it.
pub const EVENT_TYPES: [&str; 14] = [
    "message.sent",
    "message.delivered",
    "message.read",
    "message.failed",
    "message.received",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.opted_out",
    "contact.opted_in",
    "broadcast.started",
    "broadcast.paused",
    "broadcast.completed",
    "webhook.test",
];

/// Subscribes to every event.
pub const ALL: &str = "*";

pub const MAX_URL: usize = 2000;
pub const MAX_DESCRIPTION: usize = 500;
/// Endpoints an account may have.
pub const MAX_ENDPOINTS: i64 = 20;
/// How a secret starts; the rest is base64 of [`SECRET_BYTES`] random bytes.
pub const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

/// The body of `POST /v1/webhooks`.
#[derive(Debug, Deserialize)]
pub struct NewEndpointBody {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
}

/// The body of `PUT /v1/webhooks/{id}`: what it sends changes; `description: null` clears.
#[derive(Debug, Default, Deserialize)]
pub struct EndpointChangesBody {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::fields::patch")]
    pub description: crate::fields::Patch<String>,
    pub enabled: Option<bool>,
}

/// A checked endpoint, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub url: url::Url,
    pub events: Vec<String>,
    pub description: Option<String>,
}

impl Endpoint {
    pub fn parse(body: NewEndpointBody) -> Result<Endpoint, Error> {
        Ok(Endpoint {
            url: url(body
                .url
                .as_deref()
                .ok_or_else(|| Error::invalid("url: required"))?)?,
            events: events(
                &body
                    .events
                    .ok_or_else(|| Error::invalid("events: required"))?,
            )?,
            description: body
                .description
                .map(|d| text("description", &d, MAX_DESCRIPTION))
                .transpose()?,
        })
    }

    /// This endpoint with what `body` sends changed.
    pub fn changed(self, body: &EndpointChangesBody) -> Result<Endpoint, Error> {
        Ok(Endpoint {
            url: match &body.url {
                Some(u) => url(u)?,
                None => self.url,
            },
            events: match &body.events {
                Some(e) => events(e)?,
                None => self.events,
            },
            description: match &body.description {
                None => self.description,
                Some(None) => None,
                Some(Some(d)) => Some(text("description", d, MAX_DESCRIPTION)?),
            },
        })
    }

    /// Whether an event of `event_type` goes to this endpoint.
    pub fn wants(&self, event_type: &str) -> bool {
        self.events.iter().any(|e| e == ALL || e == event_type)
    }
}

/// An absolute `http://` or `https://` URL with a host. Whether its host may be reached is
/// [`super::destination`]'s question.
pub fn url(raw: &str) -> Result<url::Url, Error> {
    let raw = text("url", raw, MAX_URL)?;
    let bad = |why: &str| Error::invalid(format!("url: {why}"));
    let url = url::Url::parse(&raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a host"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a #fragment, which is never sent"));
    }
    Ok(url)
}

/// Known event types, each once, or `["*"]` alone.
pub fn events(raw: &[String]) -> Result<Vec<String>, Error> {
    if raw.is_empty() {
        return Err(Error::invalid(
            "events: name at least one event type, or \"*\" for all",
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, event) in raw.iter().enumerate() {
        if event == ALL && raw.len() > 1 {
            return Err(Error::invalid(format!(
                "events[{i}]: \"*\" stands alone: it already means every event"
            )));
        }
        if event != ALL && !EVENT_TYPES.contains(&event.as_str()) {
            return Err(Error::invalid(format!(
                "events[{i}]: {event:?} is not an event type (expected one of {})",
                EVENT_TYPES.join(", ")
            )));
        }
        if !out.contains(event) {
            out.push(event.clone());
        }
    }
    Ok(out)
}

/// A new signing secret: `whsec_` and base64 of 32 random bytes.
pub fn new_secret() -> String {
    format!(
        "{SECRET_PREFIX}{}",
        BASE64.encode(rand::random::<[u8; SECRET_BYTES]>())
    )
}

/// The HMAC key a secret stands for: the bytes its base64 part decodes to.
fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or("the secret does not start with whsec_")?;
    BASE64
        .decode(encoded)
        .map_err(|e| format!("the secret is not base64: {e}"))
}

/// The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for
/// each secret, space-separated (the newest first), as the Standard Webhooks specification
/// signs.
pub fn signature(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let key = signing_key(secret)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
            .map_err(|e| format!("the secret cannot key an HMAC: {e}"))?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        signatures.push(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())));
    }
    Ok(signatures.join(" "))
}

/// The `webhook-id` of an event: the same on every attempt and every replay.
pub fn event_id(id: i64) -> String {
    format!("evt_{id}")
}

/// The waits before each attempt: the first is the first attempt's (usually none), and an
/// event is given up after the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(pub Vec<Duration>);

impl Default for Schedule {
    /// The Standard Webhooks specification's suggestion.
    fn default() -> Schedule {
        Schedule::parse("0,5s,5m,30m,2h,5h,10h,10h").expect("the default schedule parses")
    }
}

impl Schedule {
    /// `0,5s,5m,30m,2h,5h,10h,10h`: each wait a number with `ms`, `s`, `m`, `h` or `d`
    /// (a bare number is seconds).
    pub fn parse(raw: &str) -> Result<Schedule, String> {
        let waits = raw
            .split(',')
            .map(|w| wait(w.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if waits.is_empty() || waits.len() > 20 {
            return Err("a schedule has 1 to 20 attempts".into());
        }
        Ok(Schedule(waits))
    }

    /// How long after a failed attempt (1 for the first) the next one waits, `None` when
    /// that was the last. `jitter` in [0, 1) moves the wait by up to a tenth either way, so
    /// that many events failed at once are not all retried at once.
    pub fn after(&self, attempt: u32, jitter: f64) -> Option<Duration> {
        let wait = *self.0.get(attempt as usize)?;
        Some(wait.mul_f64(0.9 + 0.2 * jitter.clamp(0.0, 1.0)))
    }
}

fn wait(raw: &str) -> Result<Duration, String> {
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?}: expected a number and a unit, like 5s or 2h"))?;
    let unit_secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{raw:?}: the unit is one of ms, s, m, h, d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(unit_secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The specification's published test vector.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let header = signature(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(
            header.unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let both = signature(&[secret, secret], "id", 1, b"{}").unwrap();
        assert_eq!(both.split(' ').count(), 2);
        assert!(signature(&["nope"], "id", 1, b"{}").is_err());
    }

    #[test]
    fn secrets_are_whsec_and_32_random_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(signing_key(&a).unwrap().len(), 32);
    }

    #[test]
    fn events_are_known_types_or_star_alone() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            events(&names(&["message.sent", "message.sent"])).unwrap(),
            ["message.sent"]
        );
        assert_eq!(events(&names(&["*"])).unwrap(), ["*"]);
        for bad in [&[][..], &["*", "message.sent"], &["message.lost"]] {
            let err = events(&names(bad)).unwrap_err();
            assert!(err.message.starts_with("events"), "{}", err.message);
        }
    }

    #[test]
    fn urls_are_http_with_a_host() {
        assert!(url("https://hooks.example.com/in?x=1").is_ok());
        for bad in [
            "ftp://x.example",
            "https://",
            "/relative",
            "https://a.example/#frag",
            "",
        ] {
            assert!(url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_schedule_reads_units_and_gives_up_after_the_last() {
        let s = Schedule::default();
        assert_eq!(s.0.len(), 8);
        assert_eq!(s.0[2], Duration::from_secs(300));
        assert_eq!(s.after(1, 0.5), Some(Duration::from_secs(5)));
        assert_eq!(s.after(8, 0.5), None);
        let wait = s.after(2, 0.0).unwrap();
        assert_eq!(wait, Duration::from_secs(270));
        assert_eq!(
            Schedule::parse("0, 100ms,2").unwrap().0,
            [
                Duration::ZERO,
                Duration::from_millis(100),
                Duration::from_secs(2)
            ]
        );
        assert!(Schedule::parse("5x").is_err());
        assert!(Schedule::parse("").is_err());
    }
}
