//! Segment rules as one typed value: groups of `{attribute, operator, value}` conditions,
//! nested AND/OR, each value already of its field's type. Every dialect lands here: the
//! native `groups` through [`Rule::parse`], Whautomate's criteria and Segmenter's filters by
//! writing their conditions in the native form first. [`Rule::to_json`] writes the
//! canonical form that segments store, which [`Rule::parse`] reads back into the same
//! rule. Errors name their place (`groups[1].conditions[0].value`). The compiler to SQL is
//! in [`super::compile`]; custom attributes' kinds are checked there, against the account.
//! Pure: no connection, no HTTP.

use crate::clock::{Timestamp, rfc3339};
use crate::contacts::model::Gender;
use crate::error::Error;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// More conditions than this in one rule is `400` (docs/api.md#segments).
pub const MAX_CONDITIONS: usize = 50;
/// Nesting of groups inside groups, counting the top-level groups as depth 1.
pub const MAX_DEPTH: usize = 5;
/// Values of one `in` / `has` list.
pub const MAX_LIST: usize = 100;
pub const MAX_TEXT: usize = 1000;
/// The longest `within_last_days`.
const MAX_DAYS: i64 = 36_500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    And,
    Or,
}

impl Logic {
    fn as_str(self) -> &'static str {
        match self {
            Logic::And => "and",
            Logic::Or => "or",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Exists,
    NotExists,
    WithinLastDays,
    Before,
    After,
    Has,
    HasAll,
    HasNone,
}

impl Op {
    /// The operator a name or word alias stands for (`==`, `is`, `greater than`, …).
    pub fn parse(raw: &str) -> Option<Op> {
        let words: String = raw
            .trim()
            .to_lowercase()
            .replace(['_', '-'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Some(match words.as_str() {
            "==" | "=" | "is" | "equals" | "equal" | "eq" | "is equal to" => Op::Eq,
            "!=" | "<>" | "is not" | "not equals" | "not equal" | "ne" | "neq"
            | "is not equal to" => Op::Ne,
            "contains" | "includes" => Op::Contains,
            "not contains" | "does not contain" | "doesn't contain" | "excludes" => Op::NotContains,
            "starts with" | "begins with" => Op::StartsWith,
            "ends with" => Op::EndsWith,
            ">" | "gt" | "greater than" | "is greater than" | "more than" => Op::Gt,
            ">=" | "gte" | "greater than or equal" | "greater than or equal to" | "at least" => {
                Op::Ge
            }
            "<" | "lt" | "less than" | "is less than" | "fewer than" => Op::Lt,
            "<=" | "lte" | "less than or equal" | "less than or equal to" | "at most" => Op::Le,
            "in" | "is one of" | "one of" | "any of" => Op::In,
            "not in" | "is not one of" | "none of" => Op::NotIn,
            "exists" | "is set" | "has value" | "is not empty" => Op::Exists,
            "not exists" | "does not exist" | "is not set" | "is empty" => Op::NotExists,
            "within last days" | "in the last" | "in last days" | "within the last days" => {
                Op::WithinLastDays
            }
            "before" | "is before" => Op::Before,
            "after" | "is after" => Op::After,
            "has" | "has any" | "has any of" => Op::Has,
            "has all" | "has all of" => Op::HasAll,
            "has none" | "has none of" | "has not" => Op::HasNone,
            _ => return None,
        })
    }

    /// The canonical name, as stored rules write it (and [`Op::parse`] reads).
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Exists => "exists",
            Op::NotExists => "not_exists",
            Op::WithinLastDays => "within_last_days",
            Op::Before => "before",
            Op::After => "after",
            Op::Has => "has",
            Op::HasAll => "has_all",
            Op::HasNone => "has_none",
        }
    }

    /// The operator `!=`, `not_contains` and `not_in` negate; others are their own.
    pub fn positive(self) -> Op {
        match self {
            Op::Ne => Op::Eq,
            Op::NotContains => Op::Contains,
            Op::NotIn => Op::In,
            other => other,
        }
    }

