import { createHash } from "node:crypto";
import { STATUS_PAGE_ADMIN_SCRIPT } from "./status-page-admin-script.js";
import { STATUS_PAGE_SCRIPT } from "./status-page-script.js";
import { STATUS_PAGE_STYLE } from "./status-page-style.js";

/**
 * The status page: one self-contained HTML document (no build step, no framework, no external asset, no CDN). It holds
 * no data and no secret; its scripts fetch `../status` (the JSON report) and the sibling routes `audit`, `explain`,
 * `names` and `resync`, all relative to the page's own URL, passing on the page's `code` query parameter (the function
 * key). Everything rendered from data goes through `textContent` or attributes, never `innerHTML`.
 */

const BODY = `<main>
<h1>MI user sync: status</h1>
<p class="muted"><span id="generated">Loading\u2026</span> \u00b7 <button type="button" id="refresh">Refresh</button></p>
<section id="verdict" class="banner level-loading" role="status" aria-live="polite"><strong>Loading status\u2026</strong></section>
<div id="figures" class="figures"></div>
<h2>Last 24 hours</h2>
<div id="activity" class="chart"><p class="muted">Loading\u2026</p></div>
<h2>Find a user or group</h2>
<form id="find" autocomplete="off" role="search">
<label for="find-q" class="muted">A user (UPN, MI username or email) or a group (Entra or MI name): why it is where it is, or its audit trail.</label>
<div class="row">
<input type="search" id="find-q" name="q" list="find-names" required maxlength="256" spellcheck="false" placeholder="ann@contoso.com or Sales">
<datalist id="find-names"></datalist>
<button type="submit" class="primary" value="explain">Explain</button>
<button type="submit" value="audit">Audit trail</button>
</div>
</form>
<div id="find-result" class="result" aria-live="polite"><p class="muted">Nothing asked yet.</p></div>
<h2>Resync on demand</h2>
<form id="resync" autocomplete="off">
<fieldset><legend class="muted">Resync one group or one user; the plan is shown before anything is written.</legend>
<label><input type="radio" name="kind" value="group" checked> Group</label>
<label><input type="radio" name="kind" value="user"> User</label></fieldset>
<label id="subject-label" for="subject">Group: a synced Entra group's name or object id</label>
<div class="row">
<input type="text" id="subject" name="subject" list="resync-names" required maxlength="256" spellcheck="false">
<datalist id="resync-names"></datalist>
<button type="submit" class="primary">Show plan</button>
</div>
</form>
<div id="resync-result" class="result" aria-live="polite"><p class="muted">No resync requested.</p></div>
<h2>Last runs</h2><div id="runs"></div>
<h2>Subscriptions</h2><div id="subscriptions"></div>
<h2>Delta chains</h2><div id="chains"></div>
</main>`;

const sha256 = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** The page's HTML. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>MI user sync: status</title><style>${STATUS_PAGE_STYLE}</style></head>
<body>${BODY}<script>${STATUS_PAGE_SCRIPT}</script><script>${STATUS_PAGE_ADMIN_SCRIPT}</script></body></html>`;

/** The page's Content-Security-Policy: only its own inline style and scripts (by hash) and same-origin fetches. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(STATUS_PAGE_SCRIPT)} ${sha256(STATUS_PAGE_ADMIN_SCRIPT)}`,
  `style-src ${sha256(STATUS_PAGE_STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
