//! `Json<T>`: a JSON body extractor whose errors name the field. actix's own extractor
//! reports serde's message without the path; clients deserve `tags[2]: invalid type…`.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

use super::BODY_LIMIT;

/// A body limit other than [`BODY_LIMIT`], set as app data on a route or scope.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Body::from_request(req, payload);
        Box::pin(async move { parse(&body.await?.0).map(Json) })
    }
}

/// The raw bytes of a body within the route's limit, for handlers that need them as sent
/// (an idempotency fingerprint) before [`parse`] reads them.
#[derive(Debug)]
pub struct Body(pub web::Bytes);

impl FromRequest for Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = web::Payload::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let payload = payload.await.map_err(|e| {
                ApiError::bad_request(format!("could not read the request body: {e}"))
            })?;
            read(&req, payload).await.map(Body)
        })
    }
}

/// Reads a body within the route's limit, for handlers that decide something first.
pub async fn read(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, ApiError> {
    let limit = req.app_data::<BodyLimit>().map_or(BODY_LIMIT, |l| l.0);
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::payload_too_large(limit))?
        .map_err(|e| ApiError::bad_request(format!("could not read the request body: {e}")))
}

/// Deserializes a JSON document, with an error that says where it went wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("malformed JSON: {inner}")
        } else if path == "." {
            format!("body: {inner}")
        } else {
            format!("{path}: {inner}")
        };
        ApiError::bad_request(message)
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        tags: Vec<String>,
    }

    fn message(json: &str) -> String {
        parse::<Body>(json.as_bytes()).unwrap_err().message
    }

    #[test]
    fn errors_name_the_field_or_the_position() {
        assert_eq!(
            message(r#"{"email": "a", "tags": ["x", 5]}"#),
            "tags[1]: invalid type: integer `5`, expected a string at line 1 column 30"
        );
        assert!(message(r#"{"tags": []}"#).contains("missing field `email`"));
        assert!(message(r#"{"email": "a", "#).starts_with("malformed JSON: EOF while parsing"));
        assert!(message("{\n  \"email\" 1}").contains("line 2 column 11"));
        assert!(message(r#"{"email":"a","tags":[]} x"#).contains("trailing characters"));
        assert!(message("").starts_with("malformed JSON"));
    }
}
