// Renders /openapi.json as a page: operations by tag, then the schemas. No framework, no
// inline code (the page's Content-Security-Policy forbids it).
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// A schema in a line: a reference links to its section.
function schemaLabel(schema) {
  if (!schema) return "";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return el("a", { href: "#schema-" + name }, name);
  }
  if (schema.type === "array" && schema.items) {
    return el("span", {}, "array of ", schemaLabel(schema.items));
  }
  return el("code", {}, JSON.stringify(schema));
}

function operation(path, method, op) {
  const section = el("section", { class: "op", id: `${method}-${path}` });
  section.append(el("h3", {}, el("code", {}, method.toUpperCase() + " " + path), " ", op.summary || ""));
  if (op.description) section.append(el("p", {}, op.description));
  const auth = (op.security || []).map((s) => Object.keys(s)[0]).filter(Boolean);
  section.append(el("p", { class: "hint" }, auth.length ? "Auth: " + auth.join(" or ") : "No auth"));
  if (op.parameters && op.parameters.length) {
    const rows = op.parameters.map((p) =>
      el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
        el("td", {}, p.required ? "required" : "optional"), el("td", {}, schemaLabel(p.schema))));
    section.append(el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Parameter"),
      el("th", {}, "In"), el("th", {}, ""), el("th", {}, "Schema"))), el("tbody", {}, ...rows)));
  }
  if (op.requestBody) {
    for (const [type, media] of Object.entries(op.requestBody.content)) {
      section.append(el("p", {}, "Body (", el("code", {}, type), "): ", schemaLabel(media.schema)));
    }
  }
  const answers = Object.entries(op.responses || {}).map(([status, r]) => {
    const content = Object.entries(r.content || {})[0];
    return el("li", {}, el("code", {}, status), " ", r.description, content ? " " : "",
      content ? schemaLabel(content[1].schema) : null);
  });
  section.append(el("ul", {}, ...answers));
  return section;
}

async function render() {
  const doc = await (await fetch("/openapi.json")).json();
  $("intro").textContent = `${doc.info.description} Version ${doc.info.version}.`;
  const byTag = new Map();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags || ["Other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  }
  for (const [tag, sections] of byTag) {
    $("toc").append(el("a", { href: "#tag-" + tag }, tag), " ");
    $("operations").append(el("h2", { id: "tag-" + tag }, tag), ...sections);
  }
  $("schemas-title").hidden = false;
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    $("schemas").append(el("h3", { id: "schema-" + name }, name),
      el("pre", {}, JSON.stringify(schema, null, 2)));
  }
}

render().catch((e) => { $("intro").textContent = "Could not load the description: " + e; });
