//! `getContacts`, `addContact` and `updateContactAttributes`: Wati's contact and its
//! `customParams` onto a person and its custom attributes, and `getContacts`' filters onto
//! conditions of a segment rule, which the one rule engine evaluates.

use super::{Paging, pairs, phone, shown, wa_id};
use crate::contacts::model::{Person, PersonInput};
use crate::error::Error;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::Date;
use time::macros::format_description;

/// The longest `attribute` filter read.
pub const MAX_FILTER: usize = 20_000;

/// `getContacts`' query.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactsQuery {
    #[serde(flatten)]
    pub paging: Paging,
    pub name: Option<String>,
    /// Wati's filter: a JSON list of `{name, operator, value}`.
    pub attribute: Option<String>,
    /// A day: contacts created on it (UTC).
    pub created_date: Option<String>,
}

impl ContactsQuery {
    /// The filters as the groups of a segment rule (every condition must hold); none when
    /// nothing filters.
    pub fn groups(&self) -> Result<Option<Value>, Error> {
        let mut conditions = Vec::new();
        if let Some(name) = nonblank(&self.name) {
            conditions.push(condition("name", "contains", json!(name)));
        }
        if let Some(raw) = nonblank(&self.attribute) {
            if raw.chars().count() > MAX_FILTER {
                return Err(Error::invalid(format!(
                    "attribute: at most {MAX_FILTER} characters"
                )));
            }
            let filters = match serde_json::from_str::<Value>(raw) {
                Ok(Value::Array(filters)) => filters,
                Ok(one @ Value::Object(_)) => vec![one],
                _ => {
                    return Err(Error::invalid(
                        "attribute: expected a JSON list of {name, operator, value}",
                    ));
                }
            };
            for (i, f) in filters.iter().enumerate() {
                let name = f
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::invalid(format!("attribute[{i}].name: required")))?;
                let operator = f.get("operator").and_then(Value::as_str).unwrap_or("==");
                let value = f.get("value").cloned().unwrap_or(Value::Null);
                conditions.push(condition(name, operator_of(operator), value));
            }
        }
        if let Some(raw) = nonblank(&self.created_date) {
            let day = day("createdDate", raw)?;
            let next = day.next_day().unwrap_or(day);
            conditions.push(condition("createdAt", ">=", json!(day.to_string())));
            conditions.push(condition("createdAt", "<", json!(next.to_string())));
        }
        Ok((!conditions.is_empty()).then(|| json!([{"conditions": conditions}])))
    }
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn condition(attribute: &str, operator: &str, value: Value) -> Value {
    json!({"attribute": attribute, "operator": operator, "value": value})
}

/// Wati's operator names; any other is passed on, for the rule engine's own aliases.
fn operator_of(wati: &str) -> &str {
    match wati.trim() {
        "contain" => "contains",
        "notContain" => "not_contains",
        "exist" => "exists",
        "notExist" => "not_exists",
        "greaterThan" => ">",
        "lessThan" => "<",
        "isBeforeDate" => "before",
        "isAfterDate" => "after",
        other => other,
    }
}

/// A day as `YYYY-MM-DD` or Wati's `MM/DD/YYYY`.
fn day(field: &str, raw: &str) -> Result<Date, Error> {
    Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .or_else(|_| Date::parse(raw, format_description!("[month]/[day]/[year]")))
        .map_err(|_| Error::invalid(format!("{field}: expected YYYY-MM-DD or MM/DD/YYYY")))
}

/// `addContact`'s body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddContactBody {
    pub name: Option<String>,
    pub custom_params: Option<Value>,
}

impl AddContactBody {
    /// The person to upsert by `phone` (normalised by the caller): its name, if sent, and
    /// its `customParams` as custom attributes, merged into those it has.
    pub fn to_core(self, phone: String) -> Result<PersonInput, Error> {
        let name = self
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        Ok(PersonInput {
            name: name.map(Some),
            phone_number: Some(Some(phone)),
            attributes: attributes(self.custom_params)?,
            ..PersonInput::default()
        })
    }
}

