//! The one error type of the server: what went wrong, in words a client can act on, and of
//! which [`Kind`]. It knows nothing of HTTP: `http::errors` turns a kind into a status
//! and a body, in one place, and logs the cause of an internal fault there, once.
//!
//! A message about a field starts with its path (`groups[0].conditions[1].value: …`);
//! [`Error::within`] puts an enclosing path before it.

use std::fmt;

/// What kind of failure, as a client needs to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request is wrong; the message names the field.
    Invalid,
    /// No valid credentials.
    Unauthorized,
    /// Known, but not allowed (a closed sign-up, a storage quota).
    Forbidden,
    NotFound,
    /// A duplicate, or a state that does not allow it.
    Conflict,
    /// A body over its limit.
    TooLarge,
    /// A body of a type the route does not take.
    UnsupportedType,
    /// Well-formed, but not what an earlier request under the same key was.
    Unprocessable,
    /// The path exists; the method does not.
    MethodNotAllowed,
    /// A quota or throttle: come back after `retry_after`.
    Limited,
    /// Not now (a busy database, a full disk, a server stopping); nothing was changed.
    Unavailable,
    /// Our fault; the cause is for the log, never for the client.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    /// Seconds, for `Limited` (and `Unavailable` when known).
    pub retry_after: Option<u64>,
    /// What caused an internal fault, with its chain, for the log.
    pub cause: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            retry_after: None,
            cause: None,
        }
    }

    /// The request is wrong: `message` starts with the field it is about.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, message)
    }

    /// The contract fixes this message for a missing, unknown or revoked key.
    pub fn unauthorized() -> Self {
        Self::new(Kind::Unauthorized, "Unauthorized")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            Kind::TooLarge,
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }

    pub fn limited(message: impl Into<String>, retry_after: u64) -> Self {
        Error {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(Kind::Limited, message)
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(Kind::Unavailable, message)
    }

    /// Not now, and when to come back.
    pub fn unavailable_for(message: impl Into<String>, retry_after: u64) -> Self {
        Error {
            retry_after: Some(retry_after.max(1)),
            ..Self::unavailable(message)
        }
    }

    /// The disk, not the request: `what` cannot be written (full, read-only, failing).
    /// Nothing was changed, and the same request succeeds once the disk is back.
    pub fn storage(what: &str) -> Self {
        Self::unavailable_for(
            format!(
                "{what} cannot be written right now (the disk is full or read-only); \
                 nothing was changed, try again later"
            ),
            30,
        )
    }

    /// A fault on our side. The cause goes to the log; the client learns only that it
    /// happened.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Error {
            cause: Some(cause.to_string()),
            ..Self::new(Kind::Internal, "internal server error")
        }
    }

    /// A fault on our side caused by `source`, its whole chain kept for the log.
    pub fn internal_from(source: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = source.to_string();
        let mut next = source.source();
        while let Some(cause) = next {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            next = cause.source();
        }
        Self::internal(chain)
    }

    /// The same error about a field inside `path` (`persons[3]`): the path goes before the
    /// message's own.
    pub fn within(self, path: &str) -> Self {
        Error {
            message: format!("{path}.{}", self.message),
            ..self
        }
    }
}

/// For logs and the command line: the message, or an internal fault's cause.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{
            CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, ReadOnly, SystemIoFailure,
        };
        match err.sqlite_error_code() {
            // The storage, not the request: a full or read-only disk, an I/O error. Nothing
            // was written; the same request succeeds once the disk is back.
            Some(DiskFull | ReadOnly | SystemIoFailure | CannotOpen) => {
                log::error!("database cannot be written: {err}");
                Error::storage("the database")
            }
            Some(DatabaseBusy | DatabaseLocked) => {
                log::warn!("database busy: {err}");
                Error::unavailable_for("the database is busy; try again", 1)
            }
            _ => Error::internal_from(&err),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(err: r2d2::Error) -> Self {
        log::error!("no database connection: {err}");
        Error::unavailable("the database is not answering; try again later")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_database_is_unavailable_not_internal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let conn = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let err: Error = conn
            .execute("INSERT INTO t VALUES (1)", [])
            .unwrap_err()
            .into();
        assert_eq!(err.kind, Kind::Unavailable);
        assert_eq!(err.retry_after, Some(30));
    }

    #[test]
    fn internal_faults_keep_their_cause_chain_for_the_log_only() {
        let io = std::io::Error::other("disk on fire");
        let err = Error::internal_from(&io);
        assert_eq!(err.message, "internal server error");
        assert_eq!(err.cause.as_deref(), Some("disk on fire"));
    }

    #[test]
    fn paths_nest_and_waits_are_at_least_a_second() {
        let err = Error::invalid("phoneNumber: not a number").within("persons[3]");
        assert_eq!(err.message, "persons[3].phoneNumber: not a number");
        assert_eq!(Error::limited("x", 0).retry_after, Some(1));
    }
}
