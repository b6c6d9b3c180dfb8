// The admin page's Webhooks section: add an endpoint (its secret shown once), list them with
// their state, send a test event, see the last deliveries, enable, disable, delete. Loaded
// before admin.js, whose api(), $() and showError() it uses once the page runs.
"use strict";

async function loadWebhooks() {
  const hooks = await api("GET", "/webhooks");
  const body = $("webhooks-body");
  body.replaceChildren(...hooks.map(webhookRow));
  $("no-webhooks").hidden = hooks.length > 0;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function action(text, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.textContent = text;
  button.addEventListener("click", onClick);
  return button;
}

function webhookRow(hook) {
  const row = document.createElement("tr");
  row.dataset.webhookId = hook.id;
  const state = hook.enabled
    ? hook.failingSince ? "failing since " + when(hook.failingSince) : "enabled"
    : "disabled: " + (hook.disabledReason || "");
  row.append(cell(hook.url, "url"), cell(hook.events.join(", ")), cell(state, "state"));
  const actions = document.createElement("td");
  actions.className = "actions";
  actions.append(
    action("Send test event", () => testWebhook(hook)),
    action("Deliveries", () => showDeliveries(hook)),
    action(hook.enabled ? "Disable" : "Enable", () => toggleWebhook(hook)),
    action("Delete", () => deleteWebhook(hook)),
  );
  row.append(actions);
  return row;
}

async function testWebhook(hook) {
  showError("");
  try {
    const outcome = await api("POST", `/webhooks/${hook.id}/test`, {});
    const said = outcome.status === "succeeded"
      ? `Test event delivered (${outcome.httpStatus}, ${outcome.durationMs} ms).`
      : `Test event failed: ${outcome.error || outcome.httpStatus}. It will be retried.`;
    $("webhook-status").textContent = said;
    await showDeliveries(hook);
  } catch (e) {
    showError(e.message);
  }
}

async function showDeliveries(hook) {
  const list = await api("GET", `/webhooks/${hook.id}/deliveries?limit=20`);
  $("deliveries-title").textContent = "Last deliveries to " + hook.url;
  $("deliveries-body").replaceChildren(...list.map((d) => {
    const row = document.createElement("tr");
    row.append(cell(when(d.updatedAt)), cell(d.type), cell(d.status, "status-" + d.status),
      cell(String(d.attempt)), cell(d.httpStatus === null ? "" : String(d.httpStatus)),
      cell(d.error || (d.nextAttemptAt ? "next attempt " + when(d.nextAttemptAt) : "")));
    return row;
  }));
  $("no-deliveries").hidden = list.length > 0;
  $("deliveries").hidden = false;
}

async function toggleWebhook(hook) {
  showError("");
  try {
    await api("PUT", "/webhooks/" + hook.id, { enabled: !hook.enabled });
    await loadWebhooks();
  } catch (e) {
    showError(e.message);
  }
}

async function deleteWebhook(hook) {
  if (!confirm(`Delete the webhook to ${hook.url}? Its delivery log goes too.`)) return;
  showError("");
  try {
    await api("DELETE", "/webhooks/" + hook.id);
    $("deliveries").hidden = true;
    await loadWebhooks();
  } catch (e) {
    showError(e.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("webhook-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    const events = $("webhook-events").value.split(",").map((e) => e.trim()).filter(Boolean);
    try {
      const created = await api("POST", "/webhooks", { url: $("webhook-url").value.trim(), events });
      $("webhook-url").value = "";
      $("new-webhook-secret").textContent = created.secret;
      $("new-webhook").hidden = false;
      $("webhook-status").textContent = "";
      await loadWebhooks();
    } catch (e) {
      showError(e.message);
    }
  });
});
