//! A WhatsApp Business Account's message templates, as the Cloud API has them: read page by
//! page for a sync (`GET /{waba-id}/message_templates`), each turned into our template, and
//! Meta's `message_template_status_update` webhook turned into approval changes.

use super::provider::{self, Answer};
use crate::error::{Error, Result};
use crate::templates::approval::{Change, Status};
use crate::templates::model::{Button, Header, TemplateBody};
use serde_json::Value;

/// Templates asked for per page, and pages read at most: a sync is bounded.
const PER_PAGE: usize = 100;
const MAX_PAGES: usize = 50;

/// Every template of the business account `waba`, page by page. The next page is asked
/// for by its cursor on our own base URL, never at an address the answer names.
pub async fn templates(
    client: &reqwest::Client,
    base: &str,
    waba: &str,
    token: &str,
) -> Result<Vec<Value>> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![
            ("limit", PER_PAGE.to_string()),
            (
                "fields",
                "name,language,status,category,components,rejected_reason".to_string(),
            ),
        ];
        if let Some(after) = &after {
            query.push(("after", after.clone()));
        }
        let url = url::Url::parse_with_params(&format!("{base}/{waba}/message_templates"), &query)
            .map_err(|_| Error::invalid("wabaId: not a business account id"))?;
        let request = client.get(url).bearer_auth(token);
        let answer = provider::call("WhatsApp", request)
            .await
            .map_err(|r| Error::unavailable(format!("the template list: {}", r.reason)))?;
        if !answer.status.is_success() {
            return Err(refused(&answer));
        }
        let page = answer.body["data"].as_array().cloned().unwrap_or_default();
        let done = page.is_empty() || answer.body["paging"]["next"].is_null();
        all.extend(page);
        after = answer.body["paging"]["cursors"]["after"]
            .as_str()
            .map(str::to_string);
        if done || after.is_none() {
            return Ok(all);
        }
    }
    Ok(all)
}

/// A refusal of the template list: the channel's settings do not let us read it.
fn refused(answer: &Answer) -> Error {
    let said = answer.body["error"]["message"]
        .as_str()
        .unwrap_or("no reason given");
    let said: String = said.chars().take(300).collect();
    Error::conflict(format!(
        "wabaId: WhatsApp refused the template list ({}): {said}",
        answer.status
    ))
}

/// One of the Cloud API's templates as a template body to check, with its approval; `Err`
/// says why it cannot be kept (a component this server does not send).
pub fn template_of(
    meta: &Value,
) -> std::result::Result<(TemplateBody, Status, Option<String>), String> {
    let mut body = TemplateBody {
        name: meta["name"].as_str().map(str::to_string),
        language: meta["language"].as_str().map(str::to_string),
        category: meta["category"].as_str().map(str::to_string),
        ..TemplateBody::default()
    };
    for c in meta["components"].as_array().into_iter().flatten() {
        let text = c["text"].as_str().map(str::to_string);
        match c["type"].as_str().unwrap_or_default() {
            "HEADER" => {
                let kind = c["format"].as_str().unwrap_or("TEXT").to_string();
                body.header = Some(Header { kind, text });
            }
            "BODY" => body.body = text,
            "FOOTER" => body.footer = text,
            "BUTTONS" => {
                let mut buttons = Vec::new();
                for b in c["buttons"].as_array().into_iter().flatten() {
                    let kind = b["type"].as_str().unwrap_or_default();
                    if !matches!(kind, "URL" | "QUICK_REPLY" | "PHONE_NUMBER") {
                        return Err(format!("its {kind} button is not one this server sends"));
                    }
                    buttons.push(Button {
                        kind: kind.to_string(),
                        text: b["text"].as_str().unwrap_or_default().to_string(),
                        url: b["url"].as_str().map(str::to_string),
                        phone_number: b["phone_number"].as_str().map(str::to_string),
                    });
                }
                body.buttons = Some(buttons);
            }
            other => {
                return Err(format!(
                    "its {other} component is not one this server sends"
                ));
            }
        }
    }
    let (status, mut reason) = Status::of_meta(meta["status"].as_str().unwrap_or_default());
    if let Some(why) = meta["rejected_reason"]
        .as_str()
        .filter(|r| *r != "NONE" && !r.is_empty())
    {
        reason = Some(why.chars().take(300).collect());
    }
    Ok((body, status, reason))
}

/// The approval changes in a webhook body for the business account `waba`: its entries'
/// `message_template_status_update` changes. Another account's entries are skipped.
pub fn template_changes(body: &Value, waba: &str) -> Vec<Change> {
    let entries = body["entry"].as_array().into_iter().flatten();
    let ours = entries.filter(|e| !waba.is_empty() && e["id"] == waba);
    ours.flat_map(|e| e["changes"].as_array().into_iter().flatten())
        .filter(|c| c["field"] == "message_template_status_update")
        .filter_map(|c| {
            let v = &c["value"];
            let (status, meta_reason) = Status::of_meta(v["event"].as_str()?);
            let reason = v["reason"]
                .as_str()
                .filter(|r| *r != "NONE" && !r.is_empty())
                .map(|r| r.chars().take(300).collect())
                .or(meta_reason);
            Some(Change {
                name: v["message_template_name"].as_str()?.to_string(),
                language: v["message_template_language"].as_str()?.to_string(),
                status,
                reason,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cloud_api_template_becomes_ours_with_its_approval() {
        let meta = json!({"name": "order_update", "language": "en_US", "status": "REJECTED",
            "category": "UTILITY", "rejected_reason": "INVALID_FORMAT", "id": "1",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
                {"type": "BODY", "text": "Hi {{1}}, it ships {{2}}"},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track", "url": "https://x.example/t/{{1}}"}]}]});
        let (body, status, reason) = template_of(&meta).unwrap();
        assert_eq!(
            (status, reason.as_deref()),
            (Status::Rejected, Some("INVALID_FORMAT"))
        );
        let t = crate::templates::model::Template::parse(body).unwrap();
        assert_eq!(t.body, "Hi {{1}}, it ships {{2}}");
        assert_eq!(t.header.unwrap().text.as_deref(), Some("Order {{1}}"));
        assert_eq!(
            t.buttons[0].url.as_deref(),
            Some("https://x.example/t/{{1}}")
        );
        let otp = json!({"name": "otp", "language": "en", "status": "APPROVED",
            "components": [{"type": "BODY", "text": "{{1}} is your code"},
                           {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]});
        assert_eq!(
            template_of(&otp).unwrap_err(),
            "its OTP button is not one this server sends"
        );
    }

    #[test]
    fn status_updates_are_read_for_this_business_account_only() {
        let body = json!({"object": "whatsapp_business_account", "entry": [
            {"id": "WABA1", "changes": [{"field": "message_template_status_update", "value": {
                "event": "PAUSED", "message_template_id": 9, "message_template_name": "promo",
                "message_template_language": "en", "reason": "LOW_QUALITY"}}]},
            {"id": "WABA2", "changes": [{"field": "message_template_status_update", "value": {
                "event": "DISABLED", "message_template_name": "promo", "message_template_language": "en"}}]}]});
        let changes = template_changes(&body, "WABA1");
        assert_eq!(
            changes,
            [Change {
                name: "promo".into(),
                language: "en".into(),
                status: Status::Paused,
                reason: Some("LOW_QUALITY".into())
            }]
        );
        assert!(template_changes(&body, "").is_empty());
    }
}
