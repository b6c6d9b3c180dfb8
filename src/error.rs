//! One error type for every failure a request can meet. It renders as the contract's
//! body `{"statusCode", "error", "message"}`; causes of server faults are logged, never
//! shown to the client.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds, for `429` (and `503` when known).
    pub retry_after: Option<u64>,
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The contract fixes this body for a missing, unknown or revoked key.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }

    pub fn too_many_requests(message: impl Into<String>, retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The disk, not the request: `what` cannot be written (full, read-only, failing).
    /// Nothing was changed, and the same request succeeds once the disk is back.
    pub fn storage(what: &str) -> Self {
        ApiError {
            retry_after: Some(30),
            ..ApiError::unavailable(format!(
                "{what} cannot be written right now (the disk is full or read-only); \
                 nothing was changed, try again later"
            ))
        }
    }

    /// A fault on our side. The cause goes to the log; the client learns only that it happened.
    pub fn internal(cause: impl fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }

    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "statusCode": self.status.as_u16(),
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        response.json(self.body())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{
            CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, ReadOnly, SystemIoFailure,
        };
        match err.sqlite_error_code() {
            // The storage, not the request: a full or read-only disk, an I/O error. Nothing
            // was written; the same request succeeds once the disk is back.
            Some(DiskFull | ReadOnly | SystemIoFailure | CannotOpen) => {
                log::error!("database cannot be written: {err}");
                ApiError::storage("the database")
            }
            Some(DatabaseBusy | DatabaseLocked) => {
                log::warn!("database busy: {err}");
                ApiError {
                    retry_after: Some(1),
                    ..ApiError::unavailable("the database is busy; try again")
                }
            }
            _ => ApiError::internal(err),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(err: r2d2::Error) -> Self {
        log::error!("no database connection: {err}");
        ApiError::unavailable("the database is not answering; try again later")
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_database_is_503_not_500() {
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
        let err: ApiError = conn
            .execute("INSERT INTO t VALUES (1)", [])
            .unwrap_err()
            .into();
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(err.retry_after, Some(30));
    }

    #[test]
    fn body_has_the_contract_shape() {
        let body = ApiError::unauthorized().body();
        assert_eq!(
            body,
            serde_json::json!({"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"})
        );
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        assert_eq!(ApiError::too_many_requests("x", 0).retry_after, Some(1));
    }
}
