//! Rules the server enforces that JSON Schema cannot state, per operation, as
//! `(field, rule)`. A request the schema admits is refused (400) only for one of its
//! operation's rules, and the refusal's message starts with that field (`field: …` or
//! `field[0].x: …`); the schemathesis run in CI holds the server to that.

pub type Rule = (&'static str, &'static str);

const PHONE: &str = "a possible number for its country by libphonenumber's metadata (the country \
    code and the national number's length); without a leading + the server's --default-region applies";
const EMAIL: &str = "a valid address (RFC 5322's addr-spec)";

pub const PERSON: &[Rule] = &[
    ("phoneNumber", PHONE),
    ("email", EMAIL),
    (
        "birthDate",
        "a real calendar date between 1900-01-01 and today",
    ),
    (
        "attributes",
        "a name is not a built-in field's in any case, keeps the kind (string, number or boolean) \
         of its first value, and an account holds at most 64 names",
    ),
];

pub const NEW_PERSON: &[Rule] = &[(
    "body",
    "a new person needs one of name, firstName, phoneNumber, email, externalId or a channel id",
)];

pub const IMPORT: &[Rule] = &[(
    "body",
    "a CSV body is UTF-8 whose first row names the columns, none twice; a JSON body is an array \
     (each element is judged as a row of its own, and a bad one is listed in failed)",
)];

pub const SEGMENT: &[Rule] = &[
    (
        "groups",
        "each condition names an attribute (1 to 64 characters), a known operator (==, !=, \
         contains, starts_with, >, >=, <, <=, in, not_in, exists, within_last_days, before, after, \
         has, has_all, has_none, or their word forms) and a value of the attribute's kind that \
         suits the operator; a custom attribute is compared as the kind it holds",
    ),
    (
        "criteria",
        "Whautomate's fields, each with a value of its kind; ageTo is not below ageFrom",
    ),
    ("contactIds", "not together with criteria or groups"),
];

pub const SEGMENT_TYPE: &[Rule] = &[("type", "a segment's type cannot change")];

pub const MEMBERS_PAGE: &[Rule] = &[("after", "not together with page")];

pub const TEMPLATE: &[Rule] = &[
    ("body", "placeholders are {{1}} to {{n}}, without gaps"),
    (
        "header",
        "a TEXT header needs text: at most 60 characters, at most one placeholder",
    ),
    ("footer", "takes no placeholders"),
    (
        "buttons",
        "a URL button needs an http:// or https:// url (at most 2000 characters, at most one \
         placeholder); a PHONE_NUMBER button needs a phoneNumber (at most 20 characters)",
    ),
];

const URL: &str = "an absolute http:// or https:// URL with a host";

pub const SEND: &[Rule] = &[
    (
        "recipient",
        "exactly one of contact, client or recepient (or recipient); a phone number only on WhatsApp",
    ),
    ("recepient", PHONE),
    (
        "textMessage",
        "required by sendtext, and by sendtemplate on Telegram",
    ),
    ("mediaUrl", URL),
    (
        "mimeType",
        "required by sendmedia and with a Telegram media header: type/subtype with a registered \
         top-level type",
    ),
    (
        "template",
        "sendtemplate on WhatsApp: the name and language of a registered template",
    ),
    (
        "headerTextParameters",
        "as many as the template's header has placeholders",
    ),
    (
        "bodyTextParameters",
        "as many as the template's body has placeholders",
    ),
    (
        "buttonUrlParameters",
        "as many as the template's URL buttons have placeholders",
    ),
    (
        "headerMediaUrl",
        "required by a template with an IMAGE, VIDEO or DOCUMENT header",
    ),
    (
        "locationParameters",
        "required by a template with a LOCATION header: latitude, longitude, name, address",
    ),
    (
        "scheduleDateTime",
        "an RFC 3339 time, at most 366 days from now",
    ),
    ("headerType", "on Telegram: IMAGE, VIDEO or DOCUMENT"),
    (
        "buttons",
        "on Telegram: each a web_url with an http(s) url, or a postback with a payload, titled",
    ),
    (
        "elements",
        "sendtemplate on Instagram and Messenger: 1 to 10 elements, each titled (at most 80 \
         characters), their buttons web_url or postback",
    ),
];

