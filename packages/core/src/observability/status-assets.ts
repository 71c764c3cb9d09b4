/**
 * The status page's stylesheet and script, served as files (`ui/app.css`, `ui/app.js`) so the
 * page needs no inline code and runs under `script-src 'self'; style-src 'self'`. No fonts or
 * anything else from outside: it works offline.
 */

export const STATUS_PAGE_CSS = `:root {
  --bg: #ffffff; --fg: #1b1f24; --muted: #4f5863; --line: #c9d1d9; --card: #f4f6f8;
  --ok-bg: #dcf5e3; --ok-fg: #0b5321; --bad-bg: #fde2e1; --bad-fg: #8a1410; --focus: #0550ae;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  line-height: 1.45; color: var(--fg); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419; --fg: #e6edf3; --muted: #a9b4bf; --line: #3a434d; --card: #1a2129;
    --ok-bg: #0f3d21; --ok-fg: #b8f0c8; --bad-bg: #4d1512; --bad-fg: #ffd3d0; --focus: #79b8ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 0 1rem 2rem; }
h1 { font-size: 1.5rem; margin: 1rem 0 0.25rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 0.5rem; }
h3 { font-size: 1rem; }
a { color: var(--focus); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 0.5rem; background: var(--bg); padding: 0.25rem 0.5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.live-bar { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; color: var(--muted); margin: 0; }
button { font: inherit; padding: 0.35rem 0.75rem; border: 1px solid var(--line); border-radius: 0.375rem; background: var(--card); color: var(--fg); cursor: pointer; min-height: 2.75rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 0.5rem; margin: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 0.5rem; padding: 0.5rem 0.75rem; }
.card dt { color: var(--muted); font-size: 0.875rem; }
.card dd { margin: 0; font-size: 1.25rem; font-weight: 600; overflow-wrap: anywhere; }
.card.healthy { border-left: 0.3rem solid var(--ok-fg); }
.card.unhealthy { border-left: 0.3rem solid var(--bad-fg); }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 0.5rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9375rem; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--card); white-space: nowrap; }
tbody tr:last-child > * { border-bottom: 0; }
td.error { color: var(--muted); overflow-wrap: anywhere; min-width: 12rem; }
.status { display: inline-block; padding: 0 0.5rem; border-radius: 1rem; font-weight: 600; }
.status.healthy { background: var(--ok-bg); color: var(--ok-fg); }
.status.unhealthy { background: var(--bad-bg); color: var(--bad-fg); }
.status.unknown { background: var(--card); color: var(--fg); border: 1px solid var(--line); }
.events { list-style: none; padding: 0; margin: 0; }
.events li { padding: 0.3rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
.events li.bad { color: var(--bad-fg); }
.events time, .kind { color: var(--muted); font-variant-numeric: tabular-nums; }
.kind { font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.03em; }
.empty, .note { color: var(--muted); }
footer { margin-top: 2rem; color: var(--muted); font-size: 0.875rem; }
@media (max-width: 40rem) {
  body { padding: 0 0.5rem 1rem; }
  th, td { padding: 0.35rem 0.4rem; }
}
`;

/**
 * Progressive enhancement: the page is complete without it. With it, the live part is fetched
 * again every `data-refresh-ms` and swapped in; a button pauses and resumes; a polite status
 * message is announced only when the pod counts change.
 */
export const STATUS_PAGE_JS = `'use strict';
(function () {
  var live = document.getElementById('live');
  var status = document.getElementById('live-status');
  var announce = document.getElementById('live-announce');
  var toggle = document.getElementById('live-toggle');
  if (!live || !status || !window.fetch) return;
  var every = Number(live.getAttribute('data-refresh-ms')) || 2000;
  var src = live.getAttribute('data-src');
  var paused = false;
  var timer = 0;
  var inFlight = false;
  function summary() {
    var el = document.getElementById('summary');
    return el ? el.getAttribute('data-summary') : '';
  }
  function schedule() {
    clearTimeout(timer);
    if (!paused) timer = setTimeout(refresh, every);
  }
  function refresh() {
    if (inFlight) return;
    inFlight = true;
    var before = summary();
    fetch(src, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        var after = summary();
        if (after !== before && announce) announce.textContent = after;
        if (!paused) status.textContent = 'Live: updated ' + new Date().toLocaleTimeString();
        live.setAttribute('data-updated', String(Date.now()));
      })
      .catch(function (error) {
        if (!paused) status.textContent = 'Live updates failed (' + error.message + '); retrying';
      })
      .then(function () {
        inFlight = false;
        schedule();
      });
  }
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener('click', function () {
      paused = !paused;
      toggle.textContent = paused ? 'Resume live updates' : 'Pause live updates';
      status.textContent = paused ? 'Live updates paused' : 'Live updates resumed';
      if (paused) clearTimeout(timer);
      else refresh();
    });
  }
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && !paused) refresh();
  });
  schedule();
})();
`;
