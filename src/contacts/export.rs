//! Writing the CSV of an export: the columns an import reads back, so that exporting and
//! importing into an empty account gives the same people. Pure: no SQL, no HTTP.
//!
//! Names and other text arrive from anyone (a provider webhook's profile name): a cell that
//! starts like a formula (`=`, `+`, `-`, `@`, a tab or a carriage return) is written with
//! a `'` before it, so that a spreadsheet shows it as text instead of running it (OWASP's
//! advice on CSV injection). An import takes that `'` off again.

use super::model::Person;
use serde_json::Value;
use std::borrow::Cow;

/// Whether a spreadsheet would read a cell starting with `c` as a formula.
fn starts_a_formula(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// The cell as an export writes it: text that a spreadsheet would run gets a `'` first.
pub fn defused(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if starts_a_formula(c) => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The cell an export defused, as it was; any other cell as it is.
pub fn restored(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(starts_a_formula) => rest,
        _ => cell,
    }
}

/// Built-in columns, then one per custom attribute name. `id`, `type`, `lastActivityAt`,
/// `createdAt` and `updatedAt` are for reading; an import ignores them.
const COLUMNS: [&str; 21] = [
    "id",
    "type",
    "name",
    "firstName",
    "lastName",
    "phoneNumber",
    "email",
    "externalId",
    "gender",
    "birthDate",
    "contactStage",
    "channel",
    "telegram",
    "instagram",
    "messenger",
    "locationId",
    "tags",
    "optedOut",
    "lastActivityAt",
    "createdAt",
    "updatedAt",
];

pub struct CsvExport {
    attributes: Vec<String>,
}

impl CsvExport {
    pub fn new(attributes: Vec<String>) -> CsvExport {
        CsvExport { attributes }
    }

    pub fn header(&self) -> Vec<u8> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let _ = out.write_record(
            COLUMNS
                .iter()
                .copied()
                .chain(self.attributes.iter().map(String::as_str)),
        );
        out.into_inner().unwrap_or_default()
    }

    /// The CSV lines of `people`.
    pub fn rows(&self, people: &[Person]) -> Vec<u8> {
        let mut out = csv::Writer::from_writer(Vec::with_capacity(people.len() * 160));
        for p in people {
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            let channel = |c: &str| {
                p.channel_ids
                    .get(c)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let location = p
                .location
                .as_ref()
                .and_then(|l| l["id"].as_str())
                .unwrap_or("")
                .to_string();
            let mut record = vec![
                p.id.clone(),
                p.kind.to_string(),
                opt(&p.name),
                opt(&p.first_name),
                opt(&p.last_name),
                opt(&p.phone_number),
                opt(&p.email),
                opt(&p.external_id),
                opt(&p.gender),
                opt(&p.birth_date),
                opt(&p.contact_stage),
                opt(&p.channel),
                channel("telegram"),
                channel("instagram"),
                channel("messenger"),
                location,
                p.tags.join(";"),
                p.opted_out.to_string(),
                opt(&p.last_activity_at),
                p.created_at.clone(),
                p.updated_at.clone(),
            ];
            for name in &self.attributes {
                record.push(match p.attributes.get(name) {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                });
            }
            let _ = out.write_record(record.iter().map(|cell| defused(cell).into_owned()));
        }
        out.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text_and_read_back_as_they_were() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            ("+919876543210", "'+919876543210"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "'\r=1"),
            ("Asha", "Asha"),
            ("'quoted", "'quoted"),
            ("", ""),
        ] {
            assert_eq!(defused(cell), written);
            assert_eq!(restored(&defused(cell)), cell);
        }
        assert_eq!(
            restored("'quoted"),
            "'quoted",
            "only a quote before a formula is ours"
        );
    }
}
