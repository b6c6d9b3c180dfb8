//! `getMessageTemplates` and `sendTemplateMessage`: templates as Wati lists them, and a
//! template send's named parameters onto the core's positional ones.

use super::{messages, pairs, shown};
use crate::broadcasts::model::Parameters;
use crate::clock::{self, Timestamp};
use crate::error::Error;
use crate::fields::text;
use crate::messages::body::{SendBody, TemplateName};
use crate::templates::model::Template;
use serde::Deserialize;
use serde_json::{Value, json};

/// A template as Wati lists it. Every stored template is one the server will send, which is
/// what Wati calls `APPROVED`.
pub fn template(id: i64, t: &Template, updated_at: Timestamp) -> Value {
    let params: Vec<Value> = (1..=t.placeholders().body)
        .map(|n| json!({"paramName": n.to_string()}))
        .collect();
    json!({
        "id": id.to_string(),
        "elementName": t.name,
        "category": t.category,
        "status": "APPROVED",
        "language": t.language,
        "body": t.body,
        "bodyOriginal": t.body,
        "header": t.header,
        "footer": t.footer,
        "buttons": t.buttons,
        "customParams": params,
        "lastModified": clock::rfc3339(updated_at),
    })
}

/// `sendTemplateMessage`'s body.
#[derive(Debug, Default, Deserialize)]
pub struct TemplateSend {
    pub template_name: Option<String>,
    pub broadcast_name: Option<String>,
    pub parameters: Option<Value>,
}

impl TemplateSend {
    /// The template it names.
    pub fn name(&self) -> Result<String, Error> {
        self.template_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::invalid("template_name: required"))
    }

    /// The core's template send to `number`, its parameters filling `t`'s placeholders
    /// (see [`fill`]).
    pub fn to_core(self, number: &str, t: &Template) -> Result<SendBody, Error> {
        let own = fill(t, "parameters", self.parameters)?;
        Ok(SendBody {
            recipient: Some(messages::to(number)),
            template: Some(TemplateName {
                name: Some(t.name.clone()),
                language: Some(t.language.clone()),
            }),
            body_text_parameters: Some(own.body),
            header_text_parameters: Some(own.header),
            ..SendBody::default()
        })
    }
}

/// Fills `t`'s placeholders from `{name, value}` pairs: a parameter named `1`, `2`, … fills
/// that placeholder of the body, `header_1` the header's; the others fill the remaining
/// placeholders in the order sent, the body's first. Too few or too many is an error naming
/// `field`.
pub fn fill(t: &Template, field: &str, parameters: Option<Value>) -> Result<Parameters, Error> {
    let wanted = t.placeholders();
    let mut body: Vec<Option<String>> = vec![None; wanted.body];
    let mut header: Vec<Option<String>> = vec![None; wanted.header];
    let mut in_order = Vec::new();
    for (i, (name, value)) in pairs(field, parameters)?.into_iter().enumerate() {
        let (slots, n) = match name.strip_prefix("header_") {
            Some(n) => (&mut header, n),
            None => (&mut body, name.as_str()),
        };
        match n.parse::<usize>() {
            Ok(n) if (1..=slots.len()).contains(&n) => slots[n - 1] = Some(shown(&value)),
            Ok(_) => {
                return Err(Error::invalid(format!(
                    "{field}[{i}].name: template {} has no placeholder {{{{{n}}}}} there",
                    t.name
                )));
            }
            Err(_) => in_order.push(shown(&value)),
        }
    }
    let mut in_order = in_order.into_iter();
    for slot in body.iter_mut().chain(header.iter_mut()) {
        if slot.is_none() {
            *slot = in_order.next();
        }
    }
    let (given, needed) = (
        body.iter().chain(&header).flatten().count() + in_order.len(),
        wanted.body + wanted.header,
    );
    if given != needed || body.iter().chain(&header).any(Option::is_none) {
        return Err(Error::invalid(format!(
            "{field}: template {} takes {needed} parameters ({} in its body, {} in its \
             header); {given} were sent",
            t.name, wanted.body, wanted.header
        )));
    }
    Ok(Parameters {
        header: header.into_iter().flatten().collect(),
        body: body.into_iter().flatten().collect(),
    })
}

/// The longest `broadcast_name`, as a broadcast's name.
pub const MAX_BROADCAST_NAME: usize = crate::broadcasts::model::MAX_NAME;

/// Receivers one `sendTemplateMessages` may name.
pub const MAX_RECEIVERS: usize = 1000;