    /// `!=`, `not_contains`, `not_in`: they also match people lacking the attribute.
    pub fn is_negative(self) -> bool {
        self.positive() != self
    }
}

/// The fields every person has, and what their values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Name,
    FirstName,
    LastName,
    PhoneNumber,
    Email,
    ExternalId,
    Gender,
    ContactStage,
    Channel,
    LocationId,
    Tags,
    Age,
    BirthDate,
    CreatedAt,
    LastActivityAt,
    OptedOut,
}

/// What kind of value a built-in field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Case-insensitive text.
    Text,
    /// `Male`, `Female` or `Other` (text operators also apply).
    Gender,
    /// An id.
    Number,
    Boolean,
    /// Unix seconds, compared with RFC 3339 times and dates.
    Time,
    /// `YYYY-MM-DD`.
    Date,
    /// Whole years since the birth date.
    Age,
    Tags,
}

/// Every built-in field, by the name rules give it.
pub(crate) const BUILTINS: [(&str, Builtin); 16] = [
    ("name", Builtin::Name),
    ("firstName", Builtin::FirstName),
    ("lastName", Builtin::LastName),
    ("phoneNumber", Builtin::PhoneNumber),
    ("email", Builtin::Email),
    ("externalId", Builtin::ExternalId),
    ("gender", Builtin::Gender),
    ("contactStage", Builtin::ContactStage),
    ("channel", Builtin::Channel),
    ("locationId", Builtin::LocationId),
    ("tags", Builtin::Tags),
    ("age", Builtin::Age),
    ("birthDate", Builtin::BirthDate),
    ("createdAt", Builtin::CreatedAt),
    ("lastActivityAt", Builtin::LastActivityAt),
    ("optedOut", Builtin::OptedOut),
];

impl Builtin {
    /// The field a name stands for, in any case (`phone` is `phoneNumber`).
    pub fn parse(name: &str) -> Option<Builtin> {
        if name.eq_ignore_ascii_case("phone") {
            return Some(Builtin::PhoneNumber);
        }
        BUILTINS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, b)| *b)
    }

    pub fn name(self) -> &'static str {
        BUILTINS
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("", |(n, _)| n)
    }

    pub fn kind(self) -> FieldKind {
        match self {
            Builtin::Gender => FieldKind::Gender,
            Builtin::LocationId => FieldKind::Number,
            Builtin::OptedOut => FieldKind::Boolean,
            Builtin::CreatedAt | Builtin::LastActivityAt => FieldKind::Time,
            Builtin::BirthDate => FieldKind::Date,
            Builtin::Age => FieldKind::Age,
            Builtin::Tags => FieldKind::Tags,
            _ => FieldKind::Text,
        }
    }
}

/// What a condition reads: a built-in field, or a custom attribute by name (whose kind
/// the account's data fixes, so it is checked when the rule is compiled).
#[derive(Debug, Clone, PartialEq)]
pub enum Attribute {
    Builtin(Builtin),
    Custom(String),
}

impl Attribute {
    fn parse(name: &str) -> Attribute {
        Builtin::parse(name).map_or_else(|| Attribute::Custom(name.to_string()), Attribute::Builtin)
    }

    pub fn name(&self) -> &str {
        match self {
            Attribute::Builtin(b) => b.name(),
            Attribute::Custom(name) => name,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Real(f64),
}

impl Number {
    fn json(self) -> Value {
        match self {
            Number::Int(n) => json!(n),
            Number::Real(f) => json!(f),
        }
    }
}

/// A custom attribute's value as written: its kind is checked against the attribute's.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(Number),
    Bool(bool),
}

impl Scalar {
    fn json(&self) -> Value {
        match self {
            Scalar::Text(s) => json!(s),
            Scalar::Number(n) => n.json(),
            Scalar::Bool(b) => json!(b),
        }
    }
}

/// A condition's value, of the type its field and operator take.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `exists`, `not_exists`.
    None,
    Text(String),
    Texts(Vec<String>),
    Number(Number),
    Numbers(Vec<Number>),
    Bool(bool),
    Gender(Gender),
    Genders(Vec<Gender>),
    Date(Date),
    Time(Timestamp),
    Days(i64),
    Years(i64),
    /// A custom attribute's value or values.
    Scalar(Scalar),
    Scalars(Vec<Scalar>),
}

