//! Phone numbers normalised to E.164 (`+` and digits) with libphonenumber's data (the
//! `phonenumber` crate). A number is accepted when it is *possible*: a known country code
//! and a national number of a length that country uses (libphonenumber's
//! `isPossibleNumber`); whether it is assigned is the carrier's business.
//!
//! Full parsing is too slow for a million-row import, so input that is already
//! strict E.164 takes a fast path that checks the same metadata directly; everything else
//! (national formats, spaces, `tel:` URIs) goes through the full parser. A test checks the
//! two agree.

use phonenumber::country;
use phonenumber::metadata::DATABASE;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::LazyLock;

/// E.164 allows at most 15 digits after the `+`.
const MAX_DIGITS: usize = 15;
/// Bound on raw input, before any parsing.
const MAX_INPUT: usize = 64;

#[derive(Debug, Clone, Copy, Default)]
pub struct PhoneRules {
    /// Region assumed for numbers written without `+` (e.g. `IN`, `US`).
    default_region: Option<country::Id>,
}

impl PhoneRules {
    pub fn new(default_region: Option<&str>) -> Result<PhoneRules, String> {
        let default_region = default_region
            .map(|r| {
                country::Id::from_str(&r.trim().to_ascii_uppercase()).map_err(|_| {
                    format!(
                        "unknown region {r:?}: expected a two-letter country code such as IN or US"
                    )
                })
            })
            .transpose()?;
        Ok(PhoneRules { default_region })
    }

    /// The number in E.164, or why it is not one.
    pub fn normalize(&self, raw: &str) -> Result<String, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.len() > MAX_INPUT {
            return Err(format!("must be at most {MAX_INPUT} characters"));
        }
        if let Some(digits) = strict_e164(raw) {
            return possible(digits).map(|()| raw.to_string());
        }
        let region = if raw.starts_with('+') {
            None
        } else {
            self.default_region
        };
        if region.is_none() && !raw.starts_with('+') && !raw.starts_with("tel:") {
            return Err(
                "write the number with its country code (e.g. +14155550123), or set a default region"
                    .into(),
            );
        }
        let parsed =
            phonenumber::parse(region, raw).map_err(|_| "not a phone number".to_string())?;
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        let digits = strict_e164(&e164).ok_or("not a phone number")?;
        possible(digits).map(|()| e164)
    }
}

/// The digits of `+` followed by digits only, else `None`.
fn strict_e164(s: &str) -> Option<&str> {
    let digits = s.strip_prefix('+')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Possible national-number lengths per country calling code, as a bit set (bit n: length
/// n), the union over every region and number type sharing the code: libphonenumber's
/// "general" possible lengths.
static LENGTHS: LazyLock<HashMap<u16, u32>> = LazyLock::new(|| {
    let mut lengths: HashMap<u16, u32> = HashMap::new();
    // By code, not `DATABASE.iter()`: that walks region ids, and the non-geographic
    // entities (+800, +888, …) all share the id "001".
    let metas = (1..1000u16)
        .filter_map(|code| DATABASE.by_code(&code))
        .flatten();
    for meta in metas {
        let d = meta.descriptors();
        let types = [
            Some(d.general()),
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
            d.voicemail(),
        ];
        let bits = lengths.entry(meta.country_code()).or_default();
        for descriptor in types.into_iter().flatten() {
            for &len in descriptor.possible_length() {
                if len < 32 {
                    *bits |= 1 << len;
                }
            }
        }
    }
    lengths
});

/// libphonenumber's "possible number": a country code it knows, followed by a national
/// number of a length that country uses.
fn possible(digits: &str) -> Result<(), String> {
    if digits.len() > MAX_DIGITS {
        return Err(format!("has more than {MAX_DIGITS} digits"));
    }
    // Country calling codes are prefix-free: at most one of these lengths names a country.
    for code_len in 1..=3.min(digits.len()) {
        let Ok(code) = digits[..code_len].parse::<u16>() else {
            continue;
        };
        let Some(bits) = LENGTHS.get(&code) else {
            continue;
        };
        let national = digits.len() - code_len;
        return if bits & (1 << national) != 0 {
            Ok(())
        } else {
            Err(format!(
                "not a possible phone number for country code +{code}"
            ))
        };
    }
    Err("unknown country calling code".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(region: Option<&str>) -> PhoneRules {
        PhoneRules::new(region).unwrap()
    }

    #[test]
    fn normalises_common_forms() {
        let none = rules(None);
        assert_eq!(none.normalize("+919876543210").unwrap(), "+919876543210");
        assert_eq!(
            none.normalize(" +91 98765 43210 ").unwrap(),
            "+919876543210"
        );
        assert_eq!(none.normalize("+1 (415) 555-0123").unwrap(), "+14155550123");
        assert_eq!(none.normalize("+44 20 7946 0958").unwrap(), "+442079460958");
        let india = rules(Some("in"));
        assert_eq!(india.normalize("098765 43210").unwrap(), "+919876543210");
        assert_eq!(india.normalize("9876543210").unwrap(), "+919876543210");
        assert_eq!(
            rules(Some("US")).normalize("(415) 555-0123").unwrap(),
            "+14155550123"
        );
    }

    #[test]
    fn refuses_impossible_numbers_with_a_reason() {
        let none = rules(None);
        assert!(
            none.normalize("9876543210")
                .unwrap_err()
                .contains("country code")
        );
        assert!(none.normalize("+91 123").unwrap_err().contains("+91"));
        assert!(
            none.normalize("+999 1234567").is_err(),
            "no such country code"
        );
        assert!(
            none.normalize("+1234567890123456")
                .unwrap_err()
                .contains("15 digits")
        );
        assert!(none.normalize("hello").is_err());
        assert!(none.normalize("").is_err());
        assert!(
            none.normalize(&"1".repeat(100))
                .unwrap_err()
                .contains("at most")
        );
        assert!(PhoneRules::new(Some("XX")).is_err());
    }

    #[test]
    fn every_example_number_in_the_metadata_passes_the_fast_path() {
        // libphonenumber ships an example number for each region and number type: all are
        // valid by construction, so each must be accepted, in E.164, unchanged.
        let mut checked = 0;
        for code in 1..1000u16 {
            for meta in DATABASE.by_code(&code).into_iter().flatten() {
                let d = meta.descriptors();
                let types = [d.fixed_line(), d.mobile(), d.toll_free(), d.voip(), d.uan()];
                for example in types.into_iter().flatten().filter_map(|t| t.example()) {
                    let e164 = format!("+{code}{example}");
                    assert_eq!(
                        rules(None).normalize(&e164).as_deref(),
                        Ok(e164.as_str()),
                        "{}",
                        meta.id()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "examples checked: {checked}");
    }
}
