//! Reading imports (docs/api.md#contacts-clients-tags-locations): a CSV file whose header
//! names the fields (other columns become custom attributes; `tags` split on `;`), or a
//! JSON array of contacts. Rows are validated as a create body would be and handed on in
//! batches; a row that fails is reported with its number and never stops the others. Pure:
//! no SQL, no HTTP.

use super::export::restored;
use super::model::{AttrKind, PersonChanges, PersonInput};
use super::phone::PhoneRules;
use crate::error::{Error, Result};
use crate::fields::{Id, Ref};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::{self, Read};
use time::Date;

/// Rows per writer job: large enough to amortise a commit, small enough to keep memory flat.
pub const BATCH: usize = 5_000;

/// A valid row and its number (CSV: its row as a spreadsheet shows it, the header being
/// row 1 and a quoted multi-line cell staying in one row; JSON: its position in the array,
/// from 1).
#[derive(Debug)]
pub struct Row {
    pub number: usize,
    pub changes: PersonChanges,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Failure {
    pub row: usize,
    pub message: String,
}

/// Failed rows an answer lists; the others are only counted.
pub const MAX_REPORTED: usize = 1_000;

/// Failed rows: how many, and the first [`MAX_REPORTED`] by row. A file of bad rows costs
/// an answer, and memory, of bounded size, not of the file's size.
#[derive(Debug, Default)]
pub struct Failures {
    /// The lowest rows so far, the highest of them on top (to be pushed out first).
    first: std::collections::BinaryHeap<Failure>,
    count: usize,
}

impl Failures {
    pub fn push(&mut self, failure: Failure) {
        self.count += 1;
        if self.first.len() < MAX_REPORTED {
            self.first.push(failure);
        } else if self.first.peek().is_some_and(|top| failure < *top) {
            self.first.pop();
            self.first.push(failure);
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Takes in another set: its count, and the failures it kept.
    pub fn absorb(&mut self, other: Failures) {
        let dropped = other.count - other.first.len();
        self.extend(other.first);
        self.count += dropped;
    }

    /// The failures kept, by row.
    pub fn into_sorted(self) -> Vec<Failure> {
        self.first.into_sorted_vec()
    }
}

impl Extend<Failure> for Failures {
    fn extend<I: IntoIterator<Item = Failure>>(&mut self, failures: I) {
        for f in failures {
            self.push(f);
        }
    }
}

pub struct Context<'a> {
    pub phones: &'a PhoneRules,
    pub today: Date,
    /// Kinds of the account's existing attribute names, by lowercase name.
    pub kinds: HashMap<String, AttrKind>,
}

impl Context<'_> {
    fn validate(&self, number: usize, input: PersonInput) -> std::result::Result<Row, Failure> {
        let fail = |message: String| Failure {
            row: number,
            message,
        };
        let changes =
            PersonChanges::parse(input, self.phones, self.today).map_err(|e| fail(e.message))?;
        if !changes.identifies_someone() {
            return Err(fail(
                "needs at least one of name, firstName, phoneNumber, email, externalId or a channel id".into(),
            ));
        }
        Ok(Row { number, changes })
    }
}

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    Name,
    FirstName,
    LastName,
    Phone,
    Email,
    ExternalId,
    Gender,
    BirthDate,
    Stage,
    Channel,
    Telegram,
    Instagram,
    Messenger,
    Location,
    Tags,
    OptedOut,
    Attribute(String),
    /// The server's own fields (`id`, `createdAt`, …), as an export writes them.
    Ignored,
}