impl Operand {
    fn json(&self) -> Value {
        match self {
            Operand::None => Value::Null,
            Operand::Text(s) => json!(s),
            Operand::Texts(v) => json!(v),
            Operand::Number(n) => n.json(),
            Operand::Numbers(v) => Value::Array(v.iter().map(|n| n.json()).collect()),
            Operand::Bool(b) => json!(b),
            Operand::Gender(g) => json!(g.as_str()),
            Operand::Genders(v) => Value::Array(v.iter().map(|g| json!(g.as_str())).collect()),
            Operand::Date(d) => json!(d.to_string()),
            Operand::Time(t) => json!(rfc3339(*t)),
            Operand::Days(n) | Operand::Years(n) => json!(n),
            Operand::Scalar(s) => s.json(),
            Operand::Scalars(v) => Value::Array(v.iter().map(Scalar::json).collect()),
        }
    }
}

/// A rule: groups of conditions. Groups are ORed unless `groupLogic` is `and`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub groups: Vec<Group>,
    pub group_logic: Logic,
}

/// Conditions (or nested groups), ANDed unless `logic` is `or`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub logic: Logic,
    pub items: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Condition(Condition),
    Group(Group),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub attribute: Attribute,
    pub op: Op,
    pub value: Operand,
    /// Where it stands in the request, for error messages.
    pub place: String,
}

pub(super) fn bad(place: &str, what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{place}: {what}"))
}

fn logic(value: Option<&Value>, place: &str) -> Result<Logic, Error> {
    match value {
        None | Some(Value::Null) => Ok(Logic::And),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("and") => Ok(Logic::And),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("or") => Ok(Logic::Or),
        Some(_) => Err(bad(place, "expected \"and\" or \"or\"")),
    }
}

struct Counter(usize);

impl Rule {
    /// Parses `groups` (and `groupLogic`) of a request body; `prefix` names where they are.
    pub fn parse(groups: &Value, group_logic: Option<&Value>, prefix: &str) -> Result<Rule, Error> {
        let place = if prefix.is_empty() {
            "groups".to_string()
        } else {
            format!("{prefix}.groups")
        };
        let Value::Array(items) = groups else {
            return Err(bad(&place, "expected an array of groups"));
        };
        if items.is_empty() {
            return Err(bad(&place, "needs at least one group"));
        }
        let mut counter = Counter(0);
        let groups = items
            .iter()
            .enumerate()
            .map(|(i, g)| parse_group(g, &format!("{place}[{i}]"), 1, &mut counter))
            .collect::<Result<_, _>>()?;
        let group_logic = match group_logic {
            None | Some(Value::Null) => Logic::Or,
            Some(v) => logic(Some(v), "groupLogic")?,
        };
        Ok(Rule {
            groups,
            group_logic,
        })
    }

    /// The canonical form: `{"groups": [...], "groupLogic": "and"|"or"}` in the native
    /// dialect, with canonical attribute and operator names and typed values written out.
    /// [`Rule::parse`] reads it back into this rule.
    pub fn to_json(&self) -> Value {
        fn group(g: &Group) -> Value {
            let items: Vec<Value> = g
                .items
                .iter()
                .map(|item| match item {
                    Node::Condition(c) => json!({
                        "attribute": c.attribute.name(),
                        "operator": c.op.name(),
                        "value": c.value.json(),
                    }),
                    Node::Group(g) => group(g),
                })
                .collect();
            json!({"logic": g.logic.as_str(), "conditions": items})
        }
        json!({
            "groups": self.groups.iter().map(group).collect::<Vec<_>>(),
            "groupLogic": self.group_logic.as_str(),
        })
    }

    /// Every condition of the rule, however deep.
    pub fn conditions(&self) -> Vec<&Condition> {
        fn walk<'a>(group: &'a Group, out: &mut Vec<&'a Condition>) {
            for item in &group.items {
                match item {
                    Node::Condition(c) => out.push(c),
                    Node::Group(g) => walk(g, out),
                }
            }
        }
        let mut out = Vec::new();
        for g in &self.groups {
            walk(g, &mut out);
        }
        out
    }
}