/// `updateContactAttributes`' body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributesBody {
    pub custom_params: Option<Value>,
}

impl AttributesBody {
    /// The attributes to merge into the person's.
    pub fn to_core(self) -> Result<PersonInput, Error> {
        let attributes = attributes(self.custom_params)?
            .ok_or_else(|| Error::invalid("customParams: required, a list of {name, value}"))?;
        Ok(PersonInput {
            attributes: Some(attributes),
            ..PersonInput::default()
        })
    }
}

fn attributes(raw: Option<Value>) -> Result<Option<Map<String, Value>>, Error> {
    let pairs = pairs("customParams", raw)?;
    Ok((!pairs.is_empty()).then(|| pairs.into_iter().collect()))
}

/// The `whatsappNumber` of a path, as the core reads a phone.
pub fn number(raw: &str) -> String {
    phone(raw)
}

/// A person as Wati shows a contact.
pub fn contact(p: &Person) -> Value {
    let phone = p.phone_number.as_deref().map(wa_id);
    let full = p.name.clone().or_else(|| {
        let parts: Vec<&str> = [&p.first_name, &p.last_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let params: Vec<Value> = p
        .attributes
        .iter()
        .map(|(name, value)| json!({"name": name, "value": shown(value)}))
        .collect();
    json!({
        "id": p.id,
        "wAid": phone,
        "firstName": p.first_name.clone().or_else(|| full.clone()),
        "fullName": full,
        "phone": phone,
        "contactStatus": if phone.is_some() { "VALID" } else { "INVALID" },
        "source": null,
        "created": p.created_at,
        "lastUpdated": p.updated_at,
        "optedIn": !p.opted_out,
        "customParams": params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(query: Value) -> Result<Option<Value>, Error> {
        serde_json::from_value::<ContactsQuery>(query)
            .unwrap()
            .groups()
    }

    #[test]
    fn filters_become_rule_conditions() {
        assert_eq!(groups(json!({})).unwrap(), None);
        let g = groups(json!({
            "name": "Asha",
            "attribute": r#"[{"name": "city", "operator": "contain", "value": "Pune"}]"#,
            "createdDate": "12/31/2026",
        }))
        .unwrap()
        .unwrap();
        assert_eq!(
            g,
            json!([{"conditions": [
                {"attribute": "name", "operator": "contains", "value": "Asha"},
                {"attribute": "city", "operator": "contains", "value": "Pune"},
                {"attribute": "createdAt", "operator": ">=", "value": "2026-12-31"},
                {"attribute": "createdAt", "operator": "<", "value": "2027-01-01"},
            ]}])
        );
        for (query, field) in [
            (json!({"attribute": "city=Pune"}), "attribute:"),
            (
                json!({"attribute": r#"[{"value": 1}]"#}),
                "attribute[0].name",
            ),
            (json!({"createdDate": "yesterday"}), "createdDate:"),
        ] {
            let err = groups(query).unwrap_err();
            assert!(err.message.starts_with(field), "{}", err.message);
        }
    }

    #[test]
    fn custom_params_become_attributes_and_come_back_as_text() {
        let input = AddContactBody {
            name: Some(" Asha Rao ".into()),
            custom_params: Some(json!([{"name": "city", "value": "Pune"}])),
        }
        .to_core("+919876543210".into())
        .unwrap();
        assert_eq!(input.name, Some(Some("Asha Rao".into())));
        assert_eq!(input.attributes.unwrap()["city"], json!("Pune"));
        assert!(AttributesBody::default().to_core().is_err());

        let person = Person {
            id: "7".into(),
            name: Some("Asha Rao".into()),
            phone_number: Some("+919876543210".into()),
            attributes: [("orders".to_string(), json!(3))].into_iter().collect(),
            ..Person::default()
        };
        let c = contact(&person);
        assert_eq!(c["wAid"], "919876543210");
        assert_eq!(c["firstName"], "Asha Rao");
        assert_eq!(c["optedIn"], true);
        assert_eq!(c["customParams"], json!([{"name": "orders", "value": "3"}]));
    }
}