fn column_of(header: &str) -> Column {
    let header = header.trim();
    if let Some(name) = header.strip_prefix("attributes.") {
        return Column::Attribute(name.to_string());
    }
    let key: String = header
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .collect::<String>()
        .to_lowercase();
    match key.as_str() {
        "name" => Column::Name,
        "firstname" => Column::FirstName,
        "lastname" => Column::LastName,
        "phonenumber" | "phone" => Column::Phone,
        "email" => Column::Email,
        "externalid" => Column::ExternalId,
        "gender" => Column::Gender,
        "birthdate" => Column::BirthDate,
        "contactstage" => Column::Stage,
        "channel" => Column::Channel,
        "telegram" | "channelids.telegram" => Column::Telegram,
        "instagram" | "channelids.instagram" => Column::Instagram,
        "messenger" | "channelids.messenger" => Column::Messenger,
        "location" | "locationid" | "location.id" => Column::Location,
        "tags" => Column::Tags,
        "optedout" => Column::OptedOut,
        "id" | "type" | "createdat" | "updatedat" | "lastactivityat" => Column::Ignored,
        _ => Column::Attribute(header.to_string()),
    }
}

/// A number as a spreadsheet writes one. Leading zeros (`007`, zip codes) and `+` signs
/// (phone numbers) keep a value a string.
fn number(cell: &str) -> Option<Value> {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if digits.is_empty() || leading_zero || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if let Ok(i) = cell.parse::<i64>() {
        return Some(Value::from(i));
    }
    cell.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::from)
}

fn boolean(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

/// What the values of a new attribute column can all be: number or boolean if every value
/// is one, else string.
#[derive(Debug, Clone, Copy)]
struct Kinds {
    numbers: bool,
    booleans: bool,
}

impl Default for Kinds {
    fn default() -> Self {
        Kinds {
            numbers: true,
            booleans: true,
        }
    }
}

impl Kinds {
    fn see(&mut self, value: &str) {
        if !value.is_empty() {
            self.numbers &= number(value).is_some();
            self.booleans &= boolean(value).is_some();
        }
    }

    fn kind(self) -> AttrKind {
        match (self.numbers, self.booleans) {
            (true, _) => AttrKind::Number,
            (_, true) => AttrKind::Boolean,
            _ => AttrKind::String,
        }
    }
}

fn typed(cell: &str, kind: AttrKind, name: &str) -> std::result::Result<Value, String> {
    match kind {
        AttrKind::String => Ok(Value::String(cell.to_string())),
        AttrKind::Number => number(cell)
            .ok_or_else(|| format!("attributes.{name}: expected a number, found {cell:?}")),
        AttrKind::Boolean => boolean(cell)
            .map(Value::Bool)
            .ok_or_else(|| format!("attributes.{name}: expected true or false, found {cell:?}")),
    }
}

/// A CSV reader over `body`, past a UTF-8 byte-order mark if it starts with one.
fn reader<R: Read>(mut body: R) -> io::Result<csv::Reader<io::Chain<io::Cursor<Vec<u8>>, R>>> {
    let mut head = Vec::with_capacity(3);
    (&mut body).take(3).read_to_end(&mut head)?;
    if head == "\u{feff}".as_bytes() {
        head.clear();
    }
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(io::Cursor::new(head).chain(body)))
}

/// How many rows a body holds at most (blank CSV lines and bad JSON elements included):
/// what an import may add, checked against the account's quota before anything is
/// written. A body that does not parse counts 0; reading it properly reports why.
pub fn rows_in<R: Read>(body: R, csv: bool) -> Result<usize> {
    if csv {
        let mut records = reader(body).map_err(unreadable)?;
        let mut record = csv::ByteRecord::new();
        let mut rows: usize = 0;
        // The reader takes the header row itself.
        while records.read_byte_record(&mut record).unwrap_or(false) {
            rows += 1;
        }
        return Ok(rows);
    }
    let body = io::BufReader::with_capacity(64 * 1024, body);
    let elements: Vec<serde::de::IgnoredAny> = serde_json::from_reader(body).unwrap_or_default();
    Ok(elements.len())
}

/// The upload could not be read back from its file: our fault, not the client's.
fn unreadable(e: io::Error) -> Error {
    Error::internal(format!("reading the spooled upload: {e}"))
}

