/**
 * The status page's first script: helpers, the report (verdict, figures, the 24-hour chart, runs that expand into
 * their operations, subscriptions and delta chains, all by name with ids on hover). Plain DOM, no framework; every
 * value from data goes through textContent or an attribute, never HTML. Kept as written (String.raw): the page's CSP
 * allows it by its hash.
 */
export const STATUS_PAGE_SCRIPT = String.raw`
"use strict";
const here = new URL(location.href);
const code = here.searchParams.get("code");
function api(path, params) {
  const url = new URL(path, here);
  url.search = "";
  if (code) url.searchParams.set("code", code);
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  return url.toString();
}
async function getJson(path, params) {
  const res = await fetch(api(path, params), { headers: { accept: "application/json" } });
  const data = await res.json().catch(() => ({ error: "the server answered " + res.status }));
  if (!res.ok) throw new Error(data.error || "the server answered " + res.status);
  return data;
}
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function fill(id, ...children) { const n = document.getElementById(id); n.replaceChildren(...children); return n; }
function when(iso) { return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "-"; }
function scroll(node) { return el("div", { class: "scroll" }, node); }
function table(headers, rows, numeric) {
  const head = el("tr", {}, ...headers.map((h, i) => el("th", { scope: "col", class: (numeric || []).includes(i) ? "num" : "", text: h })));
  return scroll(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
}
function counts(c) {
  const parts = Object.entries(c || {}).filter(([, v]) => v).map(([k, v]) => k + " " + v);
  return parts.length ? parts.join(", ") : "none";
}
/** A name with its id on hover (and for screen readers in the title). */
function named(name, id) { return id ? el("span", { title: id, "data-id": id, text: name }) : el("span", { text: name }); }
let groupNames = {};
function groupName(id) { return groupNames[String(id).toLowerCase()] || id; }
const LEVELS = { healthy: "Healthy", degraded: "Degraded", failing: "Failing" };
const ICONS = { healthy: "\u2714", degraded: "\u26A0", failing: "\u2716" };

function auditTable(entries, options) {
  const opts = options || {};
  if (!entries.length) return el("p", { class: "muted", text: opts.empty || "No audit entries." });
  const headers = opts.run ? ["Status", "Operation", "User", "Group", "Reason"] : ["When", "Path", "Status", "Operation", "Reason", "Run"];
  return table(headers, entries.map((e) => {
    const status = el("td", { class: "status-" + e.status, text: e.status });
    const what = el("td", {}, e.description, e.error ? el("div", { class: "error", text: e.error }) : null);
    const reason = el("td", { text: e.reason });
    if (opts.run) {
      return el("tr", { "data-op": e.op, "data-status": e.status }, status, what,
        el("td", {}, e.user ? named(e.user.name, [e.user.entraUserId && "Entra " + e.user.entraUserId, e.user.miUserId && "MI " + e.user.miUserId].filter(Boolean).join(", ")) : ""),
        el("td", {}, e.group ? named(e.group.name, e.group.miGroupId && "MI " + e.group.miGroupId) : ""), reason);
    }
    return el("tr", { "data-op": e.op, "data-status": e.status, "data-path": e.path },
      el("td", { text: when(e.at) }), el("td", { text: e.path }), status, what, reason,
      el("td", {}, named(e.runId.slice(0, 8), e.runId)));
  }));
}

let lastActivity = null;
let redraw = null;
window.addEventListener("resize", () => {
  clearTimeout(redraw);
  redraw = setTimeout(() => { if (lastActivity) drawActivity(lastActivity); }, 100);
});
function drawActivity(hours) {
  lastActivity = hours;
  if (!hours) { fill("activity", el("p", { class: "muted", text: "No audit trail: nothing to chart." })); return; }
  // Drawn at the width it is shown at (320 to 720 units), so that its labels stay readable on a phone.
  const W = Math.max(320, Math.min(720, (document.getElementById("activity").clientWidth || 720) - 24));
  const H = 170, L = 36, R = 44, T = 10, B = 22;
  const plotW = W - L - R, plotH = H - T - B, step = plotW / hours.length;
  const maxOps = Math.max(1, ...hours.map((h) => h.applied + h.failed));
  const lat = hours.map((h) => h.latencyMedianMs).filter((v) => v !== null);
  const maxLat = Math.max(1, ...hours.map((h) => h.latencyMaxMs || 0));
  const y = (v, max) => T + plotH - (v / max) * plotH;
  const parts = [
    svg("title", {}, "Changes applied per hour, and the latency from notification to MI, over the last 24 hours"),
    svg("line", { x1: L, y1: T + plotH, x2: W - R, y2: T + plotH, stroke: "#d0d7de" }),
    svg("text", { x: L - 4, y: T + 8, "text-anchor": "end", "font-size": 10, fill: "#57606a" }, String(maxOps)),
    svg("text", { x: L - 4, y: T + plotH, "text-anchor": "end", "font-size": 10, fill: "#57606a" }, "0"),
  ];
  if (lat.length) parts.push(svg("text", { x: W - R + 4, y: T + 8, "font-size": 10, fill: "#0a58ca" }, maxLat >= 1000 ? (maxLat / 1000).toFixed(1) + " s" : maxLat + " ms"));
  const points = [];
  hours.forEach((h, i) => {
    const x = L + i * step;
    const applied = (h.applied / maxOps) * plotH, failed = (h.failed / maxOps) * plotH;
    const tip = when(h.start).slice(11, 16) + " UTC: " + h.applied + " applied, " + h.failed + " failed" +
      (h.notifications ? "; notification to MI median " + h.latencyMedianMs + " ms, max " + h.latencyMaxMs + " ms (" + h.notifications + ")" : "");
    const bar = svg("g", { "data-hour": h.start, "data-applied": h.applied },
      svg("title", {}, tip),
      svg("rect", { x: x + 2, y: T + plotH - applied, width: Math.max(1, step - 4), height: applied, fill: "#2da44e" }),
      svg("rect", { x: x + 2, y: T + plotH - applied - failed, width: Math.max(1, step - 4), height: failed, fill: "#cf222e" }),
      svg("rect", { x: x, y: T, width: step, height: plotH, fill: "transparent" }));
    parts.push(bar);
    if (i % 6 === 0) parts.push(svg("text", { x: x + 2, y: H - 6, "font-size": 10, fill: "#57606a" }, when(h.start).slice(11, 16)));
    if (h.latencyMedianMs !== null) points.push([x + step / 2, y(h.latencyMedianMs, maxLat)]);
  });
  if (points.length > 1) parts.push(svg("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: "#0a58ca", "stroke-width": 2 }));
  for (const [px, py] of points) parts.push(svg("circle", { cx: px, cy: py, r: 3, fill: "#0a58ca" }));
  const applied = hours.reduce((a, h) => a + h.applied, 0), failed = hours.reduce((a, h) => a + h.failed, 0);
  const sorted = lat.slice().sort((a, b) => a - b);
  const summary = applied + " change(s) applied, " + failed + " failed in the last 24 hours" +
    (sorted.length ? "; notification to MI: median of hourly medians " + sorted[Math.floor((sorted.length - 1) / 2)] + " ms, worst " + maxLat + " ms" : "; no notification changed MI");
  fill("activity",
    svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": summary }, ...parts),
    el("div", { class: "legend" },
      el("span", {}, el("span", { class: "swatch applied" }), "applied"),
      el("span", {}, el("span", { class: "swatch failed" }), "failed"),
      el("span", {}, el("span", { class: "swatch latency" }), "notification to MI, median per hour (right scale)")),
    el("p", { id: "activity-summary", class: "muted", text: summary }));
}

function scopeOf(run) {
  const d = run.detail || {};
  const parts = [];
  if (typeof d.groups === "string" && /^[0-9a-f-]{36}(,[0-9a-f-]{36})*$/i.test(d.groups)) {
    d.groups.split(",").forEach((id, i) => { if (i) parts.push(", "); parts.push(named(groupName(id), id)); });
  } else if (typeof d.groups === "number") parts.push(d.groups + " group(s)");
  else if (d.groups !== undefined) parts.push(String(d.groups));
  if (d.group) parts.push(named(groupName(d.group), d.group));
  if (d.user) parts.push(el("span", { text: String(d.user) }));
  if (d.chain) parts.push(el("span", { text: " chain " + d.chain }));
  if (d.reason) parts.push(el("span", { class: "muted", text: " (" + d.reason + ")" }));
  return parts;
}
async function toggleRun(button, run, columns) {
  const row = button.closest("tr");
  const open = row.nextElementSibling && row.nextElementSibling.classList.contains("detail");
  if (open) { row.nextElementSibling.remove(); button.setAttribute("aria-expanded", "false"); return; }
  button.setAttribute("aria-expanded", "true");
  const cell = el("td", { colspan: columns }, el("p", { class: "muted", text: "Reading the audit trail\u2026" }));
  row.after(el("tr", { class: "detail", "data-run": run.runId }, cell));
  try {
    const page = await getJson("audit", { run: run.runId, limit: 2000 });
    const parts = [el("p", { class: "muted", text: "Run " + run.runId + (run.errorCount ? "; errors: " + run.errors.join("; ") : "") })];
    parts.push(auditTable(page.entries, { run: true, empty: "No operation recorded for this run (nothing changed, or it changed nothing in MI)." }));
    if (page.truncated) parts.push(el("p", { class: "muted", text: "The first " + page.entries.length + " operations are shown." }));
    cell.replaceChildren(...parts);
  } catch (e) {
    cell.replaceChildren(el("p", { class: "error", text: "Error: " + (e.message || e) }));
  }
}

async function loadStatus() {
  let report;
  try {
    report = await getJson("../status");
  } catch (e) {
    const banner = fill("verdict", el("strong", { text: "Status unavailable" }), el("p", { text: String(e.message || e) }));
    banner.className = "banner level-failing";
    return;
  }
  groupNames = report.groupNames || {};
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
  drawActivity(report.activity);
  const columns = 8;
  fill("runs", report.runs.length === 0 ? el("p", { class: "muted", text: "No runs recorded yet." }) : table(
    ["", "Started", "Kind", "Trigger", "Scope", "Status", "Duration", "Counts"],
    report.runs.map((r) => {
      const button = el("button", { type: "button", class: "link", "aria-expanded": "false", "aria-label": "operations of run " + r.runId, text: "\u25B8 ops" });
      button.addEventListener("click", () => toggleRun(button, r, columns));
      return el("tr", { "data-run": r.runId },
        el("td", {}, button), el("td", { title: "run " + r.runId, text: when(r.startedAt) }), el("td", { text: r.kind }), el("td", { text: r.trigger }),
        el("td", {}, ...scopeOf(r)),
        el("td", { class: "status-" + r.status, text: r.status }),
        el("td", { class: "num", text: (r.durationMs / 1000).toFixed(1) + " s" }),
        el("td", {}, counts(r.counts), r.errorCount ? el("div", { class: "error", text: r.errors.join("; ") + (r.errorCount > r.errors.length ? " (+" + (r.errorCount - r.errors.length) + " more)" : "") }) : null));
    }), [6]));
  fill("subscriptions", report.subscriptions.length === 0 ? el("p", { class: "muted", text: "No subscriptions." }) : table(
    ["Covers", "Kind", "Expires", "Hours left"],
    report.subscriptions.map((s) => el("tr", { "data-resource": s.resource },
      el("td", {}, s.name ? named(s.name, s.resource) : el("span", { text: s.kind === "users" ? "every user" : s.kind === "groups" ? "every group" : s.resource })),
      el("td", { text: s.kind }), el("td", { text: when(s.expires) }),
      el("td", { class: "num" + (s.hoursLeft <= 0 ? " error" : ""), text: s.hoursLeft <= 0 ? "expired" : s.hoursLeft.toFixed(1) }))), [3]));
  fill("chains", report.chains.length === 0 ? el("p", { class: "muted", text: "No delta chains yet (they appear after the first reconcile)." }) : table(
    ["Chain", "Kind", "Groups", "Group names", "Delta link age"],
    report.chains.map((c) => {
      const names = el("td", {});
      (c.groups || []).forEach((g, i) => { if (i) names.append(", "); names.append(named(g.name, g.id)); });
      return el("tr", {},
        el("td", { text: c.chainId }), el("td", { text: c.kind }), el("td", { class: "num", text: c.groupCount }), names,
        el("td", { class: "num", text: typeof c.deltaLinkAgeHours === "number" ? c.deltaLinkAgeHours.toFixed(1) + " h" : c.deltaLinkAgeHours }));
    }), [2, 4]));
}
document.getElementById("refresh").addEventListener("click", () => loadStatus());
`;
