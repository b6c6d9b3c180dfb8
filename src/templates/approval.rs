//! A template's approval, as WhatsApp reports it: only an `APPROVED` template starts a
//! WhatsApp broadcast, and one that turns `PAUSED`, `DISABLED` or `REJECTED` pauses the
//! broadcasts that send it. No SQL, no HTTP.

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Approved,
        Status::Pending,
        Status::Rejected,
        Status::Paused,
        Status::Disabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Approved => "APPROVED",
            Status::Pending => "PENDING",
            Status::Rejected => "REJECTED",
            Status::Paused => "PAUSED",
            Status::Disabled => "DISABLED",
        }
    }

    /// A stored status; anything else reads as `DISABLED` (never as approved).
    pub fn stored(s: &str) -> Status {
        Status::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .unwrap_or(Status::Disabled)
    }

    /// Meta's word for a template's state (its list's `status`, its webhook's `event`):
    /// an appeal is still pending; a template deleted, archived or over its limit sends no
    /// more, so it is disabled, with Meta's word kept as the reason.
    pub fn of_meta(word: &str) -> (Status, Option<String>) {
        let word = word.trim().to_ascii_uppercase();
        match word.as_str() {
            "APPROVED" => (Status::Approved, None),
            "PENDING" | "IN_APPEAL" => (Status::Pending, None),
            "REJECTED" => (Status::Rejected, None),
            "PAUSED" => (Status::Paused, None),
            "DISABLED" => (Status::Disabled, None),
            _ => (
                Status::Disabled,
                Some(format!("WhatsApp reports it {word}")),
            ),
        }
    }

    /// Whether a broadcast sending it must stop: it will not be delivered.
    pub fn stops_broadcasts(self) -> bool {
        matches!(self, Status::Rejected | Status::Paused | Status::Disabled)
    }

    /// `409` unless a WhatsApp broadcast may start with it.
    pub fn check_broadcast(self, name: &str, language: &str) -> Result<(), Error> {
        match self {
            Status::Approved => Ok(()),
            other => Err(Error::conflict(format!(
                "template: {name} ({language}) is {}; only an APPROVED template starts a WhatsApp broadcast",
                other.as_str()
            ))),
        }
    }
}

/// A template's approval as the provider reported it: `(name, language)` is now `status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub name: String,
    pub language: String,
    pub status: Status,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_words_map_onto_five_statuses_and_never_onto_approved_by_accident() {
        assert_eq!(Status::of_meta("approved"), (Status::Approved, None));
        assert_eq!(Status::of_meta("IN_APPEAL").0, Status::Pending);
        let (status, why) = Status::of_meta("PENDING_DELETION");
        assert_eq!(status, Status::Disabled);
        assert_eq!(why.as_deref(), Some("WhatsApp reports it PENDING_DELETION"));
        assert_eq!(Status::stored("bogus"), Status::Disabled);
        assert!(Status::Paused.stops_broadcasts() && !Status::Pending.stops_broadcasts());
        let err = Status::Paused.check_broadcast("promo", "en").unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Conflict);
        assert!(err.message.starts_with("template: promo (en) is PAUSED"));
    }
}
