/**
 * The status page's second script (after STATUS_PAGE_SCRIPT, whose helpers it uses): finding a user or group by name
 * with suggestions, its explanation ("why is Ann not in Sales?") and its audit trail, and the resync on demand by name,
 * plan first. Kept as written (String.raw): the page's CSP allows it by its hash.
 */
export const STATUS_PAGE_ADMIN_SCRIPT = String.raw`
"use strict";
/** Suggestions as the admin types: users and groups for the search box, the chosen kind for the resync box. */
function suggest(input, list, kinds) {
  let timer = null;
  let asked = "";
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (q === asked) return;
      asked = q;
      try {
        const names = await getJson("names", { q });
        if (input.value.trim() !== q) return;
        const wanted = kinds();
        const options = [];
        if (wanted.includes("user")) for (const u of names.users) options.push(el("option", { value: u.name, label: "user" + (u.entraId ? " \u00b7 Entra " + u.entraId : "") }));
        if (wanted.includes("group")) for (const g of names.groups) options.push(el("option", { value: g.name, label: "group" + (g.id ? " \u00b7 Entra " + g.id : "") }));
        document.getElementById(list).replaceChildren(...options);
      } catch (e) {
        document.getElementById(list).replaceChildren();
      }
    }, 120);
  });
}

function explanationView(x) {
  const parts = [];
  if (x.kind === "none") {
    parts.push(el("h3", { text: "Nothing found" }), el("ul", {}, ...x.summary.map((s) => el("li", { text: s }))));
    return parts;
  }
  const title = x.kind === "user"
    ? (x.entra ? x.entra.userPrincipalName : x.mi ? x.mi.username : x.query)
    : x.miGroup.name;
  const titleNode = el("h3", {}, x.kind === "user" ? "User " : "Group ",
    x.kind === "user" ? named(title, [x.entra && "Entra " + x.entra.id, x.mi && "MI " + x.mi.id].filter(Boolean).join(", ")) : named(title, x.miGroup.id && "MI " + x.miGroup.id));
  parts.push(titleNode);
  parts.push(el("ul", { class: "summary" }, ...x.summary.filter((s) => !s.startsWith("  ")).map((s) => el("li", { text: s }))));
  if (x.kind === "user" && x.groups.length) {
    parts.push(el("h3", { text: "Why in (or not in) each group" }));
    parts.push(table(["MI group", "In Entra", "In MI", "Why"], x.groups.map((g) => el("tr", { "data-group": g.group },
      el("td", { text: g.group }), el("td", { text: g.inEntra }), el("td", { text: g.inMi ? "member" : "no" }), el("td", { class: "why", text: g.verdict })))));
  }
  if (x.kind === "group") {
    parts.push(el("p", {}, "Fed by ", ...x.entraGroups.flatMap((g, i) => (i ? [", ", named(g.name, "Entra " + g.id)] : [named(g.name, "Entra " + g.id)]))));
    if (x.subscription) parts.push(el("p", { class: "muted", text: "Subscription " + x.subscription.resource + ": " + x.subscription.hoursLeft + " h left." }));
    if (x.chain) parts.push(el("p", { class: "muted", text: "Delta chain " + x.chain.chainId + " (" + x.chain.groupCount + " groups), link " + (typeof x.chain.deltaLinkAgeHours === "number" ? x.chain.deltaLinkAgeHours + " h old" : "none yet") + "." }));
  }
  parts.push(el("h3", { text: x.kind === "user" ? "What a sync would do now" : "Pending differences" }));
  parts.push(x.operations.length
    ? el("ol", { class: "pending" }, ...x.operations.map((o) => el("li", { "data-op": o.op }, o.description, el("span", { class: "muted", text: " \u2014 " + o.reason }))))
    : el("p", { class: "pending", text: "Nothing: MI is in step." }));
  for (const w of x.warnings) parts.push(el("p", { class: "muted", text: "Warning: " + w }));
  parts.push(el("h3", { text: "Last audit entries" }));
  parts.push(x.audit ? auditTable(x.audit, { empty: "No audit entries yet." }) : el("p", { class: "muted", text: x.auditNote || "No audit trail." }));
  return parts;
}

async function findExplain(q) {
  fill("find-result", el("p", { class: "muted", text: "Reading Entra and MI\u2026" }));
  try {
    const x = await getJson("explain", { q });
    fill("find-result", ...explanationView(x)).setAttribute("data-kind", x.kind);
  } catch (e) {
    fill("find-result", el("p", { class: "error", text: "Error: " + (e.message || e) }));
  }
}
async function findAudit(q) {
  fill("find-result", el("p", { class: "muted", text: "Reading the audit trail\u2026" }));
  try {
    const [byUser, byGroup] = await Promise.all([getJson("audit", { user: q, limit: 200 }), getJson("audit", { group: q, limit: 200 })]);
    const entries = byUser.entries.concat(byGroup.entries).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    fill("find-result", el("h3", { text: "Audit trail of " + q }),
      auditTable(entries, { empty: "No audit entries for '" + q + "' (an MI username or MI group name)." }),
      byUser.truncated || byGroup.truncated ? el("p", { class: "muted", text: "The newest 200 are shown." }) : "").setAttribute("data-kind", "audit");
  } catch (e) {
    fill("find-result", el("p", { class: "error", text: "Error: " + (e.message || e) }));
  }
}
const find = document.getElementById("find");
find.addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("find-q").value.trim();
  if (!q) return;
  const which = event.submitter && event.submitter.value === "audit" ? findAudit : findExplain;
  which(q);
});
suggest(document.getElementById("find-q"), "find-names", () => ["user", "group"]);

let pending = null;
function resyncKind() { return document.querySelector("input[name=kind]:checked").value; }
function requestBody() {
  const value = document.getElementById("subject").value.trim();
  return resyncKind() === "group" ? { group: value } : { user: value };
}
function showOutcome(title, outcome) {
  const items = outcome.operations.map((o) => el("li", { "data-op": o.op, "data-status": o.status },
    el("span", { class: "status-" + o.status, text: "[" + o.status + "] " }), o.description,
    el("span", { class: "muted", text: " \u2014 " + o.reason + (o.error ? " (" + o.error + ")" : "") })));
  const parts = [el("h3", { text: title })];
  if (outcome.groups.length) parts.push(el("p", { class: "muted", text: "MI groups: " + outcome.groups.join(", ") }));
  parts.push(items.length ? el("ol", { id: "operations" }, ...items) : el("p", { id: "operations", text: "Nothing to change: MI is already in step." }));
  parts.push(el("p", { class: "muted", text: "Counts: " + counts(outcome.counts) + (outcome.runId ? "; run " + outcome.runId : "") }));
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
  fill("resync-result", el("p", { class: "muted", text: "Reading Entra and MI\u2026" }));
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
  const group = resyncKind() === "group";
  document.getElementById("subject-label").textContent = group ? "Group: a synced Entra group's name or object id" : "User: UPN, mail or MI username";
  document.getElementById("resync-names").replaceChildren();
});
suggest(document.getElementById("subject"), "resync-names", () => [resyncKind()]);
loadStatus();
`;
