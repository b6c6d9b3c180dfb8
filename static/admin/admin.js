// The admin page: talks to /admin/api with the session cookie. No framework, no inline code
// (the page's Content-Security-Policy forbids it). Every mutating call sends JSON, which the
// server requires as its CSRF defence.
"use strict";

const $ = (id) => document.getElementById(id);
let signingUp = false;
let currentAccount = null;
// From /setup: whether the server has its owner yet, and whether sign-up is open.
let setup = { hasOwner: true, openSignup: false };

async function api(method, path, body) {
  const init = { method, headers: { "Content-Type": "application/json" }, credentials: "same-origin" };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch("/admin/api" + path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function limit(n) {
  return n === null || n === undefined ? "unlimited" : n.toLocaleString();
}

function when(t) {
  return t ? new Date(t).toLocaleString() : "never";
}

function showAuth(signup) {
  signingUp = signup;
  const owner = !setup.hasOwner;
  $("dashboard").hidden = true;
  $("logout").hidden = true;
  $("auth").hidden = false;
  $("auth-title").textContent = owner ? "Create the owner account" : signup ? "Create the account" : "Log in";
  $("owner-hint").hidden = !owner;
  $("auth-submit").textContent = signup ? "Create the account" : "Log in";
  $("auth-toggle").textContent = signup ? "Have an account? Log in" : "No account yet? Sign up";
  // Nobody to log in as yet, or nobody more may sign up: no way to the other form.
  $("auth-toggle").hidden = owner || (!signup && !setup.openSignup);
  $("password").autocomplete = signup ? "new-password" : "current-password";
}

async function showDashboard() {
  const me = await api("GET", "/me");
  $("auth").hidden = true;
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  $("account-email").textContent = me.email;
  $("account-plan").textContent = me.plan;
  $("limit-minute").textContent = limit(me.limits.perMinute);
  $("limit-day").textContent = limit(me.limits.perDay);
  $("limit-segments").textContent = limit(me.limits.segments);
  $("usage-today").textContent = me.usage.today.toLocaleString();
  currentAccount = me.id;
  await loadKeys();
  await loadChannels();
  await loadTemplates();
  await loadBroadcasts();
  await loadWebhooks();
}

async function loadKeys() {
  const keys = await api("GET", "/keys");
  const body = $("keys-body");
  body.replaceChildren();
  for (const key of keys) {
    const row = document.createElement("tr");
    row.dataset.keyId = key.id;
    const cells = [key.name, key.prefix + "…", when(key.createdAt), when(key.lastUsedAt),
      key.revokedAt ? "revoked " + when(key.revokedAt) : "active"];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (key.revokedAt) cell.className = "revoked";
      row.append(cell);
    }
    const actions = document.createElement("td");
    if (!key.revokedAt) {
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "link";
      revoke.textContent = "Revoke";
      revoke.addEventListener("click", () => revokeKey(key));
      actions.append(revoke);
    }
    row.append(actions);
    body.append(row);
  }
  $("no-keys").hidden = keys.length > 0;
}

const CHANNEL_NAMES = { whatsapp: "WhatsApp", telegram: "Telegram", messenger: "Messenger", instagram: "Instagram" };
// "phoneNumberId" → "Phone number ID"
function label(name) {
  const words = name.replace(/([A-Z])/g, " $1").toLowerCase()
    .replace(/\bid\b/g, "ID").replace(/\bapi\b/g, "API").replace(/\burl\b/g, "URL");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// The view's fields in the form's order: plain ones carry their value, secrets only
// whether they are set.
function fieldsOf(view) {
  return view.fields.map((f) => ({ ...f, value: view[f.name], isSet: view[f.name + "Set"] }));
}

function channelForm(view) {
  const form = document.createElement("form");
  form.className = "channel";
  form.dataset.channel = view.channel;
  const title = document.createElement("h3");
  title.textContent = CHANNEL_NAMES[view.channel] || view.channel;
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = view.configured ? "delivers through the provider" : "sandbox";
  title.append(status);
  form.append(title);

  const fields = fieldsOf(view);
  for (const f of fields) {
    const input = document.createElement("input");
    input.name = f.name;
    input.autocomplete = "off";
    if (f.secret) {
      input.type = "password";
      input.placeholder = f.isSet ? "set (leave blank to keep)" : "not set";
    } else {
      input.value = f.value === null ? "" : f.value;
    }
    input.required = f.required && !f.isSet;
    const row = document.createElement("label");
    row.append(label(f.name) + (f.required ? "" : " (optional)"), input);
    form.append(row);
  }

  if (view.channel !== "telegram" || view.configured) {
    const hook = document.createElement("p");
    hook.className = "hint";
    const url = `${location.origin}/webhooks/${view.channel}/${currentAccount}`;
    const code = document.createElement("code");
    code.textContent = url;
    hook.append(view.channel === "telegram" ? "Webhook (setWebhook with secret_token): " : "Webhook: ", code);
    form.append(hook);
  }

  const actions = document.createElement("div");
  actions.className = "actions";
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Save";
  actions.append(save);
  if (view.configured) {
    const sandbox = document.createElement("button");
    sandbox.type = "button";
    sandbox.className = "link";
    sandbox.textContent = "Use the sandbox";
    sandbox.addEventListener("click", () => forgetChannel(view.channel));
    actions.append(sandbox);
  }
  const saved = document.createElement("span");
  saved.className = "hint saved";
  actions.append(saved);
  form.append(actions);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    saved.textContent = ""; // "Saved." is this save's, never a previous one's
    // Only what changed: a blank secret keeps the stored one, a cleared field is removed.
    const body = {};
    for (const f of fields) {
      const value = form.elements[f.name].value.trim();
      if (f.secret) {
        if (value) body[f.name] = value;
      } else if (value !== (f.value || "")) {
        body[f.name] = value || null;
      }
    }
    try {
      await api("PUT", "/channels/" + view.channel, body);
      await loadChannels();
      document.querySelector(`form[data-channel="${view.channel}"] .saved`).textContent = "Saved.";
    } catch (e) {
      showError(`${title.firstChild.textContent}: ${e.message}`);
    }
  });
  return form;
}