fn parse_group(
    value: &Value,
    place: &str,
    depth: usize,
    counter: &mut Counter,
) -> Result<Group, Error> {
    if depth > MAX_DEPTH {
        return Err(bad(place, format!("groups nest at most {MAX_DEPTH} deep")));
    }
    let Value::Object(object) = value else {
        return Err(bad(place, "expected a group: {\"conditions\": [...]}"));
    };
    let Some(Value::Array(conditions)) = object.get("conditions") else {
        return Err(bad(
            &format!("{place}.conditions"),
            "expected an array of conditions",
        ));
    };
    if conditions.is_empty() {
        return Err(bad(
            &format!("{place}.conditions"),
            "needs at least one condition",
        ));
    }
    let logic = logic(object.get("logic"), &format!("{place}.logic"))?;
    let mut items = Vec::with_capacity(conditions.len());
    for (i, item) in conditions.iter().enumerate() {
        let here = format!("{place}.conditions[{i}]");
        let is_group = item.get("conditions").is_some() && item.get("attribute").is_none();
        items.push(if is_group {
            Node::Group(parse_group(item, &here, depth + 1, counter)?)
        } else {
            counter.0 += 1;
            if counter.0 > MAX_CONDITIONS {
                return Err(bad(
                    &here,
                    format!("a rule holds at most {MAX_CONDITIONS} conditions"),
                ));
            }
            Node::Condition(Condition::parse(item, &here)?)
        });
    }
    Ok(Group { logic, items })
}

impl Condition {
    /// One `{attribute, operator, value}` at `place`, its value checked against the field.
    pub fn parse(value: &Value, place: &str) -> Result<Condition, Error> {
        let Value::Object(object) = value else {
            return Err(bad(
                place,
                "expected a condition: {\"attribute\", \"operator\", \"value\"}",
            ));
        };
        let attribute = match object.get("attribute") {
            Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 64 => {
                Attribute::parse(s.trim())
            }
            _ => {
                return Err(bad(
                    &format!("{place}.attribute"),
                    "expected an attribute name (1 to 64 characters)",
                ));
            }
        };
        let op = match object.get("operator") {
            Some(Value::String(s)) => Op::parse(s).ok_or_else(|| {
                bad(
                    &format!("{place}.operator"),
                    format!("unknown operator {s:?}"),
                )
            })?,
            _ => {
                return Err(bad(
                    &format!("{place}.operator"),
                    "expected an operator such as \"==\" or \"contains\"",
                ));
            }
        };
        let raw = object.get("value").unwrap_or(&Value::Null);
        let value = operand(&attribute, op, raw, place)?;
        Ok(Condition {
            attribute,
            op,
            value,
            place: place.to_string(),
        })
    }
}