/// `sendTemplateMessages`' body: one broadcast of a template to a list of numbers, each
/// with parameters of its own.
#[derive(Debug, Default, Deserialize)]
pub struct TemplateSends {
    pub template_name: Option<String>,
    pub broadcast_name: Option<String>,
    pub receivers: Option<Value>,
}

/// One receiver: its number and its parameters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receiver {
    pub whatsapp_number: Option<String>,
    pub custom_params: Option<Value>,
}

impl TemplateSends {
    /// The template named, the broadcast's name (the template's when none is given), and
    /// the receivers, 1 to [`MAX_RECEIVERS`].
    pub fn read(self) -> Result<(String, String, Vec<Receiver>), Error> {
        let (template, name) = names(self.template_name, self.broadcast_name)?;
        let receivers = super::list("receivers", self.receivers)?;
        if receivers.is_empty() || receivers.len() > MAX_RECEIVERS {
            return Err(Error::invalid(format!(
                "receivers: 1 to {MAX_RECEIVERS} receivers, each {{whatsappNumber, customParams}}"
            )));
        }
        let receivers = receivers
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let at = format!("receivers[{i}]");
                if !r.is_object() {
                    return Err(Error::invalid(format!(
                        "{at}: expected an object {{whatsappNumber, customParams}}"
                    )));
                }
                let r = serde_json::from_value::<Receiver>(r)
                    .map_err(|e| Error::invalid(format!("{at}: {e}")))?;
                if r.whatsapp_number.is_none() {
                    return Err(Error::invalid(format!("{at}.whatsappNumber: required")));
                }
                // The shape is the request's to get right; the values, each receiver's.
                pairs(&format!("{at}.customParams"), r.custom_params.clone())?;
                Ok(r)
            })
            .collect::<Result<_, _>>()?;
        Ok((template, name, receivers))
    }
}

/// The template a send to a list names, and the broadcast's name (the template's when none
/// is given).
pub fn names(
    template_name: Option<String>,
    broadcast_name: Option<String>,
) -> Result<(String, String), Error> {
    let template = TemplateSend {
        template_name,
        ..TemplateSend::default()
    }
    .name()?;
    let name = broadcast(broadcast_name)?.unwrap_or_else(|| template.clone());
    Ok((template, name))
}

/// A `broadcast_name`: blank is none.
pub fn broadcast(raw: Option<String>) -> Result<Option<String>, Error> {
    raw.filter(|n| !n.trim().is_empty())
        .map(|n| text("broadcast_name", &n, MAX_BROADCAST_NAME))
        .transpose()
}

/// The receivers of `sendTemplateMessageCSV`'s file: a header row, then a row per receiver.
/// The column named `whatsappNumber` (or `phone`, `phoneNumber`, `number`, in any case)
/// holds the number, else the first column does; every other column is a parameter named
/// by its header.
pub fn receivers_of_csv(bytes: &[u8]) -> Result<Vec<Receiver>, Error> {
    let mut rows = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let bad = |e: csv::Error| Error::invalid(format!("file: not a CSV file ({e})"));
    let header: Vec<String> = rows
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_string)
        .collect();
    let number_at = header
        .iter()
        .position(|h| {
            let h = h.to_ascii_lowercase().replace(['_', ' '], "");
            matches!(
                h.as_str(),
                "whatsappnumber" | "phone" | "phonenumber" | "number"
            )
        })
        .unwrap_or(0);
    let mut receivers = Vec::new();
    for row in rows.records() {
        let row = row.map_err(bad)?;
        if receivers.len() == MAX_RECEIVERS {
            return Err(Error::invalid(format!(
                "file: at most {MAX_RECEIVERS} receivers (rows after the header)"
            )));
        }
        let params: Vec<Value> = header
            .iter()
            .enumerate()
            .filter(|&(at, _)| at != number_at)
            .map(|(at, name)| json!({"name": name, "value": row.get(at).unwrap_or("")}))
            .collect();
        let number = row.get(number_at).unwrap_or("").to_string();
        if number.is_empty() && params.iter().all(|p| p["value"] == "") {
            continue; // a blank line
        }
        receivers.push(Receiver {
            whatsapp_number: Some(number),
            custom_params: Some(Value::Array(params)),
        });
    }
    if receivers.is_empty() {
        return Err(Error::invalid("file: no receivers after the header row"));
    }
    Ok(receivers)
}

