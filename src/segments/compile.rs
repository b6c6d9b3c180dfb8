//! Compiling a segment rule to an SQL condition over `contacts c`.
//!
//! Safety: an attribute name only ever selects one of a fixed set of columns (built-in
//! fields, or the value column `a{slot}` the account's attribute owns); every value is a
//! bound parameter. No input text reaches the SQL. Pure: no connection, no HTTP.

use super::rules::{Condition, Group, Logic, MAX_LIST, MAX_TEXT, Node, Op, Rule, bad};
use crate::clock::{SECONDS_PER_DAY, Timestamp, date_of};
use crate::contacts::model::{AttrKey, AttrKind, Gender};
use crate::error::ApiError;
use rusqlite::types::Value as Sql;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// A compiled rule: a condition over `contacts c`, with its parameters in order (`?`).
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<Sql>,
}

/// What a rule may compare a condition's attribute to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    /// Case-insensitive text in this column.
    Text(&'static str),
    /// `Male`, `Female` or `Other`, stored in that spelling: compared exactly, so the
    /// index over stage and gender serves it.
    Gender,
    /// A custom attribute's value column, with its kind.
    Slot(usize, AttrKind),
    /// Unix seconds.
    Time(&'static str),
    /// `YYYY-MM-DD` text.
    Date(&'static str),
    /// Years since `birth_date`.
    Age,
    Location,
    OptedOut,
    Tags,
    /// A custom attribute the account never used: nobody has it.
    Nobody,
}

impl Field {
    /// The column holding the field (tags and unknown attributes have none).
    fn column(self) -> &'static str {
        match self {
            Field::Text(column) | Field::Time(column) | Field::Date(column) => column,
            Field::Gender => "c.gender",
            Field::Slot(slot, _) => slot_column(slot),
            Field::Age => "c.birth_date",
            Field::Location => "c.location_id",
            Field::OptedOut => "c.opted_out",
            Field::Tags | Field::Nobody => "NULL",
        }
    }
}

/// "Has a value": for text, an empty string counts as none.
fn present(field: Field, column: &str) -> String {
    match field {
        Field::Text(_) | Field::Gender | Field::Slot(_, AttrKind::String) => {
            format!("({column} IS NOT NULL AND {column} <> '')")
        }
        _ => format!("({column} IS NOT NULL)"),
    }
}

fn field(attribute: &str, keys: &[AttrKey]) -> Field {
    let builtin = [
        ("name", Field::Text("c.name")),
        ("firstName", Field::Text("c.first_name")),
        ("lastName", Field::Text("c.last_name")),
        ("phoneNumber", Field::Text("c.phone")),
        ("phone", Field::Text("c.phone")),
        ("email", Field::Text("c.email")),
        ("externalId", Field::Text("c.external_id")),
        ("gender", Field::Gender),
        ("contactStage", Field::Text("c.contact_stage")),
        ("channel", Field::Text("c.channel")),
        ("locationId", Field::Location),
        ("tags", Field::Tags),
        ("age", Field::Age),
        ("birthDate", Field::Date("c.birth_date")),
        ("createdAt", Field::Time("c.created_at")),
        ("lastActivityAt", Field::Time("c.last_activity_at")),
        ("optedOut", Field::OptedOut),
    ];
    if let Some((_, f)) = builtin
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
    {
        return *f;
    }
    keys.iter()
        .find(|k| k.name.eq_ignore_ascii_case(attribute))
        .map_or(Field::Nobody, |k| Field::Slot(k.slot, k.kind))
}

/// Compiles `rule` for an account whose custom attributes are `keys`, at time `now`.
/// `account_id` scopes the tag subqueries.
pub fn compile(
    rule: &Rule,
    keys: &[AttrKey],
    account_id: i64,
    now: Timestamp,
) -> Result<Compiled, ApiError> {
    let mut out = Compiler {
        params: Vec::new(),
        keys,
        account_id,
        now,
    };
    let parts = rule
        .groups
        .iter()
        .map(|g| out.group(g))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = join(parts, rule.group_logic);
    Ok(Compiled {
        sql,
        params: out.params,
    })
}

/// The tag names of a rule that is exactly one "has any of these tags" condition: such a
/// rule can be counted from the tag index alone. `None` for every other rule.
pub fn only_tags(rule: &Rule) -> Option<Vec<String>> {
    let [group] = rule.groups.as_slice() else {
        return None;
    };
    let [Node::Condition(c)] = group.items.as_slice() else {
        return None;
    };
    let any_of = matches!(c.op, Op::Has | Op::Eq | Op::Contains | Op::In);
    if !c.attribute.eq_ignore_ascii_case("tags") || !any_of {
        return None;
    }
    match &c.value {
        Value::String(name) => Some(vec![name.clone()]),
        Value::Array(names) if !names.is_empty() => names
            .iter()
            .map(|n| n.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// Whether `rule` has conditions and every one of them, at any depth and with any logic,
/// meets `test`.
fn every_condition(rule: &Rule, test: &impl Fn(&Condition) -> bool) -> bool {
    fn group(g: &Group, test: &impl Fn(&Condition) -> bool) -> bool {
        !g.items.is_empty()
            && g.items.iter().all(|item| match item {
                Node::Condition(c) => test(c),
                Node::Group(g) => group(g, test),
            })
    }
    !rule.groups.is_empty() && rule.groups.iter().all(|g| group(g, test))
}

/// Whether every condition of `rule` (at any depth, with any logic) compares the birth
/// date, `age` or `birthDate`, in a way nobody without one meets. Such a rule holds alike
/// for everyone born on one day, so it can be counted from the people per day
/// (`birth_date_counts`, aliased `c`: its compiled SQL reads `c.birth_date` alone).
pub fn only_birth_dates(rule: &Rule) -> bool {
    every_condition(rule, &|c| {
        // Negative operators also match people lacking the date (API.md §5): not these.
        let positive = matches!(
            c.op,
            Op::Eq
                | Op::Gt
                | Op::Ge
                | Op::Lt
                | Op::Le
                | Op::Before
                | Op::After
                | Op::WithinLastDays
                | Op::Exists
        );
        positive
            && matches!(
                field(&c.attribute, &[]),
                Field::Age | Field::Date("c.birth_date")
            )
    })
}

/// The value slots `contacts_by_attributes` carries beside the account, type and id
/// (schema.sql).
pub const NARROW_SLOTS: usize = 8;

/// Whether every condition of `rule` (at any depth, with any logic) reads a custom
/// attribute among the first [`NARROW_SLOTS`]: such a rule is counted from the narrow
/// index alone, and any range of ids from it.
pub fn only_narrow_attributes(rule: &Rule, keys: &[AttrKey]) -> bool {
    every_condition(
        rule,
        &|c| matches!(field(&c.attribute, keys), Field::Slot(slot, _) if slot <= NARROW_SLOTS),
    )
}

/// Whether every condition of `rule` (at any depth, with any logic) reads the stage or
/// the gender: such a rule holds alike for everyone with one stage and gender, so it can
/// be summed from `stage_gender_counts` (when nobody with neither set matches it).
pub fn only_stage_and_gender(rule: &Rule) -> bool {
    every_condition(rule, &|c| {
        matches!(
            field(&c.attribute, &[]),
            Field::Gender | Field::Text("c.contact_stage")
        )
    })
}

fn join(parts: Vec<String>, logic: Logic) -> String {
    let glue = match logic {
        Logic::And => " AND ",
        Logic::Or => " OR ",
    };
    format!("({})", parts.join(glue))
}

struct Compiler<'a> {
    params: Vec<Sql>,
    keys: &'a [AttrKey],
    account_id: i64,
    now: Timestamp,
}

impl Compiler<'_> {
    fn group(&mut self, group: &Group) -> Result<String, ApiError> {
        let parts = group
            .items
            .iter()
            .map(|item| match item {
                Node::Condition(c) => self.condition(c),
                Node::Group(g) => self.group(g),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(join(parts, group.logic))
    }

    /// Binds a value and returns its placeholder.
    fn bind(&mut self, value: Sql) -> &'static str {
        self.params.push(value);
        "?"
    }

    fn binds(&mut self, values: Vec<Sql>) -> String {
        let n = values.len();
        self.params.extend(values);
        vec!["?"; n].join(", ")
    }

    fn condition(&mut self, c: &Condition) -> Result<String, ApiError> {
        let value_place = format!("{}.value", c.place);
        let field = field(&c.attribute, self.keys);
        let unsupported = || {
            bad(
                &format!("{}.operator", c.place),
                format!("{:?} does not apply to {}", c.op, c.attribute),
            )
        };
        match field {
            Field::Nobody => Ok(match c.op {
                Op::Ne | Op::NotContains | Op::NotIn | Op::NotExists | Op::HasNone => "1".into(),
                _ => {
                    check_value_shape(c, &value_place)?;
                    "0".into()
                }
            }),
            Field::Tags => self.tags(c, &value_place),
            _ => {
                let column = field.column();
                match c.op {
                    Op::Exists => Ok(present(field, column)),
                    Op::NotExists => Ok(format!("NOT {}", present(field, column))),
                    // API.md §5: negative operators also match people lacking the attribute.
                    Op::Ne | Op::NotContains | Op::NotIn => {
                        let positive = Condition {
                            op: c.op.positive(),
                            ..c.clone()
                        };
                        let test = self.typed(field, &positive, &value_place, unsupported)?;
                        Ok(format!("({column} IS NULL OR NOT ({test}))"))
                    }
                    _ => self.typed(field, c, &value_place, unsupported),
                }
            }
        }
    }

    /// A positive condition on a field with a column, by the field's kind.
    fn typed(
        &mut self,
        field: Field,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        let column = field.column();
        match field {
            Field::Text(_) | Field::Slot(_, AttrKind::String) => {
                self.text(column, c, place, unsupported)
            }
            Field::Gender => self.gender(c, place, unsupported),
            Field::Slot(_, AttrKind::Number) | Field::Location => {
                self.number(column, c, place, unsupported)
            }
            Field::Slot(_, AttrKind::Boolean) | Field::OptedOut => {
                self.boolean(column, c, place, unsupported)
            }
            Field::Time(_) => self.time(column, c, place, unsupported),
            Field::Date(_) => self.date(column, c, place, unsupported),
            Field::Age => self.age(c, place, unsupported),
            Field::Tags | Field::Nobody => Err(unsupported()),
        }
    }

    fn text(
        &mut self,
        column: &str,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        let like = |s: &str| crate::contacts::store::escape_like(s);
        Ok(match c.op {
            Op::Eq => format!(
                "{column} = {} COLLATE NOCASE",
                self.bind(text_value(&c.value, place)?)
            ),
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                let Sql::Text(s) = text_value(&c.value, place)? else {
                    unreachable!()
                };
                let pattern = match c.op {
                    Op::StartsWith => format!("{}%", like(&s)),
                    Op::EndsWith => format!("%{}", like(&s)),
                    _ => format!("%{}%", like(&s)),
                };
                format!(
                    "{column} LIKE {} ESCAPE '\\'",
                    self.bind(Sql::Text(pattern))
                )
            }
            Op::In => {
                let values = list(&c.value, place, text_value)?;
                format!("{column} COLLATE NOCASE IN ({})", self.binds(values))
            }
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                format!(
                    "{column} {} {} COLLATE NOCASE",
                    comparison(c.op),
                    self.bind(text_value(&c.value, place)?)
                )
            }
            _ => return Err(unsupported()),
        })
    }

    fn gender(
        &mut self,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        let gender = |value: &Value, place: &str| match value.as_str().and_then(Gender::parse) {
            Some(g) => Ok(Sql::Text(g.as_str().into())),
            None => Err(bad(place, "expected Male, Female or Other")),
        };
        Ok(match c.op {
            Op::Eq => format!("c.gender = {}", self.bind(gender(&c.value, place)?)),
            Op::In => {
                let values = list(&c.value, place, gender)?;
                format!("c.gender IN ({})", self.binds(values))
            }
            _ => self.text("c.gender", c, place, unsupported)?,
        })
    }

    fn number(
        &mut self,
        column: &str,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        Ok(match c.op {
            Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                format!(
                    "{column} {} {}",
                    comparison(c.op),
                    self.bind(number_value(&c.value, place)?)
                )
            }
            Op::In => {
                let values = list(&c.value, place, number_value)?;
                format!("{column} IN ({})", self.binds(values))
            }
            _ => return Err(unsupported()),
        })
    }

    fn boolean(
        &mut self,
        column: &str,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        let value = || match &c.value {
            Value::Bool(b) => Ok(i64::from(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(1),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(0),
            _ => Err(bad(place, "expected true or false")),
        };
        Ok(match c.op {
            Op::Eq => format!("{column} = {}", self.bind(Sql::Integer(value()?))),
            _ => return Err(unsupported()),
        })
    }

    fn time(
        &mut self,
        column: &str,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        Ok(match c.op {
            Op::WithinLastDays => {
                let days = days_value(&c.value, place)?;
                format!(
                    "{column} >= {}",
                    self.bind(Sql::Integer(self.now - days * SECONDS_PER_DAY))
                )
            }
            Op::Before | Op::Lt => format!(
                "{column} < {}",
                self.bind(Sql::Integer(time_value(&c.value, place)?))
            ),
            Op::After | Op::Gt => format!(
                "{column} > {}",
                self.bind(Sql::Integer(time_value(&c.value, place)?))
            ),
            Op::Le => format!(
                "{column} <= {}",
                self.bind(Sql::Integer(time_value(&c.value, place)?))
            ),
            Op::Ge => format!(
                "{column} >= {}",
                self.bind(Sql::Integer(time_value(&c.value, place)?))
            ),
            _ => return Err(unsupported()),
        })
    }

    fn date(
        &mut self,
        column: &str,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        let date = || date_value(&c.value, place).map(|d| Sql::Text(d.to_string()));
        Ok(match c.op {
            Op::Eq => format!("{column} = {}", self.bind(date()?)),
            Op::Before | Op::Lt => format!("{column} < {}", self.bind(date()?)),
            Op::After | Op::Gt => format!("{column} > {}", self.bind(date()?)),
            Op::Le => format!("{column} <= {}", self.bind(date()?)),
            Op::Ge => format!("{column} >= {}", self.bind(date()?)),
            Op::WithinLastDays => {
                let days = days_value(&c.value, place)?;
                let since = date_of(self.now - days * SECONDS_PER_DAY).to_string();
                format!("{column} >= {}", self.bind(Sql::Text(since)))
            }
            _ => return Err(unsupported()),
        })
    }

    /// Age in whole years, compiled to a range of birth dates (so an index can serve it):
    /// `age >= n` is born on or before today minus n years.
    fn age(
        &mut self,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        let today = date_of(self.now);
        let years = |v: &Value| -> Result<i64, ApiError> {
            match v
                .as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            {
                Some(n) if (0..=150).contains(&n) => Ok(n),
                _ => Err(bad(place, "expected a whole number of years (0 to 150)")),
            }
        };
        // Born on or before `n` years ago: at least `n` years old; born after: younger.
        let ago = |n: i64| Sql::Text(years_before(today, n).to_string());
        let col = "c.birth_date";
        Ok(match c.op {
            Op::Ge => format!("{col} <= {}", self.bind(ago(years(&c.value)?))),
            Op::Gt => format!("{col} <= {}", self.bind(ago(years(&c.value)? + 1))),
            Op::Lt => format!("{col} > {}", self.bind(ago(years(&c.value)?))),
            Op::Le => format!("{col} > {}", self.bind(ago(years(&c.value)? + 1))),
            Op::Eq => {
                let n = years(&c.value)?;
                let (a, b) = (self.bind(ago(n)), self.bind(ago(n + 1)));
                format!("({col} <= {a} AND {col} > {b})")
            }
            _ => return Err(unsupported()),
        })
    }

    fn tags(&mut self, c: &Condition, place: &str) -> Result<String, ApiError> {
        match c.op {
            Op::Exists => {
                return Ok(
                    "EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id)".into(),
                );
            }
            Op::NotExists => {
                return Ok(
                    "NOT EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id)".into(),
                );
            }
            _ => {}
        }
        let names = match &c.value {
            Value::Array(_) => list(&c.value, place, text_value)?,
            _ => vec![text_value(&c.value, place)?],
        };
        let n = names.len() as i64;
        let account = self.bind(Sql::Integer(self.account_id));
        let names = self.binds(names);
        let tagged = format!(
            "SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
             WHERE t.account_id = {account} AND t.name IN ({names})"
        );
        Ok(match c.op {
            Op::Has | Op::Eq | Op::Contains | Op::In => format!("c.id IN ({tagged})"),
            Op::HasNone | Op::Ne | Op::NotContains | Op::NotIn => format!("c.id NOT IN ({tagged})"),
            Op::HasAll => {
                let all = self.bind(Sql::Integer(n));
                format!(
                    "(SELECT count(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
                     WHERE ct.contact_id = c.id AND t.account_id = {account} AND t.name IN ({names})) = {all}"
                )
            }
            _ => {
                return Err(bad(
                    &format!("{}.operator", c.place),
                    "tags take has, has_all, has_none, exists or not_exists",
                ));
            }
        })
    }
}

fn slot_column(slot: usize) -> &'static str {
    const COLUMNS: [&str; 64] = [
        "c.a1", "c.a2", "c.a3", "c.a4", "c.a5", "c.a6", "c.a7", "c.a8", "c.a9", "c.a10", "c.a11",
        "c.a12", "c.a13", "c.a14", "c.a15", "c.a16", "c.a17", "c.a18", "c.a19", "c.a20", "c.a21",
        "c.a22", "c.a23", "c.a24", "c.a25", "c.a26", "c.a27", "c.a28", "c.a29", "c.a30", "c.a31",
        "c.a32", "c.a33", "c.a34", "c.a35", "c.a36", "c.a37", "c.a38", "c.a39", "c.a40", "c.a41",
        "c.a42", "c.a43", "c.a44", "c.a45", "c.a46", "c.a47", "c.a48", "c.a49", "c.a50", "c.a51",
        "c.a52", "c.a53", "c.a54", "c.a55", "c.a56", "c.a57", "c.a58", "c.a59", "c.a60", "c.a61",
        "c.a62", "c.a63", "c.a64",
    ];
    COLUMNS[slot.clamp(1, 64) - 1]
}

