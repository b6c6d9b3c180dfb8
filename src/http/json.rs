//! `Json<T>`: a JSON body extractor whose errors name the field. actix's own extractor
//! reports serde's message without the path; clients deserve `tags[2]: invalid type…`.

use crate::error::Error;
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
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

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
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = web::Payload::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let payload = payload
                .await
                .map_err(|e| Error::invalid(format!("could not read the request body: {e}")))?;
            read(&req, payload).await.map(Body)
        })
    }
}

/// Reads a body within the route's limit, for handlers that decide something first.
pub async fn read(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, Error> {
    let limit = req.app_data::<BodyLimit>().map_or(BODY_LIMIT, |l| l.0);
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(Error::too_large(limit));
    }
    payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| Error::too_large(limit))?
        .map_err(|e| Error::invalid(format!("could not read the request body: {e}")))
}

pub use crate::fields::parse_json as parse;
