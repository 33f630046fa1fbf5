/** The status page's one stylesheet (inline, allowed by its hash in the page's CSP). Readable from 320 px wide up. */
export const STATUS_PAGE_STYLE = `
:root { color-scheme: light; --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --bg:#ffffff; --panel:#f6f8fa;
  --ok:#1a7f37; --ok-bg:#dafbe1; --warn:#7d4e00; --warn-bg:#fff8c5; --bad:#a40e26; --bad-bg:#ffebe9; --accent:#0a58ca; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
.muted { color: var(--muted); font-size: 13px; }
.banner { border: 2px solid; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
.banner strong { font-size: 20px; }
.banner ul { margin: 6px 0 0; padding-left: 20px; }
.level-healthy { color: var(--ok); background: var(--ok-bg); border-color: var(--ok); }
.level-degraded { color: var(--warn); background: var(--warn-bg); border-color: var(--warn); }
.level-failing { color: var(--bad); background: var(--bad-bg); border-color: var(--bad); }
.level-loading { color: var(--muted); background: var(--panel); border-color: var(--line); }
.figures { display: flex; gap: 12px; flex-wrap: wrap; }
.figure { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; flex: 1 1 150px; }
.figure b { display: block; font-size: 24px; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.detail > td { background: var(--panel); padding: 8px 12px 12px; }
tr.detail table { background: var(--bg); font-size: 13px; }
[title] { text-decoration-line: underline; text-decoration-style: dotted; text-decoration-color: var(--line); }
.status-succeeded, .status-applied { color: var(--ok); }
.status-partial, .status-refused, .status-skipped, .status-planned { color: var(--warn); }
.status-failed, .status-poison { color: var(--bad); }
form, .result { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
fieldset { border: 0; padding: 0; margin: 0 0 8px; }
label { margin-right: 16px; }
.row { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
input[type=search], input[type=text] { font: inherit; padding: 6px 8px; flex: 1 1 260px; min-width: 0; max-width: 460px;
  border: 1px solid var(--line); border-radius: 6px; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--fg); background: var(--bg); cursor: pointer; }
button.primary { background: var(--fg); color: var(--bg); }
button.link { border: 0; padding: 0 4px; background: none; color: var(--accent); text-decoration: underline; font-size: 13px;
  white-space: nowrap; }
button:disabled { opacity: .5; cursor: default; }
.result { margin-top: 12px; background: var(--bg); }
.result ol, .result ul { padding-left: 22px; }
.result li { margin: 4px 0; }
.error { color: var(--bad); }
.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.chart svg { display: block; width: 100%; height: auto; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 13px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.swatch.applied { background: #2da44e; } .swatch.failed { background: #cf222e; } .swatch.latency { background: #0a58ca; }
@media (max-width: 640px) {
  main { padding: 12px 10px 32px; }
  h1 { font-size: 19px; }
  table { font-size: 13px; }
  th, td { padding: 5px 6px; }
  .figure b { font-size: 20px; }
  label { display: inline-block; margin-bottom: 4px; }
}
`;