pub const RECEIVE: &[Rule] = &[
    (
        "sender",
        "exactly one of contact, client or sender; a sender's phoneNumber is a possible number",
    ),
    (
        "textMessage",
        "required unless mediaUrl and mimeType are given",
    ),
    ("mediaUrl", URL),
    (
        "mimeType",
        "required with mediaUrl: type/subtype with a registered top-level type",
    ),
];

pub const BROADCAST: &[Rule] = &[
    (
        "template",
        "WhatsApp broadcasts need a registered template's name and language, with its parameters; \
         the other channels take textMessage; never both",
    ),
    (
        "textMessage",
        "required on Telegram, Instagram and Messenger",
    ),
    (
        "scheduleDateTime",
        "an RFC 3339 time, at most 366 days from now",
    ),
];

/// Every channel's settings by name: which channel takes each, and whether it must be set.
pub const CHANNEL_SETTINGS: &[Rule] = &[
    ("phoneNumberId", "WhatsApp's, which requires it"),
    ("accessToken", "WhatsApp's, which requires it"),
    ("appSecret", "WhatsApp's, Messenger's and Instagram's"),
    ("verifyToken", "WhatsApp's, Messenger's and Instagram's"),
    (
        "wabaId",
        "WhatsApp's: its Business Account, whose templates POST /v1/templates/sync reads and \
         whose template status webhooks apply",
    ),
    ("botToken", "Telegram's, which requires it"),
    ("webhookSecret", "Telegram's"),
    ("pageId", "Messenger's, which requires it"),
    (
        "pageAccessToken",
        "Messenger's and Instagram's, which require it",
    ),
    ("accountId", "Instagram's, which requires it"),
];

pub const WEBHOOK: &[Rule] = &[
    (
        "url",
        "reaches a public address: a name resolving to loopback, private, link-local or \
         multicast addresses is refused (unless the operator allows them), and so is one that \
         does not resolve",
    ),
    ("events", "\"*\" stands alone"),
];

pub const SIGNUP: &[Rule] = &[("email", EMAIL)];

pub const WATI_SEGMENT: &[Rule] = &[
    (
        "groups",
        "required by refreshType 2; refreshType 1 needs groups or contactIds; conditions as in \
         POST /v1/segments",
    ),
    ("contactIds", "ids of contacts of this account"),
];

const WATI_NUMBER: &str = "a possible phone number, with its country code (the + may be left out)";

pub const WATI_NUMBER_ONLY: &[Rule] = &[("whatsappNumber", WATI_NUMBER)];

pub const WATI_FILTER: &[Rule] = &[
    (
        "attribute",
        "a JSON list of {name, operator, value}: a built-in field or custom attribute, an \
         operator of POST /v1/segments (or Wati's contain, notContain, exist, notExist, \
         greaterThan, lessThan, isBeforeDate, isAfterDate) and a value of the field's kind",
    ),
    (
        "groups",
        "the filters, checked as a segment rule's conditions",
    ),
    ("createdDate", "a day of the calendar"),
];

pub const WATI_CONTACT: &[Rule] = &[
    ("whatsappNumber", WATI_NUMBER),
    (
        "customParams",
        "a list of {name, value} (or that list as a JSON string); names as custom attributes",
    ),
    (
        "attributes",
        "each name a custom attribute name (letters first), each value of the attribute's kind; \
         at most 64 attributes per account",
    ),
];

pub const WATI_SESSION: &[Rule] = &[
    ("whatsappNumber", WATI_NUMBER),
    (
        "messageText",
        "required: in the query, a form field or the JSON body",
    ),
    (
        "recipient",
        "the contact wrote on WhatsApp in the 24 hours before the message goes out",
    ),
];