/// A receiver's line of the answer: its message, or why it has none.
pub fn receiver(number: &str, outcome: &Result<i64, Error>) -> Value {
    let (id, errors) = match outcome {
        Ok(id) => (Some(id.to_string()), Vec::new()),
        Err(e) => (None, vec![e.message.clone()]),
    };
    let valid = !matches!(outcome, Err(e) if e.message.starts_with("whatsappNumber"));
    json!({
        "waId": super::wa_id(number),
        "localMessageId": id,
        "isValidWhatsAppNumber": valid,
        "errors": errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::model::{Header, TemplateBody};

    fn order_template() -> Template {
        Template::parse(TemplateBody {
            name: Some("order_update".into()),
            language: Some("en".into()),
            header: Some(Header {
                kind: "text".into(),
                text: Some("Order {{1}}".into()),
            }),
            body: Some("Hi {{1}}, your order ships on {{2}}.".into()),
            ..TemplateBody::default()
        })
        .unwrap()
    }

    fn send(parameters: Value) -> Result<SendBody, Error> {
        TemplateSend {
            template_name: Some("order_update".into()),
            broadcast_name: None,
            parameters: Some(parameters),
        }
        .to_core("919876543210", &order_template())
    }

    #[test]
    fn parameters_fill_placeholders_by_number_or_in_order() {
        let by_number = send(json!([{"name": "2", "value": "Friday"},
            {"name": "header_1", "value": "A-7"}, {"name": "1", "value": "Asha"}]))
        .unwrap();
        assert_eq!(by_number.body_text_parameters.unwrap(), ["Asha", "Friday"]);
        assert_eq!(by_number.header_text_parameters.unwrap(), ["A-7"]);
        let in_order = send(json!([{"name": "name", "value": "Asha"},
            {"name": "day", "value": "Friday"}, {"name": "order", "value": 7}]))
        .unwrap();
        assert_eq!(in_order.body_text_parameters.unwrap(), ["Asha", "Friday"]);
        assert_eq!(in_order.header_text_parameters.unwrap(), ["7"]);
        assert_eq!(in_order.template.unwrap().language.as_deref(), Some("en"));
    }

    #[test]
    fn too_few_too_many_or_unknown_placeholders_are_refused() {
        for (parameters, start) in [
            (
                json!([{"name": "1", "value": "Asha"}]),
                "parameters: template order_update takes 3",
            ),
            (
                json!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"},
                    {"name": "c", "value": "3"}, {"name": "d", "value": "4"}]),
                "parameters: template order_update takes 3",
            ),
            (
                json!([{"name": "3", "value": "x"}]),
                "parameters[0].name: template order_update has no placeholder {{3}}",
            ),
        ] {
            let err = send(parameters).unwrap_err();
            assert!(err.message.starts_with(start), "{}", err.message);
        }
        assert_eq!(
            TemplateSend::default().name().unwrap_err().message,
            "template_name: required"
        );
    }

    #[test]
    fn a_csv_file_names_its_number_column_or_starts_with_it() {
        let file = b"name,Phone,day\nAsha,919876543210,Friday\n\nRavi,+919876543211,Monday\n";
        let receivers = receivers_of_csv(file).unwrap();
        assert_eq!(receivers.len(), 2, "the blank line is skipped");
        assert_eq!(
            receivers[1].whatsapp_number.as_deref(),
            Some("+919876543211")
        );
        assert_eq!(
            receivers[0].custom_params,
            Some(json!([{"name": "name", "value": "Asha"}, {"name": "day", "value": "Friday"}]))
        );
        let first = receivers_of_csv(b"to,name\n919876543210,Asha\n").unwrap();
        assert_eq!(first[0].whatsapp_number.as_deref(), Some("919876543210"));
        let err = receivers_of_csv(b"number\n").unwrap_err();
        assert!(
            err.message.starts_with("file: no receivers"),
            "{}",
            err.message
        );
        let many = format!("number\n{}", "919876543210\n".repeat(MAX_RECEIVERS + 1));
        let err = receivers_of_csv(many.as_bytes()).unwrap_err();
        assert!(err.message.starts_with("file: at most"), "{}", err.message);
    }

    #[test]
    fn templates_list_their_placeholders() {
        let t = template(4, &order_template(), 0);
        assert_eq!(t["elementName"], "order_update");
        assert_eq!(
            t["customParams"],
            json!([{"paramName": "1"}, {"paramName": "2"}])
        );
    }
}