/// The value of a condition on `attribute` with `op`, typed; `place` is the condition's.
fn operand(attribute: &Attribute, op: Op, raw: &Value, place: &str) -> Result<Operand, Error> {
    let at = format!("{place}.value");
    let unsupported = || {
        bad(
            &format!("{place}.operator"),
            format!("{op:?} does not apply to {}", attribute.name()),
        )
    };
    if matches!(op, Op::Exists | Op::NotExists) {
        return Ok(Operand::None);
    }
    let kind = match attribute {
        Attribute::Custom(_) => {
            return Ok(match op {
                Op::In | Op::NotIn | Op::Has | Op::HasAll | Op::HasNone => {
                    Operand::Scalars(list(raw, &at, scalar)?)
                }
                _ => Operand::Scalar(scalar(raw, &at)?),
            });
        }
        Attribute::Builtin(b) => b.kind(),
    };
    // A negative operator tests its positive one, and also matches people lacking the field.
    let positive = op.positive();
    let text = |raw: &Value| text_value(raw, &at).map(Operand::Text);
    Ok(match (kind, positive) {
        (FieldKind::Tags, Op::Has | Op::Eq | Op::Contains | Op::In | Op::HasAll | Op::HasNone) => {
            match raw {
                Value::Array(_) => Operand::Texts(list(raw, &at, text_value)?),
                _ => Operand::Texts(vec![text_value(raw, &at)?]),
            }
        }
        (FieldKind::Tags, _) => {
            return Err(bad(
                &format!("{place}.operator"),
                "tags take has, has_all, has_none, exists or not_exists",
            ));
        }
        (FieldKind::Gender, Op::Eq) => Operand::Gender(gender(raw, &at)?),
        (FieldKind::Gender, Op::In) => Operand::Genders(list(raw, &at, gender)?),
        (FieldKind::Text, Op::In) => Operand::Texts(list(raw, &at, text_value)?),
        (
            FieldKind::Text | FieldKind::Gender,
            Op::Eq
            | Op::Contains
            | Op::StartsWith
            | Op::EndsWith
            | Op::Gt
            | Op::Ge
            | Op::Lt
            | Op::Le,
        ) => text(raw)?,
        (FieldKind::Number, Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le) => {
            Operand::Number(number_value(raw, &at)?)
        }
        (FieldKind::Number, Op::In) => Operand::Numbers(list(raw, &at, number_value)?),
        (FieldKind::Boolean, Op::Eq) => Operand::Bool(bool_value(raw, &at)?),
        (FieldKind::Time | FieldKind::Date, Op::WithinLastDays) => {
            Operand::Days(days_value(raw, &at)?)
        }
        (FieldKind::Time, Op::Before | Op::After | Op::Gt | Op::Ge | Op::Lt | Op::Le) => {
            Operand::Time(time_value(raw, &at)?)
        }
        (FieldKind::Date, Op::Eq | Op::Before | Op::After | Op::Gt | Op::Ge | Op::Lt | Op::Le) => {
            Operand::Date(date_value(raw, &at)?)
        }
        (FieldKind::Age, Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le) => {
            Operand::Years(years_value(raw, &at)?)
        }
        _ => return Err(unsupported()),
    })
}

fn scalar(value: &Value, place: &str) -> Result<Scalar, Error> {
    Ok(match value {
        Value::String(s) => Scalar::Text(bounded(s.clone(), place)?),
        Value::Number(n) => Scalar::Number(
            n.as_i64()
                .map(Number::Int)
                .or_else(|| n.as_f64().map(Number::Real))
                .ok_or_else(|| bad(place, "expected a number"))?,
        ),
        Value::Bool(b) => Scalar::Bool(*b),
        _ => return Err(bad(place, "expected a string, number or boolean")),
    })
}

fn bounded(text: String, place: &str) -> Result<String, Error> {
    if text.chars().count() > MAX_TEXT {
        return Err(bad(place, format!("must be at most {MAX_TEXT} characters")));
    }
    Ok(text)
}

pub(super) fn text_value(value: &Value, place: &str) -> Result<String, Error> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(bad(place, "expected a string")),
    };
    bounded(text, place)
}

fn gender(value: &Value, place: &str) -> Result<Gender, Error> {
    value
        .as_str()
        .and_then(Gender::parse)
        .ok_or_else(|| bad(place, "expected Male, Female or Other"))
}

pub(super) fn number_value(value: &Value, place: &str) -> Result<Number, Error> {
    let parsed = match value {
        Value::Number(n) => n
            .as_i64()
            .map(Number::Int)
            .or_else(|| n.as_f64().map(Number::Real)),
        Value::String(s) => s.trim().parse::<i64>().map(Number::Int).ok().or_else(|| {
            let f = s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
            f.map(Number::Real)
        }),
        _ => None,
    };
    parsed.ok_or_else(|| bad(place, "expected a number"))
}

pub(super) fn bool_value(value: &Value, place: &str) -> Result<bool, Error> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(bad(place, "expected true or false")),
    }
}

fn days_value(value: &Value, place: &str) -> Result<i64, Error> {
    let days = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    days.filter(|d| (0..=MAX_DAYS).contains(d)).ok_or_else(|| {
        bad(
            place,
            format!("expected a number of days (0 to {MAX_DAYS})"),
        )
    })
}

fn years_value(value: &Value, place: &str) -> Result<i64, Error> {
    let whole = value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0)
            .map(|f| f as i64)
    });
    match whole {
        Some(n) if (0..=150).contains(&n) => Ok(n),
        _ => Err(bad(place, "expected a whole number of years (0 to 150)")),
    }
}

