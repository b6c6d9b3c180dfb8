// The admin page's Templates and Broadcasts sections: templates with their approval (and a
// sync from WhatsApp), broadcasts with their progress, and one broadcast's report: its
// funnel as bars (inline SVG, drawn here: nothing loaded from elsewhere), rates, failures,
// cost, and its failed recipients as CSV. Loaded before admin.js, whose api(), $(),
// showError() and when() it uses once the page runs; cell() and action() are webhooks.js's.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

async function loadTemplates() {
  const templates = await api("GET", "/templates?limit=500");
  $("templates-body").replaceChildren(...templates.map((t) => {
    const row = document.createElement("tr");
    const status = t.statusReason ? `${t.status}: ${t.statusReason}` : t.status;
    row.append(cell(t.name), cell(t.language), cell(t.category || ""), cell(status, "status-" + t.status));
    return row;
  }));
  $("no-templates").hidden = templates.length > 0;
}

async function syncTemplates() {
  showError("");
  $("sync-status").textContent = "Syncing…";
  try {
    const done = await api("POST", "/templates/sync", {});
    const skipped = done.skipped.length ? `, ${done.skipped.length} skipped` : "";
    const paused = done.pausedBroadcasts ? `, ${done.pausedBroadcasts} broadcasts paused` : "";
    $("sync-status").textContent = `${done.created} new, ${done.updated} updated${skipped}${paused}.`;
    await loadTemplates();
    await loadBroadcasts();
  } catch (e) {
    $("sync-status").textContent = "";
    showError(e.message);
  }
}

async function loadBroadcasts() {
  const list = await api("GET", "/broadcasts?limit=50");
  $("broadcasts-body").replaceChildren(...list.map((b) => {
    const row = document.createElement("tr");
    row.dataset.broadcastId = b.id;
    const s = b.stats;
    const done = s.sent + s.delivered + s.read + s.failed + s.cancelled;
    const status = b.pausedReason ? `${b.status}: ${b.pausedReason}` : b.status;
    const actions = document.createElement("td");
    actions.className = "actions";
    actions.append(action("Report", () => showReport(b)));
    row.append(cell(b.name), cell(status, "status-" + b.status),
      cell(`${done.toLocaleString()} of ${s.total.toLocaleString()}`), cell(when(b.startedAt)), actions);
    return row;
  }));
  $("no-broadcasts").hidden = list.length > 0;
}

function percent(rate) {
  return rate === null ? "—" : (rate * 100).toFixed(1) + "%";
}

// One bar per funnel step, its length in proportion to the messages queued.
function drawFunnel(funnel) {
  const steps = [["Queued", funnel.queued], ["Sent", funnel.sent], ["Delivered", funnel.delivered],
    ["Read", funnel.read], ["Replied", funnel.replied], ["Failed", funnel.failed]];
  const most = Math.max(1, ...steps.map(([, n]) => n));
  const bars = steps.flatMap(([label, n], i) => {
    const y = i * 32 + 4;
    const name = document.createElementNS(SVG, "text");
    name.setAttribute("x", "0");
    name.setAttribute("y", String(y + 17));
    name.textContent = label;
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("x", "90");
    bar.setAttribute("y", String(y));
    bar.setAttribute("height", "24");
    bar.setAttribute("width", String(Math.round((n / most) * 380)));
    bar.setAttribute("fill", label === "Failed" ? "#c33" : "#2f6fde");
    bar.dataset.step = label.toLowerCase();
    bar.dataset.count = String(n);
    const count = document.createElementNS(SVG, "text");
    count.setAttribute("x", String(96 + Math.round((n / most) * 380)));
    count.setAttribute("y", String(y + 17));
    count.textContent = n.toLocaleString();
    return [name, bar, count];
  });
  $("funnel").replaceChildren(...bars);
}

async function showReport(b) {
  showError("");
  try {
    const r = await api("GET", `/broadcasts/${b.id}/report`);
    $("report-title").textContent = `${r.broadcast.name} (${r.broadcast.status})`;
    const a = r.audience;
    $("report-audience").textContent = `${a.members.toLocaleString()} members: ${a.messages.toLocaleString()} ` +
      `messages, ${a.skipped.optedOut} opted out, ${a.skipped.unreachable} unreachable. Replies count ` +
      `within ${r.replyWindowHours} hours.`;
    drawFunnel(r.funnel);
    $("rate-delivery").textContent = percent(r.funnel.deliveryRate);
    $("rate-read").textContent = percent(r.funnel.readRate);
    $("rate-reply").textContent = percent(r.funnel.replyRate);
    $("failures-body").replaceChildren(...r.failures.map((f) => {
      const row = document.createElement("tr");
      row.append(cell(f.errorCode), cell(f.errorMessage || ""), cell(f.count.toLocaleString()));
      return row;
    }));
    $("no-failures").hidden = r.failures.length > 0;
    $("download-failed").href = `/admin/api/broadcasts/${b.id}/recipients?status=failed&format=csv`;
    $("cost-body").replaceChildren(...Object.entries(r.cost.byCategory).map(([category, n]) => {
      const row = document.createElement("tr");
      row.append(cell(category), cell(n.toLocaleString()));
      return row;
    }));
    $("billable").textContent = `${r.cost.billable.toLocaleString()} billable.`;
    $("broadcast-report").hidden = false;
  } catch (e) {
    showError(e.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("sync-templates").addEventListener("click", syncTemplates);
});
