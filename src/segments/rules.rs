//! Segment rules (API.md §5): groups of `{attribute, operator, value}` conditions, nested
//! AND/OR, parsed with errors that name their place (`groups[1].conditions[0].value`) and
//! compiled to an SQL condition over `contacts c`.
//!
//! Safety: an attribute name only ever selects one of a fixed set of columns (built-in
//! fields, or the value column `a{slot}` the account's attribute owns); every value is a
//! bound parameter. No input text reaches the SQL. Pure: no connection, no HTTP.

use crate::clock::{SECONDS_PER_DAY, Timestamp, date_of};
use crate::contacts::model::{AttrKey, AttrKind};
use crate::error::ApiError;
use rusqlite::types::Value as Sql;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// More conditions than this in one rule is `400` (API.md §5).
pub const MAX_CONDITIONS: usize = 50;
/// Nesting of groups inside groups, counting the top-level groups as depth 1.
pub const MAX_DEPTH: usize = 5;
/// Values of one `in` / `has` list.
pub const MAX_LIST: usize = 100;
pub const MAX_TEXT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    And,
    Or,
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
    pub attribute: String,
    pub op: Op,
    pub value: Value,
    /// Where it stands in the request, for error messages.
    pub place: String,
}

fn bad(place: &str, what: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("{place}: {what}"))
}

fn logic(value: Option<&Value>, place: &str) -> Result<Logic, ApiError> {
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
    pub fn parse(
        groups: &Value,
        group_logic: Option<&Value>,
        prefix: &str,
    ) -> Result<Rule, ApiError> {
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
) -> Result<Group, ApiError> {
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
            Node::Condition(parse_condition(item, &here)?)
        });
    }
    Ok(Group { logic, items })
}