/// Reads a CSV import, calling `emit` with each batch of valid rows; returns the rows that
/// failed validation. `emit` may fail (the writer is gone): the import stops there.
/// `open` gives the file from its start each time it is called (kinds of new attribute
/// columns take one pass of their own).
pub fn read_csv<R: Read>(
    mut open: impl FnMut() -> io::Result<R>,
    ctx: &Context,
    emit: impl FnMut(Vec<Row>) -> Result<()>,
) -> Result<Failures> {
    let mut reader = || open().and_then(reader).map_err(unreadable);
    let headers = reader()?
        .headers()
        .map_err(|e| Error::invalid(format!("body: cannot read the CSV header: {e}")))?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::invalid("body: the CSV file has no header row"));
    }
    let columns: Vec<Column> = headers.iter().map(column_of).collect();
    for (i, column) in columns.iter().enumerate() {
        if *column != Column::Ignored && columns[..i].contains(column) {
            return Err(Error::invalid(format!(
                "body: the column {:?} appears twice",
                &headers[i]
            )));
        }
    }

    // Kinds of attribute columns: the account's for names it knows, inferred from the whole
    // column for new ones (one first pass over the file, for all of them).
    let mut kinds: Vec<Option<AttrKind>> = columns
        .iter()
        .map(|c| match c {
            Column::Attribute(name) => ctx.kinds.get(&name.to_lowercase()).copied(),
            _ => None,
        })
        .collect();
    let new: Vec<usize> = (0..columns.len())
        .filter(|&i| matches!(columns[i], Column::Attribute(_)) && kinds[i].is_none())
        .collect();
    if !new.is_empty() {
        let mut seen: Vec<Kinds> = vec![Kinds::default(); new.len()];
        for record in reader()?.records().filter_map(|r| r.ok()) {
            for (k, &i) in new.iter().enumerate() {
                seen[k].see(restored(record.get(i).unwrap_or("").trim()).trim());
            }
        }
        for (k, &i) in new.iter().enumerate() {
            kinds[i] = Some(seen[k].kind());
        }
    }

    let mut batches = Batches::new(ctx, emit);
    let mut csv = reader()?;
    csv.headers()
        .map_err(|e| Error::invalid(format!("body: {e}")))?; // rows are numbered after it
    let mut record = csv::StringRecord::new();
    let mut number = 1;
    loop {
        // The spreadsheet's row: the line a record starts on (a quoted multi-line cell is
        // one row), and never the same twice (a lone `\r` ends a record but not a line).
        number = (csv.position().line() as usize).max(number + 1);
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                batches.fail(number, format!("unreadable CSV: {e}"));
                if e.is_io_error() {
                    break;
                }
                continue;
            }
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue; // blank line
        }
        if record.len() != columns.len() {
            batches.fail(
                number,
                format!("expected {} fields, found {}", columns.len(), record.len()),
            );
            continue;
        }
        batches.push(number, csv_input(&columns, &kinds, &record))?;
    }
    batches.finish()
}

fn csv_input(
    columns: &[Column],
    kinds: &[Option<AttrKind>],
    record: &csv::StringRecord,
) -> std::result::Result<PersonInput, String> {
    let mut input = PersonInput::default();
    let mut attributes = Map::new();
    let mut channel_ids = super::model::ChannelIdsInput::default();
    for (i, (column, cell)) in columns.iter().zip(record.iter()).enumerate() {
        // A cell an export defused reads back as it was.
        let cell = restored(cell.trim()).trim();
        if cell.is_empty() {
            continue; // an empty cell gives nothing, and so changes nothing
        }
        let set = || Some(Some(cell.to_string()));
        match column {
            Column::Name => input.name = set(),
            Column::FirstName => input.first_name = set(),
            Column::LastName => input.last_name = set(),
            Column::Phone => input.phone_number = set(),
            Column::Email => input.email = set(),
            Column::ExternalId => input.external_id = set(),
            Column::Gender => input.gender = set(),
            Column::BirthDate => input.birth_date = set(),
            Column::Stage => input.contact_stage = set(),
            Column::Channel => input.channel = set(),
            Column::Telegram => channel_ids.telegram = set(),
            Column::Instagram => channel_ids.instagram = set(),
            Column::Messenger => channel_ids.messenger = set(),
            Column::Location => {
                let id = cell.parse::<i64>().ok().filter(|id| *id > 0);
                let id = id.ok_or_else(|| format!("location.id: {cell:?} is not an id"))?;
                input.location = Some(Some(Ref { id: Id(id) }));
            }
            Column::Tags => {
                input.tags = Some(
                    cell.split(';')
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .collect(),
                )
            }
            Column::OptedOut => {
                let value = boolean(cell).or(match cell {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                });
                input.opted_out =
                    Some(value.ok_or_else(|| {
                        format!("optedOut: expected true or false, found {cell:?}")
                    })?);
            }
            Column::Attribute(name) => {
                let kind = kinds[i].unwrap_or(AttrKind::String);
                attributes.insert(name.clone(), typed(cell, kind, name)?);
            }
            Column::Ignored => {}
        }
    }
    input.channel_ids = Some(channel_ids);
    if !attributes.is_empty() {
        input.attributes = Some(attributes);
    }
    Ok(input)
}

