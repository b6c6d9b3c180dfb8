//! Account types and their validation. No SQL, no HTTP.

use crate::error::Error;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Trial,
    Subscribed,
    Unlimited,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Trial => "trial",
            Plan::Subscribed => "subscribed",
            Plan::Unlimited => "unlimited",
        }
    }

    /// The plan's own limits (docs/api.md#keys-and-the-account, from the vendor's published
    /// plans).
    pub fn limits(self) -> Limits {
        match self {
            Plan::Trial => Limits {
                per_minute: Some(60),
                per_day: Some(100),
                segments: Some(10),
                contacts: Some(1_000),
                messages: Some(10_000),
            },
            Plan::Subscribed => Limits {
                per_minute: Some(300),
                per_day: Some(432_000),
                segments: Some(1_000),
                contacts: Some(1_000_000),
                messages: Some(20_000_000),
            },
            Plan::Unlimited => Limits::default(),
        }
    }
}

impl FromStr for Plan {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "trial" => Ok(Plan::Trial),
            "subscribed" => Ok(Plan::Subscribed),
            "unlimited" => Ok(Plan::Unlimited),
            other => Err(format!(
                "unknown plan {other:?}: expected trial, subscribed or unlimited"
            )),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account's effective limits; `None` is "no limit".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub per_minute: Option<u32>,
    pub per_day: Option<u32>,
    pub segments: Option<u32>,
    /// Contacts and clients stored at once.
    pub contacts: Option<u32>,
    /// Messages stored at once (sent, scheduled and received).
    pub messages: Option<u32>,
}

/// Per-account overrides of a plan's limits; `None` keeps the plan's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    pub per_minute: Option<u32>,
    pub per_day: Option<u32>,
    pub segments: Option<u32>,
    pub contacts: Option<u32>,
    pub messages: Option<u32>,
}

impl Overrides {
    pub fn apply(self, plan: Plan) -> Limits {
        let base = plan.limits();
        Limits {
            per_minute: self.per_minute.or(base.per_minute),
            per_day: self.per_day.or(base.per_day),
            segments: self.segments.or(base.segments),
            contacts: self.contacts.or(base.contacts),
            messages: self.messages.or(base.messages),
        }
    }
}

/// Characters in an email address (RFC 5321's limit on a path).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A syntactically valid email address, trimmed. Compared case-insensitively by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, Error> {
        let email = raw.trim();
        if email.is_empty() {
            return Err(Error::invalid("email: must not be empty"));
        }
        if email.chars().count() > MAX_EMAIL_CHARS {
            return Err(Error::invalid(format!(
                "email: must be at most {MAX_EMAIL_CHARS} characters"
            )));
        }
        if !email_address::EmailAddress::is_valid(email) {
            return Err(Error::invalid("email: not a valid email address"));
        }
        Ok(Email(email.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Bounds the work one login can cost; far above any real passphrase.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A password acceptable for a new account.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String) -> Result<NewPassword, Error> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::invalid(format!(
                "password: must be at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if raw.chars().count() > MAX_PASSWORD_CHARS {
            return Err(Error::invalid(format!(
                "password: must be at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        Ok(NewPassword(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_name() {
        let limits = Overrides {
            per_day: Some(5),
            ..Overrides::default()
        }
        .apply(Plan::Trial);
        assert_eq!(limits.per_minute, Some(60));
        assert_eq!(limits.per_day, Some(5));
        assert_eq!(
            Overrides::default().apply(Plan::Unlimited),
            Limits::default()
        );
    }

    #[test]
    fn plans_parse_and_print() {
        for plan in [Plan::Trial, Plan::Subscribed, Plan::Unlimited] {
            assert_eq!(plan.as_str().parse::<Plan>(), Ok(plan));
        }
        assert!("gold".parse::<Plan>().unwrap_err().contains("gold"));
    }

    #[test]
    fn email_validation() {
        assert_eq!(Email::parse(" a@b.co ").unwrap().as_str(), "a@b.co");
        for bad in ["", "plain", "a@", "@b.co", "a b@c.co"] {
            let err = Email::parse(bad).unwrap_err();
            assert!(err.message.starts_with("email:"), "{bad:?}: {err}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().message.contains("254"));
    }

    #[test]
    fn password_bounds() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("ten chars!".into()).is_ok());
        assert!(
            NewPassword::parse("é".repeat(10)).is_ok(),
            "counts characters, not bytes"
        );
        assert!(NewPassword::parse("x".repeat(1025)).is_err());
    }
}