fn parse_condition(value: &Value, place: &str) -> Result<Condition, ApiError> {
    let Value::Object(object) = value else {
        return Err(bad(
            place,
            "expected a condition: {\"attribute\", \"operator\", \"value\"}",
        ));
    };
    let attribute = match object.get("attribute") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 64 => {
            s.trim().to_string()
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
    Ok(Condition {
        attribute,
        op,
        value: object.get("value").cloned().unwrap_or(Value::Null),
        place: place.to_string(),
    })
}

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

fn field(attribute: &str, keys: &[AttrKey]) -> Field {
    let builtin = [
        ("name", Field::Text("c.name")),
        ("firstName", Field::Text("c.first_name")),
        ("lastName", Field::Text("c.last_name")),
        ("phoneNumber", Field::Text("c.phone")),
        ("phone", Field::Text("c.phone")),
        ("email", Field::Text("c.email")),
        ("externalId", Field::Text("c.external_id")),
        ("gender", Field::Text("c.gender")),
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
            Field::Text(column) => self.text(column, c, &value_place, unsupported),
            Field::Slot(slot, AttrKind::String) => {
                self.text(slot_column(slot), c, &value_place, unsupported)
            }
            Field::Slot(slot, AttrKind::Number) => {
                self.number(slot_column(slot), c, &value_place, unsupported)
            }
            Field::Slot(slot, AttrKind::Boolean) => {
                self.boolean(slot_column(slot), c, &value_place, unsupported)
            }
            Field::OptedOut => self.boolean("c.opted_out", c, &value_place, unsupported),
            Field::Location => self.location(c, &value_place, unsupported),
            Field::Time(column) => self.time(column, c, &value_place, unsupported),
            Field::Date(column) => self.date(column, c, &value_place, unsupported),
            Field::Age => self.age(c, &value_place, unsupported),
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
            Op::Ne => format!(
                "({column} IS NULL OR {column} <> {} COLLATE NOCASE)",
                self.bind(text_value(&c.value, place)?)
            ),
            Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
                let Sql::Text(s) = text_value(&c.value, place)? else {
                    unreachable!()
                };
                let pattern = match c.op {
                    Op::StartsWith => format!("{}%", like(&s)),
                    Op::EndsWith => format!("%{}", like(&s)),
                    _ => format!("%{}%", like(&s)),
                };
                let test = format!(
                    "{column} LIKE {} ESCAPE '\\'",
                    self.bind(Sql::Text(pattern))
                );
                if c.op == Op::NotContains {
                    format!("({column} IS NULL OR NOT ({test}))")
                } else {
                    test
                }
            }
            Op::In | Op::NotIn => {
                let values = list(&c.value, place, text_value)?;
                let test = format!("{column} COLLATE NOCASE IN ({})", self.binds(values));
                if c.op == Op::NotIn {
                    format!("({column} IS NULL OR NOT ({test}))")
                } else {
                    test
                }
            }
            Op::Exists => format!("({column} IS NOT NULL AND {column} <> '')"),
            Op::NotExists => format!("({column} IS NULL OR {column} = '')"),
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
            Op::Ne => format!(
                "({column} IS NULL OR {column} <> {})",
                self.bind(number_value(&c.value, place)?)
            ),
            Op::In | Op::NotIn => {
                let values = list(&c.value, place, number_value)?;
                let test = format!("{column} IN ({})", self.binds(values));
                if c.op == Op::NotIn {
                    format!("({column} IS NULL OR NOT ({test}))")
                } else {
                    test
                }
            }
            Op::Exists => format!("{column} IS NOT NULL"),
            Op::NotExists => format!("{column} IS NULL"),
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
            Op::Ne => format!(
                "({column} IS NULL OR {column} <> {})",
                self.bind(Sql::Integer(value()?))
            ),
            Op::Exists => format!("{column} IS NOT NULL"),
            Op::NotExists => format!("{column} IS NULL"),
            _ => return Err(unsupported()),
        })
    }

    fn location(
        &mut self,
        c: &Condition,
        place: &str,
        unsupported: impl Fn() -> ApiError,
    ) -> Result<String, ApiError> {
        let column = "c.location_id";
        Ok(match c.op {
            Op::Eq => format!("{column} = {}", self.bind(id_value(&c.value, place)?)),
            Op::Ne => format!(
                "({column} IS NULL OR {column} <> {})",
                self.bind(id_value(&c.value, place)?)
            ),
            Op::In | Op::NotIn => {
                let values = list(&c.value, place, id_value)?;
                let test = format!("{column} IN ({})", self.binds(values));
                if c.op == Op::NotIn {
                    format!("({column} IS NULL OR NOT ({test}))")
                } else {
                    test
                }
            }
            Op::Exists => format!("{column} IS NOT NULL"),
            Op::NotExists => format!("{column} IS NULL"),
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
            Op::Exists => format!("{column} IS NOT NULL"),
            Op::NotExists => format!("{column} IS NULL"),
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
            Op::Ne => format!("({column} IS NULL OR {column} <> {})", self.bind(date()?)),
            Op::Before | Op::Lt => format!("{column} < {}", self.bind(date()?)),
            Op::After | Op::Gt => format!("{column} > {}", self.bind(date()?)),
            Op::Le => format!("{column} <= {}", self.bind(date()?)),
            Op::Ge => format!("{column} >= {}", self.bind(date()?)),
            Op::WithinLastDays => {
                let days = days_value(&c.value, place)?;
                let since = date_of(self.now - days * SECONDS_PER_DAY).to_string();
                format!("{column} >= {}", self.bind(Sql::Text(since)))
            }
            Op::Exists => format!("{column} IS NOT NULL"),
            Op::NotExists => format!("{column} IS NULL"),
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
            Op::Eq | Op::Ne => {
                let n = years(&c.value)?;
                let (a, b) = (self.bind(ago(n)), self.bind(ago(n + 1)));
                let exactly = format!("({col} <= {a} AND {col} > {b})");
                if c.op == Op::Eq {
                    exactly
                } else {
                    format!("({col} IS NULL OR NOT {exactly})")
                }
            }
            Op::Exists => format!("{col} IS NOT NULL"),
            Op::NotExists => format!("{col} IS NULL"),
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

fn id_value(value: &Value, place: &str) -> Result<Sql, ApiError> {
    let id = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    id.map(Sql::Integer)
        .ok_or_else(|| bad(place, "expected a location id"))
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
mod tests {
    use super::*;
    use crate::contacts::model::{PersonChanges, PersonInput, PersonType};
    use crate::contacts::phone::PhoneRules;
    use crate::contacts::store;
    use rusqlite::Connection;
    use serde_json::json;

    /// 2026-11-22T12:00:00Z
    const NOW: Timestamp = 1_795_341_600 + 2 * 3600;

    struct Population {
        conn: Connection,
        l1: i64,
    }

    fn add(conn: &Connection, account: i64, kind: PersonType, body: Value) -> i64 {
        let input: PersonInput = serde_json::from_value(body).unwrap();
        let changes =
            PersonChanges::parse(input, &PhoneRules::new(None).unwrap(), date_of(NOW)).unwrap();
        store::insert(conn, account, kind, &changes, NOW).unwrap()
    }

    /// Four contacts with known answers, plus decoys in another account and of another type.
    fn population() -> Population {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at) VALUES
             (1, 'a@x.co', 'x', 'unlimited', 0), (2, 'b@x.co', 'x', 'unlimited', 0);
             INSERT INTO locations (id, account_id, title, created_at, updated_at) VALUES
             (1, 1, 'L1', 0, 0), (2, 1, 'L2', 0, 0);",
        )
        .unwrap();
        let c = PersonType::Contact;
        let asha = add(
            &conn,
            1,
            c,
            json!({"name": "Asha Rao", "phoneNumber": "+919876543210", "email": "asha@example.com",
            "gender": "Female", "birthDate": "1990-04-02", "contactStage": "Subscriber", "channel": "whatsapp",
            "tags": ["vip", "newsletter"], "attributes": {"country": "India", "orders": 7, "member": true}, "location": {"id": 1}}),
        );
        let bob = add(
            &conn,
            1,
            c,
            json!({"name": "Bob Smith", "phoneNumber": "+14155550100", "gender": "Male",
            "birthDate": "2000-11-23", "contactStage": "Lead", "tags": ["newsletter"],
            "attributes": {"country": "USA", "orders": 2, "member": false}}),
        );
        add(
            &conn,
            1,
            c,
            json!({"name": "Chen", "email": "chen@example.org", "gender": "Other", "contactStage": "Customer",
            "attributes": {"orders": 12}, "location": {"id": 2}}),
        );
        add(
            &conn,
            1,
            c,
            json!({"name": "dana", "birthDate": "2000-11-22"}),
        );
        add(
            &conn,
            2,
            c,
            json!({"name": "Other account", "tags": ["vip"], "attributes": {"country": "India", "orders": 99}}),
        );
        add(
            &conn,
            1,
            PersonType::Client,
            json!({"name": "A client", "tags": ["vip"], "attributes": {"country": "India"}}),
        );
        conn.execute(
            "UPDATE contacts SET last_activity_at = ?1 WHERE id = ?2",
            [NOW - 2 * SECONDS_PER_DAY, asha],
        )
        .unwrap();
        conn.execute(
            "UPDATE contacts SET last_activity_at = ?1 WHERE id = ?2",
            [NOW - 40 * SECONDS_PER_DAY, bob],
        )
        .unwrap();
        Population { conn, l1: 1 }
    }

    impl Population {
        fn count_rule(&self, groups: Value, group_logic: Option<Value>) -> Result<i64, ApiError> {
            let rule = Rule::parse(&groups, group_logic.as_ref(), "")?;
            let keys = store::attribute_keys(&self.conn, 1)?;
            let compiled = compile(&rule, &keys, 1, NOW)?;
            let sql = format!(
                "SELECT count(*) FROM contacts c WHERE c.account_id = ? AND c.type = 0 AND {}",
                compiled.sql
            );
            let mut params = vec![Sql::Integer(1)];
            params.extend(compiled.params);
            Ok(self
                .conn
                .query_row(&sql, rusqlite::params_from_iter(params), |r| r.get(0))
                .unwrap())
        }

        fn count(&self, attribute: &str, operator: &str, value: Value) -> i64 {
            let groups = json!([{"conditions": [{"attribute": attribute, "operator": operator, "value": value}]}]);
            self.count_rule(groups, None)
                .unwrap_or_else(|e| panic!("{attribute} {operator}: {e}"))
        }
    }

    #[test]
    fn every_operator_on_every_kind_of_field() {
        let p = population();
        let cases: Vec<(&str, &str, Value, i64)> = vec![
            ("country", "==", json!("india"), 1),
            ("country", "!=", json!("India"), 3),
            ("country", "exists", Value::Null, 2),
            ("country", "not_exists", Value::Null, 2),
            ("country", "in", json!(["usa", "India"]), 2),
            ("country", "not_in", json!(["USA"]), 3),
            ("name", "contains", json!("A"), 2),
            ("name", "not_contains", json!("a"), 2),
            ("name", "starts_with", json!("b"), 1),
            ("name", "ends_with", json!("RAO"), 1),
            ("name", "contains", json!("%"), 0),
            ("phoneNumber", "contains", json!("98765"), 1),
            ("phone", "starts_with", json!("+1"), 1),
            ("email", "ends_with", json!(".org"), 1),
            ("orders", ">", json!(5), 2),
            ("orders", ">=", json!(7), 2),
            ("orders", "<", json!(7), 1),
            ("orders", "<=", json!("7"), 2),
            ("orders", "==", json!(2), 1),
            ("orders", "!=", json!(2), 3),
            ("orders", "in", json!([2, 12]), 2),
            ("orders", "not_in", json!([2]), 3),
            ("member", "==", json!(true), 1),
            ("member", "==", json!("false"), 1),
            ("member", "!=", json!(true), 3),
            ("gender", "in", json!(["female", "MALE"]), 2),
            ("gender", "==", json!("Other"), 1),
            ("contactStage", "==", json!("lead"), 1),
            ("channel", "==", json!("WhatsApp"), 1),
            ("age", ">=", json!(26), 2),
            ("age", ">", json!(25), 2),
            ("age", "==", json!(25), 1),
            ("age", "==", json!(26), 1),
            ("age", "<", json!(26), 1),
            ("age", "<=", json!(25), 1),
            ("age", "!=", json!(36), 3),
            ("birthDate", "before", json!("1995-01-01"), 1),
            ("birthDate", "after", json!("2000-11-22"), 1),
            ("birthDate", "==", json!("2000-11-22"), 1),
            ("lastActivityAt", "within_last_days", json!(7), 1),
            ("lastActivityAt", "within_last_days", json!("60"), 2),
            ("lastActivityAt", "not_exists", Value::Null, 2),
            (
                "lastActivityAt",
                "after",
                json!("2026-11-01T00:00:00+05:30"),
                1,
            ),
            ("createdAt", "before", json!("2026-11-23"), 4),
            ("tags", "has", json!("vip"), 1),
            ("tags", "has", json!(["vip", "newsletter"]), 2),
            ("tags", "has_all", json!(["VIP", "newsletter"]), 1),
            ("tags", "has_none", json!(["vip"]), 3),
            ("tags", "exists", Value::Null, 2),
            ("tags", "not_exists", Value::Null, 2),
            ("tags", "==", json!("Newsletter"), 2),
            ("optedOut", "==", json!(false), 4),
            ("locationId", "==", json!(p.l1.to_string()), 1),
            ("locationId", "!=", json!(p.l1), 3),
            ("locationId", "exists", Value::Null, 2),
            ("favourite", "==", json!("x"), 0),
            ("favourite", "!=", json!("x"), 4),
            ("favourite", "not_exists", Value::Null, 4),
        ];
        for (attribute, operator, value, expected) in cases {
            assert_eq!(
                p.count(attribute, operator, value.clone()),
                expected,
                "{attribute} {operator} {value}"
            );
        }
    }

    #[test]
    fn word_aliases_mean_their_operators() {
        let p = population();
        assert_eq!(p.count("country", "is", json!("India")), 1);
        assert_eq!(p.count("country", "is not", json!("India")), 3);
        assert_eq!(p.count("orders", "greater than", json!(5)), 2);
        assert_eq!(p.count("orders", "Less_Than", json!(5)), 1);
        assert_eq!(p.count("name", "does not contain", json!("a")), 2);
        assert_eq!(p.count("tags", "has all", json!(["vip", "newsletter"])), 1);
        assert_eq!(p.count("lastActivityAt", "in the last", json!(7)), 1);
        for (alias, op) in [
            ("equals", Op::Eq),
            ("gte", Op::Ge),
            ("is one of", Op::In),
            ("is set", Op::Exists),
            ("begins-with", Op::StartsWith),
        ] {
            assert_eq!(Op::parse(alias), Some(op), "{alias}");
        }
        assert_eq!(Op::parse("resembles"), None);
    }

    #[test]
    fn and_or_and_nesting() {
        let p = population();
        let india = json!({"attribute": "country", "operator": "==", "value": "India"});
        let big = json!({"attribute": "orders", "operator": ">", "value": 10});
        assert_eq!(
            p.count_rule(
                json!([{"conditions": [india]}, {"conditions": [big]}]),
                None
            )
            .unwrap(),
            2,
            "groups OR"
        );
        assert_eq!(
            p.count_rule(
                json!([{"conditions": [india]}, {"conditions": [big]}]),
                Some(json!("and"))
            )
            .unwrap(),
            0
        );
        assert_eq!(
            p.count_rule(json!([{"conditions": [india, big]}]), None)
                .unwrap(),
            0,
            "conditions AND"
        );
        assert_eq!(
            p.count_rule(json!([{"logic": "or", "conditions": [india, big]}]), None)
                .unwrap(),
            2
        );
        let nested = json!([{"conditions": [
            {"attribute": "tags", "operator": "has", "value": "newsletter"},
            {"logic": "or", "conditions": [
                {"attribute": "country", "operator": "==", "value": "USA"},
                {"attribute": "orders", "operator": ">", "value": 5}
            ]}
        ]}]);
        assert_eq!(p.count_rule(nested, None).unwrap(), 2);
    }

    #[test]
    fn other_accounts_and_types_never_match() {
        let p = population();
        // Account 2 and the client both have country India and tag vip.
        assert_eq!(p.count("country", "==", json!("India")), 1);
        assert_eq!(p.count("tags", "has", json!("vip")), 1);
        assert_eq!(p.count("orders", "==", json!(99)), 0);
    }

    #[test]
    fn injection_shaped_names_and_values_match_nothing_and_break_nothing() {
        let p = population();
        assert_eq!(p.count("country' OR 1=1 --", "==", json!("x")), 0);
        assert_eq!(p.count("country", "==", json!("' OR '1'='1")), 0);
        assert_eq!(
            p.count("name", "contains", json!("'; DROP TABLE contacts; --")),
            0
        );
        assert_eq!(p.count("tags", "has", json!(["x') OR 1=1 --"])), 0);
        assert_eq!(
            p.count("name", "exists", Value::Null),
            4,
            "the table is still there"
        );
    }

    fn error(groups: Value) -> String {
        let p = population();
        p.count_rule(groups, None).unwrap_err().message
    }

    #[test]
    fn bad_rules_are_400_naming_the_place() {
        let cond = |a: &str, o: &str, v: Value| json!({"attribute": a, "operator": o, "value": v});
        let cases = [
            (json!({}), "groups: expected an array of groups"),
            (json!([]), "groups: needs at least one group"),
            (
                json!([{"conditions": []}]),
                "groups[0].conditions: needs at least one condition",
            ),
            (
                json!([{"conditions": [cond("country", "resembles", json!("x"))]}]),
                "groups[0].conditions[0].operator: unknown operator",
            ),
            (
                json!([{}, {"conditions": [cond("orders", ">", json!("many"))]}]),
                "groups[0].conditions: expected an array",
            ),
            (
                json!([{"conditions": [cond("a", "==", json!(1))]}, {"conditions": [cond("orders", ">", json!("many"))]}]),
                "groups[1].conditions[0].value: expected a number",
            ),
            (
                json!([{"conditions": [cond("country", "in", json!("India"))]}]),
                "groups[0].conditions[0].value: expected an array",
            ),
            (
                json!([{"conditions": [cond("member", "==", json!(3))]}]),
                "groups[0].conditions[0].value: expected true or false",
            ),
            (
                json!([{"conditions": [cond("age", ">", json!(-1))]}]),
                "groups[0].conditions[0].value: expected a whole number",
            ),
            (
                json!([{"conditions": [cond("lastActivityAt", "within_last_days", json!("soon"))]}]),
                "groups[0].conditions[0].value: expected a number of days",
            ),
            (
                json!([{"conditions": [cond("birthDate", "before", json!("yesterday"))]}]),
                "groups[0].conditions[0].value: expected a date",
            ),
            (
                json!([{"conditions": [cond("tags", ">", json!("x"))]}]),
                "groups[0].conditions[0].operator: tags take",
            ),
            (
                json!([{"conditions": [cond("member", "contains", json!("x"))]}]),
                "groups[0].conditions[0].operator:",
            ),
            (
                json!([{"conditions": [cond("", "==", json!("x"))]}]),
                "groups[0].conditions[0].attribute:",
            ),
            (
                json!([{"logic": "xor", "conditions": [cond("a", "==", json!(1))]}]),
                "groups[0].logic: expected",
            ),
            (
                json!([{"conditions": [cond("unknown", "==", json!([1]))]}]),
                "groups[0].conditions[0].value: expected a string",
            ),
        ];
        for (groups, expected) in cases {
            let message = error(groups.clone());
            assert!(message.starts_with(expected), "{groups}: {message}");
        }
        let many: Vec<Value> = (0..=MAX_CONDITIONS)
            .map(|i| cond("orders", ">", json!(i)))
            .collect();
        assert!(error(json!([{"conditions": many}])).contains("at most 50 conditions"));
        let mut deep = json!({"conditions": [cond("orders", ">", json!(1))]});
        for _ in 0..MAX_DEPTH {
            deep = json!({"logic": "or", "conditions": [deep]});
        }
        assert!(error(json!([deep])).contains("nest at most 5 deep"));
    }

    #[test]
    fn the_compiled_sql_holds_no_input_text() {
        let rule = Rule::parse(
            &json!([{"conditions": [{"attribute": "nickname'--", "operator": "==", "value": "Robert'); DROP"},
                                    {"attribute": "name", "operator": "contains", "value": "x' OR 1=1"}]}]),
            None,
            "",
        )
        .unwrap();
        let compiled = compile(&rule, &[], 1, NOW).unwrap();
        assert!(
            !compiled.sql.contains("DROP")
                && !compiled.sql.contains("nickname")
                && !compiled.sql.contains("OR 1=1"),
            "{}",
            compiled.sql
        );
        assert_eq!(compiled.params, vec![Sql::Text("%x' OR 1=1%".into())]);
    }
}
