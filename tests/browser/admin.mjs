// Drives the admin page in a real browser: sign up, create a key, copy it, see it listed,
// use it, set a channel up and back to the sandbox, read a broadcast's report, add a webhook
// and send it a test event, revoke the key, log out.
// Usage: node admin.mjs http://127.0.0.1:PORT [screenshot.png]
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import http from "node:http";

const base = process.argv[2];
const screenshot = process.argv[3];
if (!base) {
  console.error("usage: node admin.mjs BASE_URL [SCREENSHOT]");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext();
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
const page = await context.newPage();
page.setDefaultTimeout(10_000);

// Any console error (a CSP violation reports as one) or uncaught exception fails the run.
const problems = [];
// The browser reports every 4xx fetch as one: 401s (signed out) are expected, a 400 only
// in the step that sends a bad field on purpose.
let expect400 = false;
page.on("console", (msg) => {
  const text = msg.text();
  if (msg.type() !== "error" || text.includes("401") || (expect400 && text.includes("400"))) return;
  problems.push(text);
});
page.on("pageerror", (err) => problems.push(String(err)));

let passed = 0;
async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (err) {
    console.log(`not ok - ${name}\n${err.stack || err}`);
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    await browser.close();
    console.log(`browser: ${passed} passed, 1 failed`);
    process.exit(1);
  }
}

const email = "owner@example.com";
let key;

await step("a server with no account offers to create the owner account first", async () => {
  await page.goto(base + "/admin");
  await page.locator("#auth").waitFor({ state: "visible" });
  assert.equal(await page.locator("#auth-title").textContent(), "Create the owner account");
  assert.ok(await page.locator("#owner-hint").isVisible());
  assert.ok(!(await page.locator("#auth-toggle").isVisible()), "nobody to log in as yet");
});

await step("signing up shows the dashboard with plan and limits", async () => {
  await page.fill("#email", email);
  await page.fill("#password", "correct horse battery");
  await page.click("#auth-submit");
  await page.locator("#dashboard").waitFor({ state: "visible" });
  assert.equal(await page.locator("#account-email").textContent(), email);
  assert.equal(await page.locator("#account-plan").textContent(), "unlimited");
  assert.equal(await page.locator("#limit-minute").textContent(), "unlimited");
});