pub const WATI_FILE: &[Rule] = &[
    ("whatsappNumber", WATI_NUMBER),
    (
        "url",
        "required: in the query, a form field or the JSON body; its name ends in a known \
         extension (.jpg, .png, .webp, .mp4, .3gp, .mp3, .ogg, .aac, .amr, .m4a, .pdf, .doc(x), \
         .xls(x), .ppt(x), .txt, .csv) unless mimeType is given",
    ),
    ("mediaUrl", "the url: an absolute http(s) URL with a host"),
    ("mimeType", "type/subtype"),
    (
        "recipient",
        "the contact wrote on WhatsApp in the 24 hours before the message goes out",
    ),
];

pub const WATI_UPLOAD: &[Rule] = &[
    ("whatsappNumber", WATI_NUMBER),
    (
        "file",
        "required; a type WhatsApp sends, by the part's Content-Type or else its name's \
         extension (.jpg, .png, .webp, .mp4, .3gp, .mp3, .ogg, .aac, .amr, .m4a, .pdf, .doc(x), \
         .xls(x), .ppt(x), .txt, .csv); its content of that type (checked by its first bytes); at \
         most 5 MiB for an image and 16 MiB otherwise (413); an account keeps at most 512 MiB \
         of files (413)",
    ),
    (
        "caption",
        "at most 1,024 characters; from the query or a form field",
    ),
    (
        "recipient",
        "the contact wrote on WhatsApp in the 24 hours before the message goes out; else \
         nothing is kept or queued",
    ),
];

pub const WATI_MEDIA: &[Rule] = &[(
    "fileName",
    "the mediaFile of a message sent by sendSessionFile (the data of its getMessages item); \
     another account's file is 404",
)];

pub const WATI_TEMPLATES: &[Rule] = &[
    ("template_name", "required"),
    (
        "receivers",
        "1 to 1,000 of {whatsappNumber, customParams} (or that list as a JSON string); a \
         receiver's bad number or parameters are reported in its line of the answer",
    ),
    (
        "headerMediaUrl",
        "a template with an image, video or document header is not sent here",
    ),
];

pub const WATI_CSV: &[Rule] = &[
    ("template_name", "required"),
    (
        "file",
        "the form's part named file (else the first with a file name, else the first): a CSV \
         file of at most 1 MiB, a header row, then 1 to 1,000 \
         rows; the column named whatsappNumber (or phone, phoneNumber, number) holds the \
         number, else the first does; the other columns are parameters named by their header",
    ),
    (
        "headerMediaUrl",
        "a template with an image, video or document header is not sent here",
    ),
];

pub const WATI_TEMPLATE: &[Rule] = &[
    ("whatsappNumber", WATI_NUMBER),
    ("template_name", "required"),
    (
        "parameters",
        "a list of {name, value} (or that list as a JSON string), one per placeholder: named 1, \
         2, … (header_1 for the header's) or given in order",
    ),
    (
        "headerMediaUrl",
        "a template with an image, video or document header is not sent here: Wati's \
         sendTemplateMessage has no field for the header's file",
    ),
];

pub const SEGMENTER: &[Rule] = &[
    (
        "persons",
        "each has one of externalId, firstName, phone, phoneNumber or email, a possible phone \
         number and a valid email; a substitution tag's name follows the custom attribute rules",
    ),
    ("filters", "conditions as in POST /v1/segments' groups"),
    (
        "groups",
        "filters are read as rule groups, so a refused condition is named by its place in them",
    ),
    (
        "TagId",
        "a tag name: at most 100 characters, no control characters",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::model::fields;
    use crate::messages::model::Channel;

    #[test]
    fn every_channel_setting_is_listed_once() {
        let mut known: Vec<&str> = [
            Channel::WhatsApp,
            Channel::Telegram,
            Channel::Messenger,
            Channel::Instagram,
        ]
        .into_iter()
        .flat_map(|c| fields(c).iter().map(|f| f.name))
        .collect();
        known.sort();
        known.dedup();
        let mut listed: Vec<&str> = CHANNEL_SETTINGS.iter().map(|(name, _)| *name).collect();
        listed.sort();
        assert_eq!(listed, known);
    }
}