/// Reads a JSON import (an array of contacts as `POST /v1/contacts` takes them), one
/// element at a time, so a malformed element fails alone and memory holds one element, not
/// the array. `open` gives the body from its start: a first pass checks the whole
/// document's syntax, so a broken one stores nothing.
pub fn read_json<R: Read>(
    mut open: impl FnMut() -> io::Result<R>,
    ctx: &Context,
    emit: impl FnMut(Vec<Row>) -> Result<()>,
) -> Result<Failures> {
    let mut document = || {
        let body = open().map_err(unreadable)?;
        let body = io::BufReader::with_capacity(64 * 1024, body);
        Ok::<_, Error>(serde_json::Deserializer::from_reader(body))
    };
    let bad = |e: serde_json::Error| {
        Error::invalid(if e.is_data() {
            "body: expected a JSON array of contacts".to_string()
        } else {
            format!("malformed JSON: {e}")
        })
    };
    let mut de = document()?;
    serde::de::IgnoredAny::deserialize(&mut de)
        .and_then(|_| de.end())
        .map_err(bad)?;
    let mut batches = Batches::new(ctx, emit);
    let mut stopped = None;
    let mut de = document()?;
    de.deserialize_seq(Elements {
        batches: &mut batches,
        stopped: &mut stopped,
    })
    .map_err(|e| stopped.take().unwrap_or_else(|| bad(e)))?;
    batches.finish()
}

/// Hands each element of the array to the batches as it is read.
struct Elements<'b, 'c, F> {
    batches: &'b mut Batches<'c, F>,
    /// Why the import stopped, when the batches refused (the writer is gone).
    stopped: &'b mut Option<Error>,
}

impl<'de, F: FnMut(Vec<Row>) -> Result<()>> serde::de::Visitor<'de> for Elements<'_, '_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of contacts")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut number = 0;
        while let Some(element) = seq.next_element::<Box<serde_json::value::RawValue>>()? {
            number += 1;
            let input = crate::fields::parse_json::<PersonInput>(element.get().as_bytes())
                .map_err(|e| e.message);
            if let Err(e) = self.batches.push(number, input) {
                *self.stopped = Some(e);
                return Err(serde::de::Error::custom("the import stopped"));
            }
        }
        Ok(())
    }
}

/// Validates rows and hands them on in batches, keeping the failures.
struct Batches<'a, F> {
    ctx: &'a Context<'a>,
    emit: F,
    batch: Vec<Row>,
    failures: Failures,
}

impl<'a, F: FnMut(Vec<Row>) -> Result<()>> Batches<'a, F> {
    fn new(ctx: &'a Context<'a>, emit: F) -> Self {
        Batches {
            ctx,
            emit,
            batch: Vec::with_capacity(BATCH),
            failures: Failures::default(),
        }
    }

    fn fail(&mut self, row: usize, message: String) {
        self.failures.push(Failure { row, message });
    }

