//! Errors as HTTP answers, in one place: each [`Kind`] is a status, every failure is the
//! contract's body `{"statusCode", "error", "message"}` (with `Retry-After` when the error
//! says when to come back), and the cause of an internal fault is logged here, once,
//! never shown.

use crate::error::{Error, Kind};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

/// The status a kind of failure answers with.
pub fn status(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::Limited => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The contract's error body.
pub fn body(err: &Error) -> serde_json::Value {
    let status = status(err.kind);
    serde_json::json!({
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": err.message,
    })
}

/// An answer for `err` with `body`, its status and `Retry-After`; an internal fault's
/// cause goes to the log.
pub fn answer(err: &Error, body: serde_json::Value) -> HttpResponse {
    if let Some(cause) = &err.cause {
        log::error!("internal error: {cause}");
    }
    let mut response = HttpResponse::build(status(err.kind));
    if let Some(seconds) = err.retry_after {
        response.insert_header((header::RETRY_AFTER, seconds));
    }
    response.json(body)
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        status(self.kind)
    }

    fn error_response(&self) -> HttpResponse {
        answer(self, body(self))
    }
}

impl From<actix_web::error::BlockingError> for Error {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Error::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_contract_shape() {
        assert_eq!(
            body(&Error::unauthorized()),
            serde_json::json!({"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"})
        );
        let internal = Error::internal("secret detail");
        assert!(!body(&internal).to_string().contains("secret"));
    }
}
