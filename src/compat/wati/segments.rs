//! `createCustomSegment` (seed 001): its body, mapped onto the one segment definition, and
//! its answer, `{"result": true, "info": …}`.

use crate::error::Error;
use crate::fields::Id;
use crate::segments::model::{Definition, SegmentBody};
use crate::segments::rules::Rule;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomSegment {
    name: Option<String>,
    refresh_type: Option<Value>,
    groups: Option<Value>,
    contact_ids: Option<Vec<Id>>,
    /// Accepted for compatibility; uploaded-contact logic belongs to Wati's CDP.
    #[allow(dead_code)]
    use_uploaded_contact: Option<bool>,
}

/// What a Wati body asks for: the segment to store, and for a static one made from
/// groups, the rule whose matches today become its members.
#[derive(Debug)]
pub struct Asked {
    pub definition: Definition,
    pub freeze: Option<Rule>,
}

impl CustomSegment {
    pub fn to_core(self) -> Result<Asked, Error> {
        let name = self
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| Error::invalid("name: required"))?;
        let dynamic = match self.refresh_type.as_ref().and_then(Value::as_i64) {
            Some(1) => false,
            Some(2) => true,
            _ => {
                return Err(Error::invalid(
                    "refreshType: must be 1 (static) or 2 (dynamic)",
                ));
            }
        };
        let groups = self
            .groups
            .filter(|g| !matches!(g, Value::Null) && *g != json!([]));
        let contact_ids = self.contact_ids.unwrap_or_default();
        if dynamic && groups.is_none() {
            return Err(Error::invalid(
                "groups: a dynamic segment (refreshType 2) needs groups",
            ));
        }
        if !dynamic && groups.is_none() && contact_ids.is_empty() {
            return Err(Error::invalid(
                "groups: a static segment (refreshType 1) needs groups or contactIds",
            ));
        }
        let freeze = match (&groups, dynamic) {
            (Some(g), false) => Some(Rule::parse(g, None, "")?),
            _ => None,
        };
        let definition = Definition::parse(SegmentBody {
            name: Some(name),
            groups: groups.filter(|_| dynamic),
            contact_ids: (!dynamic).then_some(contact_ids),
            ..SegmentBody::default()
        })?;
        Ok(Asked { definition, freeze })
    }
}

/// The answer to a segment made.
pub fn created(id: i64, name: &str) -> Value {
    json!({"result": true, "info": {"id": id.to_string(), "name": name}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segments::model::Membership;

    fn asked(body: Value) -> Result<Asked, Error> {
        serde_json::from_value::<CustomSegment>(body)
            .unwrap()
            .to_core()
    }

    #[test]
    fn refresh_types_map_onto_dynamic_and_frozen_segments() {
        let groups =
            json!([{"conditions": [{"attribute": "tags", "operator": "has", "value": "vip"}]}]);
        let dynamic = asked(json!({"name": "d", "refreshType": 2, "groups": groups})).unwrap();
        assert!(matches!(
            dynamic.definition.membership,
            Membership::Dynamic(Some(_))
        ));
        assert!(dynamic.freeze.is_none());
        let frozen = asked(json!({"name": "s", "refreshType": 1, "groups": groups})).unwrap();
        assert_eq!(frozen.definition.membership, Membership::Static);
        assert!(frozen.freeze.is_some());
        for (body, message) in [
            (
                json!({"refreshType": 2, "groups": groups}),
                "name: required",
            ),
            (
                json!({"name": "x", "refreshType": 3}),
                "refreshType: must be",
            ),
            (
                json!({"name": "x", "refreshType": 2, "groups": []}),
                "groups: a dynamic segment",
            ),
            (
                json!({"name": "x", "refreshType": 1}),
                "groups: a static segment",
            ),
        ] {
            let err = asked(body).unwrap_err();
            assert!(err.message.starts_with(message), "{}", err.message);
            assert_eq!(super::super::refused(&err.message)["result"], false);
        }
    }
}
