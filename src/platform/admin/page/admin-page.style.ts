/** The admin page's stylesheet: system fonts, no external resources (the CSP allows none). */
export const ADMIN_PAGE_CSS = `
:root {
  --fg: #1d2430; --muted: #5f6b7a; --bg: #ffffff; --panel: #f5f7fa; --line: #dde2e8;
  --accent: #2456c7; --ok: #1d7a3e; --warn: #9a6200; --bad: #b42318; --info: #3a5a8c;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif;
  color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.top { display: flex; align-items: center; gap: 24px; padding: 8px 20px; border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 700; color: var(--fg); font-size: 16px; }
nav { display: flex; gap: 4px; flex: 1; }
nav a { padding: 5px 10px; border-radius: 6px; color: var(--fg); }
nav a.active { background: var(--fg); color: #fff; text-decoration: none; }
main { padding: 16px 20px 40px; max-width: 1400px; }
h2 { font-size: 18px; margin: 4px 0 12px; }
h3 { font-size: 15px; margin: 20px 0 8px; }
.muted { color: var(--muted); }
.row { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
.spacer { flex: 1; }
form.filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: flex-end; margin-bottom: 12px; padding: 10px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
label { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--muted); }
label.inline { flex-direction: row; align-items: center; gap: 6px; font-size: 13px; color: var(--fg); }
input, select, textarea, button { font: inherit; }
input, select, textarea { padding: 5px 7px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--fg); min-width: 0; }
textarea { width: 100%; min-height: 180px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
button { padding: 5px 12px; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.small { padding: 2px 8px; font-size: 12px; }
button.link { border: 0; background: none; color: var(--accent); padding: 0; }
button:disabled { opacity: .5; cursor: default; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--panel); position: sticky; top: 45px; }
tbody tr.clickable { cursor: pointer; }
tbody tr.clickable:hover { background: #eef3fd; }
tr.new { animation: flash 2s ease-out; }
@keyframes flash { from { background: #fff6c7; } to { background: transparent; } }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; background: var(--panel); border: 1px solid var(--line); white-space: nowrap; }
.badge.routed, .badge.succeeded, .badge.ok, .badge.active, .badge.yes { color: var(--ok); border-color: #a6d8b5; background: #effaf2; }
.badge.failed, .badge.held, .badge.warning, .badge.paused, .badge.pending, .badge.running { color: var(--warn); border-color: #ecd29a; background: #fff8e8; }
.badge.dead, .badge.invalid, .badge.error, .badge.disabled, .badge.no { color: var(--bad); border-color: #f0b4ae; background: #fff0ee; }
.badge.unknown, .badge.unrouted, .badge.info, .badge.received { color: var(--info); border-color: #b9c8e3; background: #f0f4fb; }
.panel { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 14px; background: #fff; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 14px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; word-break: break-word; }
pre.body { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; overflow: auto; max-height: 520px; white-space: pre-wrap; word-break: break-word; margin: 0; }
.error-text { color: var(--bad); white-space: pre-wrap; word-break: break-word; }
.notice { padding: 10px 12px; border-radius: 8px; border: 1px solid var(--line); background: var(--panel); margin-bottom: 12px; }
.notice.bad { border-color: #f0b4ae; background: #fff0ee; color: var(--bad); }
.notice.good { border-color: #a6d8b5; background: #effaf2; color: var(--ok); }
.signin { max-width: 380px; margin: 60px auto; }
.signin form { display: flex; flex-direction: column; gap: 10px; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.plain li { padding: 6px 0; border-bottom: 1px solid var(--line); }
.explain li.delivers { color: var(--ok); }
.explain li.skipped { color: var(--muted); }
.finding { border-left: 4px solid var(--line); }
.finding.error { border-left-color: var(--bad); }
.finding.warning { border-left-color: var(--warn); }
.finding.ok { border-left-color: var(--ok); }
.finding.info { border-left-color: var(--info); }
#toast { position: fixed; right: 16px; bottom: 16px; max-width: 420px; }
#toast div { background: var(--fg); color: #fff; padding: 8px 12px; border-radius: 8px; margin-top: 6px; }
#toast div.bad { background: var(--bad); }
`;
