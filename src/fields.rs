//! Building blocks of request bodies shared by every resource: JSON whose errors name the
//! field, PATCH semantics, ids given as strings or numbers, bounded text. Pure: serde and
//! our error type only.

use crate::error::Error;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A field of a partial update: absent (`None`), cleared with `null` (`Some(None)`), or set.
pub type Patch<T> = Option<Option<T>>;

/// `#[serde(default, deserialize_with = "patch")]` tells absent from `null`.
pub fn patch<'de, D, T>(de: D) -> Result<Patch<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// An id in a request: the contract renders ids as strings and accepts strings or numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Id, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id (a string or number of digits)")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Id, E> {
                (v > 0)
                    .then_some(Id(v))
                    .ok_or_else(|| E::custom("an id is a positive number"))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("id out of range"))
                    .and_then(|v| self.visit_i64(v))
            }
            /// `1.0` is the integer 1 to JSON Schema, and so to the API description.
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Id, E> {
                if v.fract() == 0.0 && v >= 1.0 && v < i64::MAX as f64 {
                    self.visit_i64(v as i64)
                } else {
                    Err(E::custom("an id is a positive whole number"))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| E::custom(format!("{v:?} is not an id")))
                    .and_then(|v| self.visit_i64(v))
            }
        }
        de.deserialize_any(Visitor)
    }
}

/// Digits of the longest id the API description promises (ids fit in an `i64`, whose
/// largest value has 19 digits).
pub const MAX_ID_DIGITS: usize = 18;

/// `{"id": …}`, the contract's way to reference another record.
#[derive(Debug, Clone, Copy)]
pub struct Ref {
    pub id: Id,
}

impl<'de> Deserialize<'de> for Ref {
    /// Only from an object: serde would also take a struct from an array (`[5]`), by position.
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Ref, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            id: Id,
        }
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ref;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object {\"id\": …}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Ref, A::Error> {
                let fields =
                    Fields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Ref { id: fields.id })
            }
        }
        de.deserialize_map(Visitor)
    }
}

/// Trims `value` and checks it is 1..=`max` characters without control characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(format!("{field}: must not be empty")));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(format!(
            "{field}: must be at most {max} characters"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(format!(
            "{field}: must not contain control characters"
        )));
    }
    Ok(value.to_string())
}

/// [`text`] for every set value of a patch field.
pub fn patch_text(field: &str, value: Patch<String>, max: usize) -> Result<Patch<String>, Error> {
    value
        .map(|v| v.map(|v| text(field, &v, max)).transpose())
        .transpose()
}

/// `limit` and `page` of list requests (docs/api.md): default 20, at most 500, pages from
/// 1.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u32,
    pub offset: i64,
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 500;

impl Page {
    pub fn new(limit: Option<u32>, page: Option<u32>) -> Result<Page, Error> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid(format!(
                "limit: must be between 1 and {MAX_LIMIT}"
            )));
        }
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(Error::invalid("page: pages are numbered from 1"));
        }
        Ok(Page {
            limit,
            offset: i64::from(page - 1) * i64::from(limit),
        })
    }
}

/// Deserializes a JSON object, with an error that says where it went wrong. Every body is
/// an object: serde would also read a struct from an array, by position (`["Asha"]`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(Error::invalid("body: expected a JSON object, not an array"));
    }
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
        Error::invalid(message)
    })?;
    de.end()
        .map_err(|e| Error::invalid(format!("malformed JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "patch")]
        name: Patch<String>,
        id: Option<Id>,
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let absent: Body = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.name, None);
        let null: Body = serde_json::from_str(r#"{"name": null}"#).unwrap();
        assert_eq!(null.name, Some(None));
        let set: Body = serde_json::from_str(r#"{"name": "x"}"#).unwrap();
        assert_eq!(set.name, Some(Some("x".into())));
    }

    #[test]
    fn ids_are_strings_or_numbers() {
        for json in [r#"{"id": 42}"#, r#"{"id": "42"}"#, r#"{"id": " 42 "}"#] {
            assert_eq!(serde_json::from_str::<Body>(json).unwrap().id, Some(Id(42)));
        }
        for json in [
            r#"{"id": "x"}"#,
            r#"{"id": -1}"#,
            r#"{"id": 1.5}"#,
            r#"{"id": true}"#,
            r#"{"id": 0}"#,
        ] {
            assert!(serde_json::from_str::<Body>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("name", "  Asha ", 10).unwrap(), "Asha");
        assert!(
            text("name", "   ", 10)
                .unwrap_err()
                .message
                .starts_with("name: must not be empty")
        );
        assert!(
            text("name", &"x".repeat(11), 10)
                .unwrap_err()
                .message
                .contains("at most 10")
        );
        assert!(text("name", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn pages() {
        let p = Page::new(Some(50), Some(3)).unwrap();
        assert_eq!((p.limit, p.offset), (50, 100));
        assert_eq!(Page::new(None, None).unwrap().limit, 20);
        assert!(Page::new(Some(501), None).is_err());
        assert!(Page::new(Some(0), None).is_err());
        assert!(Page::new(None, Some(0)).is_err());
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        tags: Vec<String>,
    }

    fn message(json: &str) -> String {
        parse_json::<Body>(json.as_bytes()).unwrap_err().message
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
        // A struct by position is no body; a malformed one still says where.
        assert_eq!(
            message(r#" ["a", ["x"]]"#),
            "body: expected a JSON object, not an array"
        );
        assert!(message("[1,").starts_with("body: expected a JSON object"));
        assert!(message("5").starts_with("body: invalid type: integer"));
    }
}
