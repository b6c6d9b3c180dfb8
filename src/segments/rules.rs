//! Segment rules (API.md §5): groups of `{attribute, operator, value}` conditions, nested
//! AND/OR, parsed with errors that name their place (`groups[1].conditions[0].value`). The
//! compiler to SQL is in [`super::compile`]. Pure: no connection, no HTTP.

use crate::error::ApiError;
use serde_json::Value;
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

impl Op {
    /// The operator `!=`, `not_contains` and `not_in` negate; others are their own.
    pub fn positive(self) -> Op {
        match self {
            Op::Ne => Op::Eq,
            Op::NotContains => Op::Contains,
            Op::NotIn => Op::In,
            other => other,
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
    pub attribute: String,
    pub op: Op,
    pub value: Value,
    /// Where it stands in the request, for error messages.
    pub place: String,
}

pub(super) fn bad(place: &str, what: impl std::fmt::Display) -> ApiError {
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