fn comparison(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        _ => "=",
    }
}

/// `n` calendar years before `day` (29 February falls back to the 28th).
fn years_before(day: Date, n: i64) -> Date {
    let year = day.year() - n as i32;
    Date::from_calendar_date(year, day.month(), day.day())
        .or_else(|_| Date::from_calendar_date(year, day.month(), day.day() - 1))
        .unwrap_or(day)
}

/// A value some operator needs but the attribute is unknown: still reject a wrong shape,
/// so a rule's validity does not depend on the data.
fn check_value_shape(c: &Condition, place: &str) -> Result<(), ApiError> {
    match c.op {
        Op::Exists | Op::NotExists => Ok(()),
        Op::In | Op::NotIn | Op::Has | Op::HasAll | Op::HasNone => {
            list(&c.value, place, |v, _| Ok(Sql::Text(v.to_string()))).map(|_| ())
        }
        _ if c.value.is_null() || c.value.is_array() || c.value.is_object() => {
            Err(bad(place, "expected a string, number or boolean"))
        }
        _ => Ok(()),
    }
}

fn text_value(value: &Value, place: &str) -> Result<Sql, ApiError> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(bad(place, "expected a string")),
    };
    if text.chars().count() > MAX_TEXT {
        return Err(bad(place, format!("must be at most {MAX_TEXT} characters")));
    }
    Ok(Sql::Text(text))
}