await step("creating a key shows it once and copies it", async () => {
  await page.fill("#key-name", "browser-test");
  await page.click("#key-form button[type=submit]");
  await page.locator("#new-key").waitFor({ state: "visible" });
  key = (await page.locator("#new-key-value").textContent()).trim();
  assert.match(key, /^sb_live_[0-9a-f]{40}$/);
  await page.click("#copy-key");
  await page.locator("#copy-status", { hasText: "Copied." }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
});

await step("the key is listed by name and prefix, never in full", async () => {
  const row = page.locator("#keys-body tr", { hasText: "browser-test" });
  await row.waitFor();
  const text = await row.textContent();
  assert.ok(text.includes(key.slice(0, 14)), text);
  assert.ok(!text.includes(key), "the list holds only the prefix");
  assert.ok(text.includes("active"), text);
});

await step("the key works against the API", async () => {
  const res = await fetch(base + "/v1/account", { headers: { "x-api-key": key } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).email, email);
});

const whatsapp = () => page.locator('form[data-channel="whatsapp"]');
const channelApi = async () =>
  (await fetch(base + "/v1/channels/whatsapp", { headers: { "x-api-key": key } })).json();

await step("setting up WhatsApp stores it, and the secret is never shown again", async () => {
  assert.ok((await whatsapp().textContent()).includes("sandbox"));
  await whatsapp().locator('input[name="phoneNumberId"]').fill("1055001");
  await whatsapp().locator('input[name="accessToken"]').fill("EAAG-browser-secret");
  await whatsapp().locator('input[name="appSecret"]').fill("app-secret-value");
  await whatsapp().locator('input[name="verifyToken"]').fill("verify-me");
  await whatsapp().locator("button[type=submit]").click();
  await whatsapp().locator(".saved", { hasText: "Saved." }).waitFor();
  assert.ok((await whatsapp().textContent()).includes("delivers through the provider"));
  assert.equal(await whatsapp().locator('input[name="accessToken"]').inputValue(), "");
  assert.ok(!(await page.content()).includes("EAAG-browser-secret"), "secrets stay write-only");
  const view = await channelApi();
  assert.equal(view.phoneNumberId, "1055001");
  assert.equal(view.accessTokenSet, true);
  const hook = await whatsapp().locator("code").textContent();
  assert.match(hook, /\/webhooks\/whatsapp\/\d+$/);
});

await step("a blank secret keeps the stored one; a bad field is named", async () => {
  await whatsapp().locator('input[name="phoneNumberId"]').fill("1055002");
  await whatsapp().locator("button[type=submit]").click();
  await whatsapp().locator(".saved", { hasText: "Saved." }).waitFor();
  const view = await channelApi();
  assert.equal(view.phoneNumberId, "1055002");
  assert.equal(view.accessTokenSet, true, "the token was kept");
  await whatsapp().locator('input[name="phoneNumberId"]').fill("9".repeat(2001));
  expect400 = true;
  await whatsapp().locator("button[type=submit]").click();
  await page.locator("#error", { hasText: "phoneNumberId" }).waitFor();
  expect400 = false;
  assert.equal((await channelApi()).phoneNumberId, "1055002", "nothing saved");
});

await step("the sandbox button forgets the settings", async () => {
  page.once("dialog", (dialog) => dialog.accept());
  await whatsapp().locator("button.link").click();
  await whatsapp().locator(".status", { hasText: "sandbox" }).waitFor();
  assert.equal((await channelApi()).configured, false);
});

const asKey = (method, path, body) => fetch(base + path, {
  method,
  headers: { "x-api-key": key, "content-type": "application/json" },
  body: body === undefined ? undefined : JSON.stringify(body),
}).then(async (res) => {
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
  return res.json();
});

await step("a broadcast's report shows its funnel as bars, its rates, failures and cost", async () => {
  await asKey("POST", "/v1/templates", { name: "promo", language: "en", body: "Sale today, {{1}}" });
  for (const [i, optedOut] of [[0, false], [1, false], [2, false], [3, true]]) {
    await asKey("POST", "/v1/contacts", { phoneNumber: `+9198765432${10 + i}`, tags: ["promo"], optedOut });
  }
  const segment = await asKey("POST", "/v1/segments", { name: "promo",
    groups: [{ conditions: [{ attribute: "tags", operator: "has", value: "promo" }] }] });
  const b = await asKey("POST", "/v1/broadcasts", { name: "Diwali sale", segment: { id: segment.id },
    channel: "whatsapp", template: { name: "promo", language: "en" }, bodyTextParameters: ["{{firstName|friend}}"] });
  for (let i = 0; i < 100; i++) {
    if ((await asKey("GET", `/v1/broadcasts/${b.id}`)).status === "completed") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await page.reload();
  await page.locator("#templates-body tr", { hasText: "promo" }).locator("td", { hasText: "APPROVED" }).waitFor();
  const row = page.locator("#broadcasts-body tr", { hasText: "Diwali sale" });
  await row.locator("td", { hasText: "3 of 3" }).waitFor();
  await row.locator("button", { hasText: "Report" }).click();
  await page.locator("#broadcast-report").waitFor({ state: "visible" });
  assert.equal(await page.locator("#report-title").textContent(), "Diwali sale (completed)");
  assert.ok((await page.locator("#report-audience").textContent()).startsWith("4 members: 3 messages, 1 opted out"));
  const bar = (step) => page.locator(`#funnel rect[data-step="${step}"]`);
  assert.equal(await bar("queued").getAttribute("data-count"), "3");
  assert.equal(await bar("sent").getAttribute("width"), await bar("queued").getAttribute("width"));
  assert.equal(await bar("failed").getAttribute("width"), "0");
  assert.equal(await page.locator("#rate-delivery").textContent(), "0.0%");
  assert.ok(await page.locator("#no-failures").isVisible());
  const csv = await page.request.get(base + (await page.locator("#download-failed").getAttribute("href")));
  assert.equal(csv.status(), 200);
  assert.equal(await csv.text(), "id,name,phoneNumber,status,errorCode,errorMessage,queuedAt,sentAt,updatedAt,repliedAt\n");
  // The screenshot check: the panel renders, and its bars are drawn.
  const png = await page.locator("#broadcast-report").screenshot(screenshot ? { path: screenshot.replace(/\.png$/, "-report.png") } : {});
  assert.ok(png.length > 5000, `the report renders (${png.length} bytes)`);
  const box = await bar("sent").boundingBox();
  assert.ok(box && box.width > 100, "the sent bar is drawn");
});

// A webhook receiver on 127.0.0.1 (the server runs with --allow-private-webhook-urls).
const received = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    received.push({ headers: req.headers, body: JSON.parse(body) });
    res.writeHead(204).end();
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

await step("adding a webhook shows its secret once and lists it", async () => {
  await page.fill("#webhook-url", hookUrl);
  await page.fill("#webhook-events", "*");
  await page.click("#webhook-form button[type=submit]");
  await page.locator("#new-webhook").waitFor({ state: "visible" });
  const secret = (await page.locator("#new-webhook-secret").textContent()).trim();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  const row = page.locator("#webhooks-body tr", { hasText: hookUrl });
  await row.waitFor();
  assert.ok((await row.locator("td.state").textContent()).includes("enabled"));
  assert.ok(!(await row.textContent()).includes(secret), "the list never shows the secret");
});

await step("a test event reaches the receiver, signed, and shows in the deliveries", async () => {
  const row = page.locator("#webhooks-body tr", { hasText: hookUrl });
  await row.locator("button", { hasText: "Send test event" }).click();
  await page.locator("#webhook-status", { hasText: "Test event delivered (204" }).waitFor();
  const test = received.find((r) => r.body.type === "webhook.test");
  assert.ok(test, "the receiver got the test event");
  assert.match(test.headers["webhook-signature"], /^v1,/);
  assert.match(test.headers["webhook-id"], /^evt_\d+$/);
  await page.locator("#deliveries-body tr", { hasText: "webhook.test" }).waitFor();
  assert.ok((await page.locator("#deliveries-body").textContent()).includes("succeeded"));
});

await step("disabling a webhook shows its state; deleting removes it", async () => {
  const row = () => page.locator("#webhooks-body tr", { hasText: hookUrl });
  await row().locator("button", { hasText: "Disable" }).click();
  await row().locator("td.state", { hasText: "disabled" }).waitFor();
  page.once("dialog", (dialog) => dialog.accept());
  await row().locator("button", { hasText: "Delete" }).click();
  await page.locator("#no-webhooks").waitFor({ state: "visible" });
  receiver.close();
});

await step("a reload keeps the session and shows the key's last use", async () => {
  await page.reload();
  await page.locator("#dashboard").waitFor({ state: "visible" });
  const row = page.locator("#keys-body tr", { hasText: "browser-test" });
  await row.waitFor();
  assert.ok(!(await row.textContent()).includes("never"), "last used is shown");
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
});

await step("revoking the key stops it at once", async () => {
  page.once("dialog", (dialog) => dialog.accept());
  await page.locator("#keys-body tr", { hasText: "browser-test" }).locator("button").click();
  await page.locator("#keys-body tr", { hasText: "revoked" }).waitFor();
  const res = await fetch(base + "/v1/account", { headers: { "x-api-key": key } });
  assert.equal(res.status, 401);
});

await step("logging out returns to the login form", async () => {
  await page.click("#logout");
  await page.locator("#auth").waitFor({ state: "visible" });
  await page.reload();
  await page.locator("#auth").waitFor({ state: "visible" });
  assert.ok(await page.locator("#dashboard").isHidden());
  assert.equal(await page.locator("#auth-title").textContent(), "Log in");
  assert.ok(!(await page.locator("#auth-toggle").isVisible()), "sign-up is closed: no link to it");
});

await step("no console errors or CSP violations", async () => {
  assert.deepEqual(problems, []);
});

await browser.close();
console.log(`browser: ${passed} passed, 0 failed`);