async function loadChannels() {
  const views = await api("GET", "/channels");
  $("channels").replaceChildren(...views.map(channelForm));
}

async function forgetChannel(channel) {
  if (!confirm(`Forget the ${CHANNEL_NAMES[channel]} settings? Its messages go to the sandbox again.`)) return;
  showError("");
  try {
    await api("DELETE", "/channels/" + channel);
    await loadChannels();
  } catch (e) {
    showError(e.message);
  }
}

async function revokeKey(key) {
  if (!confirm(`Revoke the key "${key.name}"? Apps using it stop working at once.`)) return;
  try {
    await api("DELETE", "/keys/" + encodeURIComponent(key.id));
    await loadKeys();
  } catch (e) {
    showError(e.message);
  }
}

$("auth-toggle").addEventListener("click", (event) => {
  event.preventDefault();
  showError("");
  showAuth(!signingUp);
});

$("auth-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  try {
    await api("POST", signingUp ? "/signup" : "/login", {
      email: $("email").value,
      password: $("password").value,
    });
    $("password").value = "";
    setup.hasOwner = true;
    await showDashboard();
  } catch (e) {
    showError(e.message);
  }
});

$("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  try {
    const created = await api("POST", "/keys", { name: $("key-name").value });
    $("key-name").value = "";
    $("new-key-value").textContent = created.key;
    $("copy-status").textContent = "";
    $("new-key").hidden = false;
    await loadKeys();
  } catch (e) {
    showError(e.message);
  }
});

$("copy-key").addEventListener("click", async () => {
  const key = $("new-key-value").textContent;
  try {
    await navigator.clipboard.writeText(key);
    $("copy-status").textContent = "Copied.";
  } catch {
    // No clipboard access (plain http on another host): select the text for a manual copy.
    const range = document.createRange();
    range.selectNodeContents($("new-key-value"));
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    $("copy-status").textContent = "Selected: press Ctrl+C to copy.";
  }
});

$("logout").addEventListener("click", async () => {
  await api("POST", "/logout", {}).catch(() => {});
  $("new-key").hidden = true;
  showAuth(false);
});

showDashboard().catch(async (e) => {
  if (e.status !== 401) showError(e.message);
  setup = await api("GET", "/setup").catch(() => setup);
  showAuth(!setup.hasOwner);
});