fn number_value(value: &Value, place: &str) -> Result<Sql, ApiError> {
    let parsed = match value {
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .or_else(|| n.as_f64().map(Sql::Real)),
        Value::String(s) => s.trim().parse::<i64>().map(Sql::Integer).ok().or_else(|| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Sql::Real)
        }),
        _ => None,
    };
    parsed.ok_or_else(|| bad(place, "expected a number"))
}

fn days_value(value: &Value, place: &str) -> Result<i64, ApiError> {
    let days = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    days.filter(|d| (0..=36_500).contains(d))
        .ok_or_else(|| bad(place, "expected a number of days (0 to 36500)"))
}

fn date_value(value: &Value, place: &str) -> Result<Date, ApiError> {
    let Value::String(s) = value else {
        return Err(bad(
            place,
            "expected a date (YYYY-MM-DD) or an RFC 3339 time",
        ));
    };
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]"))
        .or_else(|_| OffsetDateTime::parse(s.trim(), &Rfc3339).map(|t| t.date()))
        .map_err(|_| bad(place, "expected a date (YYYY-MM-DD) or an RFC 3339 time"))
}

fn time_value(value: &Value, place: &str) -> Result<Timestamp, ApiError> {
    let Value::String(s) = value else {
        return Err(bad(
            place,
            "expected an RFC 3339 time or a date (YYYY-MM-DD)",
        ));
    };
    OffsetDateTime::parse(s.trim(), &Rfc3339)
        .map(|t| t.unix_timestamp())
        .or_else(|_| date_value(value, place).map(|d| d.midnight().assume_utc().unix_timestamp()))
}

fn list(
    value: &Value,
    place: &str,
    item: impl Fn(&Value, &str) -> Result<Sql, ApiError>,
) -> Result<Vec<Sql>, ApiError> {
    let Value::Array(items) = value else {
        return Err(bad(place, "expected an array of values"));
    };
    if items.is_empty() || items.len() > MAX_LIST {
        return Err(bad(place, format!("expected 1 to {MAX_LIST} values")));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| item(v, &format!("{place}[{i}]")))
        .collect()
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