    /// Takes row `number` (or why it could not be read); emits a full batch.
    fn push(
        &mut self,
        number: usize,
        input: std::result::Result<PersonInput, String>,
    ) -> Result<()> {
        match input
            .map_err(|message| Failure {
                row: number,
                message,
            })
            .and_then(|i| self.ctx.validate(number, i))
        {
            Ok(row) => self.batch.push(row),
            Err(failure) => self.failures.push(failure),
        }
        if self.batch.len() == BATCH {
            (self.emit)(std::mem::replace(
                &mut self.batch,
                Vec::with_capacity(BATCH),
            ))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Failures> {
        if !self.batch.is_empty() {
            (self.emit)(self.batch)?;
        }
        Ok(self.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn failures_keep_the_first_rows_and_count_the_rest() {
        let mut failures = Failures::default();
        // Out of order, as batches from the writer and the reader arrive.
        for row in (1..=5_000).rev() {
            failures.push(Failure {
                row,
                message: "bad".into(),
            });
        }
        assert_eq!(failures.count(), 5_000);
        let kept: Vec<usize> = failures.into_sorted().iter().map(|f| f.row).collect();
        assert_eq!(kept, (1..=MAX_REPORTED).collect::<Vec<_>>());
    }

    fn read(csv: impl AsRef<[u8]>) -> (Vec<Row>, Vec<Failure>) {
        let phones = PhoneRules::new(None).unwrap();
        let ctx = Context {
            phones: &phones,
            today: date!(2026 - 11 - 22),
            kinds: HashMap::new(),
        };
        let mut rows = Vec::new();
        let failures = read_csv(
            || Ok(csv.as_ref()),
            &ctx,
            |batch| {
                rows.extend(batch);
                Ok(())
            },
        )
        .unwrap();
        (rows, failures.into_sorted())
    }

    #[test]
    fn quoted_commas_newlines_bom_and_crlf() {
        let csv = "\u{feff}Name,Phone Number,Tags,notes\r\n\"Rao, Asha\",+919876543210,vip; newsletter,\"line one\r\nline two\"\r\n\"Bob \"\"B\"\"\",+14155550100,,\r\n";
        let (rows, failures) = read(csv);
        assert_eq!(failures, vec![]);
        assert_eq!(rows.len(), 2);
        let asha = &rows[0].changes;
        assert_eq!(asha.name, Some(Some("Rao, Asha".into())));
        assert_eq!(asha.tags, Some(vec!["vip".into(), "newsletter".into()]));
        assert!(asha.attributes.contains(&(
            "notes".into(),
            Some(super::super::model::AttrValue::Text(
                "line one\r\nline two".into()
            ))
        )));
        assert_eq!(rows[1].changes.name, Some(Some("Bob \"B\"".into())));
        assert_eq!(
            rows[1].number, 3,
            "spreadsheet rows: a multi-line cell is one row"
        );
    }

    #[test]
    fn rows_ended_by_a_lone_carriage_return_are_numbered_apart() {
        // Found by `fuzz/fuzz_targets/import.rs`: an unreadable row ended by `\r` alone and
        // the row after it were both reported as row 3.
        let csv = b"phoneNumber,name\n+919876543210,A\n\xff\r+14155552671,B\rC,\"D\"\"\"\n";
        let (rows, failures) = read(csv);
        let mut numbers: Vec<usize> = rows.iter().map(|r| r.number).collect();
        numbers.extend(failures.iter().map(|f| f.row));
        numbers.sort();
        assert_eq!(numbers, vec![2, 3, 4, 5], "{failures:?}");
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_good_ones_kept() {
        let csv = "name,email,gender\nA,a@example.com,Female\nB,not-an-email,Male\nC,c@example.com,robot\nD,d@example.com\n,,\nE,e@example.com,Other\n";
        let (rows, failures) = read(csv);
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![2, 7]
        );
        assert_eq!(failures.len(), 3);
        assert_eq!(failures[0].row, 3);
        assert!(
            failures[0].message.starts_with("email:"),
            "{:?}",
            failures[0]
        );
        assert!(failures[1].message.starts_with("gender:"));
        assert_eq!(
            failures[2],
            Failure {
                row: 5,
                message: "expected 3 fields, found 2".into()
            }
        );
    }

    #[test]
    fn attribute_columns_get_one_kind_from_all_their_values() {
        let csv = "name,orders,zip,member,score,mixed\nA,3,01234,true,1.5,1\nB,10,99999,no,,x\n";
        let (rows, _) = read(csv);
        let attrs = |i: usize| rows[i].changes.attributes.clone();
        use super::super::model::AttrValue::*;
        assert!(attrs(0).contains(&("orders".into(), Some(Int(3)))));
        assert!(
            attrs(0).contains(&("zip".into(), Some(Text("01234".into())))),
            "leading zeros keep a string"
        );
        assert!(attrs(1).contains(&("member".into(), Some(Bool(false)))));
        assert!(attrs(0).contains(&("score".into(), Some(Real(1.5)))));
        assert!(
            attrs(0).contains(&("mixed".into(), Some(Text("1".into())))),
            "one string makes the column strings"
        );
    }

    #[test]
    fn headers_map_to_fields_and_server_fields_are_ignored() {
        assert_eq!(column_of(" First Name "), Column::FirstName);
        assert_eq!(column_of("phone_number"), Column::Phone);
        assert_eq!(column_of("channelIds.telegram"), Column::Telegram);
        assert_eq!(column_of("createdAt"), Column::Ignored);
        assert_eq!(
            column_of("attributes.name"),
            Column::Attribute("name".into())
        );
        assert_eq!(
            column_of("Favourite Colour"),
            Column::Attribute("Favourite Colour".into())
        );
        let phones = PhoneRules::new(None).unwrap();
        let ctx = Context {
            phones: &phones,
            today: date!(2026 - 11 - 22),
            kinds: HashMap::new(),
        };
        let err = read_csv(|| Ok(&b"name,Name\nA,B\n"[..]), &ctx, |_| Ok(())).unwrap_err();
        assert!(err.message.contains("appears twice"), "{err}");
        let err = read_csv(|| Ok(&b""[..]), &ctx, |_| Ok(())).unwrap_err();
        assert!(err.message.contains("no header"), "{err}");
    }

    #[test]
    fn json_elements_fail_alone() {
        let phones = PhoneRules::new(None).unwrap();
        let ctx = Context {
            phones: &phones,
            today: date!(2026 - 11 - 22),
            kinds: HashMap::new(),
        };
        let mut rows = Vec::new();
        let json = br#"[{"name": "A"}, {"name": 5}, "text", {"email": "bad"}, {"name": "B", "tags": ["x"]}]"#;
        let failures = read_json(
            || Ok(&json[..]),
            &ctx,
            |b| {
                rows.extend(b);
                Ok(())
            },
        )
        .unwrap()
        .into_sorted();
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 5]
        );
        assert_eq!(
            failures.iter().map(|f| f.row).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert!(failures[0].message.starts_with("name: invalid type"));
        assert!(
            read_json(|| Ok(&b"{}"[..]), &ctx, |_| Ok(()))
                .unwrap_err()
                .message
                .contains("JSON array")
        );
        assert!(
            read_json(|| Ok(&b"["[..]), &ctx, |_| Ok(()))
                .unwrap_err()
                .message
                .starts_with("malformed JSON")
        );
        // A document broken after more than a batch of good elements stores none of them.
        let broken = format!("[{}] oops", vec![r#"{"name": "A"}"#; BATCH + 1].join(","));
        let mut emitted = 0;
        let read = read_json(
            || Ok(broken.as_bytes()),
            &ctx,
            |b| {
                emitted += b.len();
                Ok(())
            },
        );
        assert!(read.unwrap_err().message.starts_with("malformed JSON"));
        assert_eq!(emitted, 0);
    }
}
