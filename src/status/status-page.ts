import { createHash } from "node:crypto";

/**
 * The status page: one self-contained HTML document (no build step, no external asset, no CDN). It holds no data and
 * no secret; its script fetches `../status` (the JSON report) and posts to `resync`, both relative to the page's own
 * URL, passing on the page's `code` query parameter (the function key). Everything it renders from data goes through
 * `textContent`, never `innerHTML`.
 */

const STYLE = `
:root { color-scheme: light; --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --bg:#ffffff; --panel:#f6f8fa;
  --ok:#1a7f37; --ok-bg:#dafbe1; --warn:#7d4e00; --warn-bg:#fff8c5; --bad:#a40e26; --bad-bg:#ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.muted { color: var(--muted); font-size: 13px; }
.banner { border: 2px solid; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
.banner strong { font-size: 20px; }
.banner ul { margin: 6px 0 0; padding-left: 20px; }
.level-healthy { color: var(--ok); background: var(--ok-bg); border-color: var(--ok); }
.level-degraded { color: var(--warn); background: var(--warn-bg); border-color: var(--warn); }
.level-failing { color: var(--bad); background: var(--bad-bg); border-color: var(--bad); }
.level-loading { color: var(--muted); background: var(--panel); border-color: var(--line); }
.figures { display: flex; gap: 12px; flex-wrap: wrap; }
.figure { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.figure b { display: block; font-size: 24px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status-succeeded, .status-applied { color: var(--ok); }
.status-partial, .status-refused, .status-skipped { color: var(--warn); }
.status-failed, .status-poison { color: var(--bad); }
form, .result { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
fieldset { border: 0; padding: 0; margin: 0 0 8px; }
label { margin-right: 16px; }
input[type=text] { font: inherit; padding: 6px 8px; width: min(460px, 100%); border: 1px solid var(--line); border-radius: 6px; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--fg); background: var(--bg); cursor: pointer; }
button.primary { background: var(--fg); color: var(--bg); }
button:disabled { opacity: .5; cursor: default; }
.result { margin-top: 12px; background: var(--bg); }
.result ol { padding-left: 22px; }
.result li { margin: 4px 0; }
.error { color: var(--bad); }
`;

