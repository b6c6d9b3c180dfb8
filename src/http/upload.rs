//! A multipart form read whole within limits: its file, and the small text fields beside it.

use crate::error::{Error, Kind, Result};
use crate::media::model::Upload;
use actix_multipart::{Field, Multipart};
use futures_core::Stream;
use std::pin::Pin;

/// The most text fields a form may carry beside its file, and the longest of them.
const MAX_FIELDS: usize = 16;
const MAX_FIELD: usize = 4096;

/// A form's file and its other fields (name, text).
#[derive(Debug, Default)]
pub struct Form {
    pub file: Upload,
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// The text field `name`, if the form has one.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `form`: its file is the part named `file`, else the first with a file name, else
/// the first part; `413` past `limit` bytes. The other parts are short text fields. Errors
/// name the field.
pub async fn read(mut form: Multipart, limit: usize) -> Result<Form> {
    let mut file: Option<Upload> = None;
    // The first part, while no part marked as a file has come: the file if none does.
    let mut first: Option<(String, Upload)> = None;
    let mut fields = Vec::new();
    let mut parts = 0;
    while let Some(field) = next(&mut form).await {
        let mut field = field.map_err(|e| Error::invalid(format!("file: {e}")))?;
        parts += 1;
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let marked = name == "file" || file_name.is_some();
        if file.is_none() && (marked || parts == 1) {
            let upload = Upload {
                file_name,
                content_type: field.content_type().map(|m| m.essence_str().to_string()),
                bytes: whole(
                    &mut field,
                    limit,
                    Error::new(Kind::TooLarge, too_large(limit)),
                )
                .await?,
            };
            match marked {
                true => file = Some(upload),
                false => first = Some((name, upload)),
            }
            continue;
        }
        if parts > MAX_FIELDS + 1 {
            return Err(Error::invalid(format!(
                "file: a form of at most {MAX_FIELDS} fields beside the file"
            )));
        }
        let too_long = Error::invalid(format!("{name}: at most {MAX_FIELD} bytes"));
        let value = text(&name, whole(&mut field, MAX_FIELD, too_long).await?)?;
        fields.push((name, value));
    }
    let file = match (file, first) {
        (Some(file), Some((name, unmarked))) => {
            if unmarked.bytes.len() > MAX_FIELD {
                return Err(Error::invalid(format!("{name}: at most {MAX_FIELD} bytes")));
            }
            fields.insert(0, (name.clone(), text(&name, unmarked.bytes)?));
            file
        }
        (Some(file), None) | (None, Some((_, file))) => file,
        (None, None) => {
            return Err(Error::invalid(
                "file: a multipart form with the file is required",
            ));
        }
    };
    Ok(Form { file, fields })
}

fn too_large(limit: usize) -> String {
    format!("file: at most {limit} bytes")
}

fn text(name: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::invalid(format!("{name}: not UTF-8 text")))
}

/// A part's bytes, or `over` once they pass `limit`.
async fn whole(field: &mut Field, limit: usize, over: Error) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = next(field).await {
        let chunk = chunk.map_err(|e| Error::invalid(format!("file: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(over);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}