fn date_value(value: &Value, place: &str) -> Result<Date, Error> {
    let error = || bad(place, "expected a date (YYYY-MM-DD) or an RFC 3339 time");
    let Value::String(s) = value else {
        return Err(error());
    };
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]"))
        .or_else(|_| OffsetDateTime::parse(s.trim(), &Rfc3339).map(|t| t.date()))
        .map_err(|_| error())
}

fn time_value(value: &Value, place: &str) -> Result<Timestamp, Error> {
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

fn list<T>(
    value: &Value,
    place: &str,
    item: impl Fn(&Value, &str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
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

/// A condition in the native form, for dialects that build rules from their own fields.
pub fn condition_json(attribute: &str, op: Op, value: Value) -> Value {
    let mut c = Map::new();
    c.insert("attribute".into(), json!(attribute));
    c.insert("operator".into(), json!(op.name()));
    c.insert("value".into(), value);
    Value::Object(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: Value) -> Rule {
        Rule::parse(&groups, Some(&json!("and")), "").unwrap()
    }

    #[test]
    fn the_canonical_form_reads_back_into_the_same_rule() {
        let cond = |a: &str, o: &str, v: Value| json!({"attribute": a, "operator": o, "value": v});
        let sent = json!([
            {"logic": "OR", "conditions": [
                cond("PHONE", "starts with", json!("+91")),
                cond("gender", "is", json!("female")),
                cond("gender", "one of", json!(["male", "OTHER"])),
                {"conditions": [cond("age", "at least", json!(30.0)), cond("age", "<", json!(40))]}]},
            {"conditions": [
                cond("lastActivityAt", "in the last", json!("30")),
                cond("createdAt", "after", json!("2026-01-02")),
                cond("birthDate", "before", json!("1990-04-02T10:00:00+05:30")),
                cond("locationId", "in", json!(["3", 4])),
                cond("optedOut", "is", json!("false")),
                cond("tags", "has all", json!(["vip", "b"])),
                cond("tags", "has none", json!("churned")),
                cond("orders", ">", json!(2.5)),
                cond("country", "not in", json!(["Kenya", 7, true])),
                cond("Nickname", "is set", json!("ignored"))]}
        ]);
        let first = rule(sent);
        let canonical = first.to_json();
        let again = Rule::parse(&canonical["groups"], canonical.get("groupLogic"), "").unwrap();
        assert_eq!(again, first);
        assert_eq!(again.to_json(), canonical);
        assert_eq!(
            canonical["groups"][0]["conditions"][0],
            json!({"attribute": "phoneNumber", "operator": "starts_with", "value": "+91"})
        );
        assert_eq!(
            canonical["groups"][1]["conditions"][1]["value"],
            "2026-01-02T00:00:00Z"
        );
        assert_eq!(
            canonical["groups"][1]["conditions"][2]["value"],
            "1990-04-02"
        );
        assert_eq!(
            canonical["groups"][1]["conditions"][9]["value"],
            Value::Null
        );
    }

    #[test]
    fn built_in_fields_take_values_of_their_type() {
        let one = |a: &str, o: &str, v: Value| {
            Rule::parse(
                &json!([{"conditions": [{"attribute": a, "operator": o, "value": v}]}]),
                None,
                "",
            )
            .map(|r| r.conditions()[0].value.clone())
        };
        assert_eq!(
            one("age", ">", json!("30")).unwrap_err().message,
            "groups[0].conditions[0].value: expected a whole number of years (0 to 150)"
        );
        assert_eq!(
            one("locationId", "==", json!("7")).unwrap(),
            Operand::Number(Number::Int(7))
        );
        assert!(
            one("createdAt", "!=", json!("2026-01-01")).is_err(),
            "no equality of times"
        );
        assert!(one("name", "before", json!("x")).is_err());
        assert_eq!(
            one("gender", "contains", json!("ale")).unwrap(),
            Operand::Text("ale".into())
        );
        assert_eq!(
            one("country", "==", json!(5)).unwrap(),
            Operand::Scalar(Scalar::Number(Number::Int(5)))
        );
    }
}