const SCRIPT = `
"use strict";
const here = new URL(location.href);
const code = here.searchParams.get("code");
function api(path, params) {
  const url = new URL(path, here);
  url.search = "";
  if (code) url.searchParams.set("code", code);
  for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
  return url.toString();
}
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function fill(id, ...children) { const n = document.getElementById(id); n.replaceChildren(...children); return n; }
function when(iso) { return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "-"; }
function table(headers, rows, numeric) {
  const head = el("tr", {}, ...headers.map((h, i) => el("th", { scope: "col", class: (numeric || []).includes(i) ? "num" : "", text: h })));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}
function counts(c) {
  const parts = Object.entries(c || {}).filter(([, v]) => v).map(([k, v]) => k + " " + v);
  return parts.length ? parts.join(", ") : "none";
}
const LEVELS = { healthy: "Healthy", degraded: "Degraded", failing: "Failing" };
const ICONS = { healthy: "\\u2714", degraded: "\\u26A0", failing: "\\u2716" };

async function loadStatus() {
  let report;
  try {
    const res = await fetch(api("../status"), { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error("the status endpoint answered " + res.status);
    report = await res.json();
  } catch (e) {
    const banner = fill("verdict", el("strong", { text: "Status unavailable" }), el("p", { text: String(e.message || e) }));
    banner.className = "banner level-failing";
    return;
  }
  const v = report.verdict;
  const banner = fill("verdict",
    el("strong", { text: ICONS[v.level] + " " + LEVELS[v.level] }),
    el("ul", {}, ...v.reasons.map((r) => el("li", { text: r }))));
  banner.className = "banner level-" + v.level;
  banner.setAttribute("data-level", v.level);
  fill("generated", "Generated " + when(report.generatedAt));
  const q = report.queue;
  const last = report.lastReconcile;
  fill("figures",
    el("div", { class: "figure" }, el("b", { text: q ? q.queued : "?" }), "queued messages"),
    el("div", { class: "figure" }, el("b", { text: q ? q.poison : "?" }), "poison messages"),
    el("div", { class: "figure" }, el("b", { text: last ? last.status : "never" }),
      "last reconcile" + (last ? ", " + when(last.when) : "")));
  fill("runs", report.runs.length === 0 ? el("p", { class: "muted", text: "No runs recorded yet." }) : table(
    ["Started", "Kind", "Trigger", "Status", "Duration", "Counts", "Errors"],
    report.runs.map((r) => el("tr", {},
      el("td", { text: when(r.startedAt) }), el("td", { text: r.kind }), el("td", { text: r.trigger }),
      el("td", { class: "status-" + r.status, text: r.status }),
      el("td", { class: "num", text: (r.durationMs / 1000).toFixed(1) + " s" }),
      el("td", { text: counts(r.counts) }),
      el("td", { class: r.errorCount ? "error" : "", text: r.errorCount ? r.errors.join("; ") + (r.errorCount > r.errors.length ? " (+" + (r.errorCount - r.errors.length) + " more)" : "") : "" }))), [4]));
  fill("subscriptions", report.subscriptions.length === 0 ? el("p", { class: "muted", text: "No subscriptions." }) : table(
    ["Resource", "Kind", "Expires", "Hours left"],
    report.subscriptions.map((s) => el("tr", {},
      el("td", { text: s.resource }), el("td", { text: s.kind }), el("td", { text: when(s.expires) }),
      el("td", { class: "num" + (s.hoursLeft <= 0 ? " error" : ""), text: s.hoursLeft <= 0 ? "expired" : s.hoursLeft.toFixed(1) }))), [3]));
  fill("chains", report.chains.length === 0 ? el("p", { class: "muted", text: "No delta chains yet (they appear after the first reconcile)." }) : table(
    ["Chain", "Kind", "Groups", "Delta link age"],
    report.chains.map((c) => el("tr", {},
      el("td", { text: c.chainId }), el("td", { text: c.kind }), el("td", { class: "num", text: c.groupCount }),
      el("td", { class: "num", text: typeof c.deltaLinkAgeHours === "number" ? c.deltaLinkAgeHours.toFixed(1) + " h" : c.deltaLinkAgeHours }))), [2, 3]));
}

let pending = null;
function requestBody() {
  const kind = document.querySelector("input[name=kind]:checked").value;
  const value = document.getElementById("subject").value.trim();
  return kind === "group" ? { group: value } : { user: value };
}
function showOutcome(title, outcome) {
  const items = outcome.operations.map((o) => el("li", { "data-op": o.op, "data-status": o.status },
    el("span", { class: "status-" + o.status, text: "[" + o.status + "] " }), o.description,
    el("span", { class: "muted", text: " \\u2014 " + o.reason + (o.error ? " (" + o.error + ")" : "") })));
  const parts = [el("h3", { text: title })];
  if (outcome.groups.length) parts.push(el("p", { class: "muted", text: "MI groups: " + outcome.groups.join(", ") }));
  parts.push(items.length ? el("ol", { id: "operations" }, ...items) : el("p", { id: "operations", text: "Nothing to change: MI is already in step." }));
  parts.push(el("p", { class: "muted", text: "Counts: " + counts(outcome.counts) }));
  for (const w of outcome.warnings) parts.push(el("p", { class: "muted", text: "Warning: " + w }));
  for (const e of outcome.errors) parts.push(el("p", { class: "error", text: "Error: " + e }));
  return parts;
}
async function post(mode, body) {
  const res = await fetch(api("resync", { mode }), {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({ error: "the server answered " + res.status }));
  if (!res.ok) throw new Error(data.error || "the server answered " + res.status);
  return data;
}
function busy(on) { for (const b of document.querySelectorAll("#resync button")) b.disabled = on; }

document.getElementById("resync").addEventListener("submit", async (event) => {
  event.preventDefault();
  pending = null;
  const body = requestBody();
  fill("resync-result", el("p", { class: "muted", text: "Reading Entra and MI\\u2026" }));
  busy(true);
  try {
    const plan = await post("plan", body);
    const parts = showOutcome(plan.outcome === "refused" ? "Plan (the removal guard would refuse it)" : "Plan: nothing has been written yet", plan);
    if (plan.operations.length > 0 && plan.outcome !== "refused") {
      pending = { body, digest: plan.planDigest };
      parts.push(el("button", { type: "button", id: "apply", class: "primary", text: "Apply" }));
    }
    fill("resync-result", ...parts);
  } catch (e) {
    fill("resync-result", el("p", { class: "error", text: "Error: " + (e.message || e) }));
  } finally { busy(false); }
});
document.getElementById("resync-result").addEventListener("click", async (event) => {
  if (!(event.target instanceof HTMLElement) || event.target.id !== "apply" || !pending) return;
  const { body, digest } = pending;
  pending = null;
  event.target.disabled = true;
  try {
    const result = await post("apply", { ...body, expectedPlan: digest });
    const title = result.outcome === "applied" ? "Applied" : result.outcome === "plan-changed" ? "The plan changed: nothing written" : "Not applied (" + result.outcome + ")";
    fill("resync-result", ...showOutcome(title, result));
    await loadStatus();
  } catch (e) {
    fill("resync-result", el("p", { class: "error", text: "Error: " + (e.message || e) }));
  }
});
for (const radio of document.querySelectorAll("input[name=kind]")) radio.addEventListener("change", () => {
  const group = document.querySelector("input[name=kind]:checked").value === "group";
  document.getElementById("subject-label").textContent = group ? "Entra group object id" : "User (UPN, mail or MI username)";
});
document.getElementById("refresh").addEventListener("click", () => loadStatus());
loadStatus();
`;

const BODY = `<main>
<h1>MI user sync: status</h1>
<p class="muted"><span id="generated">Loading\u2026</span> \u00b7 <button type="button" id="refresh">Refresh</button></p>
<section id="verdict" class="banner level-loading" role="status" aria-live="polite"><strong>Loading status\u2026</strong></section>
<div id="figures" class="figures"></div>
<h2>Subscriptions</h2><div id="subscriptions"></div>
<h2>Delta chains</h2><div id="chains"></div>
<h2>Last runs</h2><div id="runs"></div>
<h2>Resync on demand</h2>
<form id="resync" autocomplete="off">
<fieldset><legend class="muted">Resync one group or one user; the plan is shown before anything is written.</legend>
<label><input type="radio" name="kind" value="group" checked> Group</label>
<label><input type="radio" name="kind" value="user"> User</label></fieldset>
<label id="subject-label" for="subject">Entra group object id</label><br>
<input type="text" id="subject" name="subject" required maxlength="256" spellcheck="false">
<button type="submit" class="primary">Show plan</button>
</form>
<div id="resync-result" class="result" aria-live="polite"><p class="muted">No resync requested.</p></div>
</main>`;

const sha256 = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** The page's HTML. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>MI user sync: status</title><style>${STYLE}</style></head>
<body>${BODY}<script>${SCRIPT}</script></body></html>`;

/** The page's Content-Security-Policy: only its own inline style and script (by hash) and same-origin fetches. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
