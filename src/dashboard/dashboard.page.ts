/**
 * The `/admin` dashboard: one page, its stylesheet and its script, served by the gateway itself
 * (nothing else fetched but the summary JSON), so it works offline and needs no build. No inline
 * script or style: the page's CSP allows only these files ({@link DASHBOARD_CSP}). The admin key
 * stays in sessionStorage.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Token budgets</title>
<link rel="stylesheet" href="/admin/dashboard.css">
</head>
<body>
<h1>Token budgets</h1>
<div class="muted">Refreshed <span data-testid="refreshed">never</span> <span id="status"></span></div>

<section id="login">
  <h2>Admin key</h2>
  <form id="login-form">
    <input id="admin-key" data-testid="admin-key" type="password" autocomplete="off" placeholder="ADMIN_KEY (printed at start-up)">
    <button type="submit" data-testid="sign-in">Open</button>
  </form>
  <p class="error" data-testid="login-error" id="login-error"></p>
</section>

<div id="board" hidden>
  <section>
    <h2>Usage by user <span class="muted" id="period"></span></h2>
    <div data-testid="users" id="users"></div>
    <p class="muted" id="no-users" hidden>No usage in this period yet.</p>
  </section>
  <section>
    <h2>Spend this period</h2>
    <div class="big" data-testid="spend-total" id="spend-total">-</div>
    <table id="spend-lines"><thead><tr><th>Feature</th><th class="n">Tokens</th><th class="n">Requests</th><th class="n">USD</th></tr></thead><tbody></tbody></table>
    <p class="muted" id="no-spend" hidden>Spend per feature needs a feature rule in the budgets.</p>
  </section>
  <section>
    <h2>Rejections since start-up</h2>
    <table data-testid="rejections" id="rejections"><thead><tr><th>Reason</th><th class="n">Count</th></tr></thead><tbody></tbody></table>
    <p class="muted" id="no-rejections" hidden>None.</p>
  </section>
  <button type="button" id="sign-out">Forget key</button>
</div>

<script src="/admin/dashboard.js"></script>
</body>
</html>
`;

/** The dashboard's stylesheet (`/admin/dashboard.css`). */
export const DASHBOARD_STYLE = `  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  body { margin: 0 auto; max-width: 960px; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 0 0 12px; text-transform: uppercase; letter-spacing: .04em; color: #56607a; }
  section { background: #fff; border-radius: 8px; padding: 16px 20px; margin: 16px 0; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .muted { color: #6b7489; font-size: 13px; }
  .row { display: grid; grid-template-columns: 140px 1fr 230px; gap: 12px; align-items: center; margin: 8px 0; }
  .bar { height: 14px; background: #e6e9ef; border-radius: 7px; overflow: hidden; position: relative; }
  .fill { height: 100%; background: #3b82f6; }
  .fill.warn { background: #f59e0b; } .fill.full { background: #dc2626; }
  .figures { font-variant-numeric: tabular-nums; font-size: 13px; text-align: right; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f4; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  .big { font-size: 28px; font-weight: 600; }
  form { display: flex; gap: 8px; }
  input { flex: 1; padding: 8px; font-size: 14px; border: 1px solid #c9ced8; border-radius: 6px; }
  button { padding: 8px 14px; font-size: 14px; border: 0; border-radius: 6px; background: #1d2330; color: #fff; cursor: pointer; }
  .error { color: #b91c1c; }
  [hidden] { display: none !important; }
`;

/** The dashboard's script (`/admin/dashboard.js`). */
export const DASHBOARD_SCRIPT = `(function () {
  var KEY = 'tokenbudget.adminKey';
  var POLL_MS = 2000;
  var timer = null;
  var $ = function (id) { return document.getElementById(id); };
  var tokens = new Intl.NumberFormat('en-US');
  var usd = function (v) { return '$' + v.toFixed(v !== 0 && v < 0.01 ? 6 : 2); };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showLogin(message) {
    clearTimeout(timer);
    $('board').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
  }

  function renderUsers(summary) {
    var box = $('users');
    box.replaceChildren();
    $('period').textContent = summary.rule ? '(' + summary.rule + ', ' + summary.period + ')' : '';
    $('no-users').hidden = summary.users.length > 0;
    summary.users.forEach(function (u) {
      var row = el('div', { 'class': 'row', 'data-testid': 'user-row', 'data-user': u.id });
      row.appendChild(el('div', { 'data-testid': 'user-id' }, u.id));
      var bar = el('div', { 'class': 'bar' });
      // the fuller of the two limits: tokens, and money when the rule caps it
      var tokenShare = u.limit > 0 ? (u.used + u.reserved) / u.limit : 0;
      var costShare = u.costLimitUsd > 0 ? (u.costUsd + u.costReservedUsd) / u.costLimitUsd : 0;
      var share = Math.min(1, Math.max(tokenShare, costShare));
      var fill = el('div', { 'class': 'fill' + (share >= 1 ? ' full' : share >= 0.8 ? ' warn' : ''), 'data-testid': 'user-bar' });
      fill.style.width = (share * 100).toFixed(1) + '%';
      bar.appendChild(fill);
      row.appendChild(bar);
      var figures = tokens.format(u.used) + ' / ' + (u.limit > 0 ? tokens.format(u.limit) : 'unlimited') + ' tokens, ' + usd(u.costUsd) + (u.costLimitUsd > 0 ? ' / ' + usd(u.costLimitUsd) : '');
      row.appendChild(el('div', { 'class': 'figures', 'data-testid': 'user-figures', 'data-used': String(u.used), 'data-limit': String(u.limit), 'data-cost': String(u.costUsd), 'data-cost-limit': String(u.costLimitUsd) }, figures));
      box.appendChild(row);
    });
  }

  function renderSpend(summary) {
    var body = $('spend-lines').tBodies[0];
    body.replaceChildren();
    $('no-spend').hidden = summary.spend !== null;
    $('spend-lines').hidden = summary.spend === null;
    if (!summary.spend) { $('spend-total').textContent = '-'; return; }
    $('spend-total').textContent = usd(summary.spend.costUsd) + ' (' + tokens.format(summary.spend.tokens) + ' tokens, ' + summary.spend.period + ')';
    $('spend-total').setAttribute('data-cost', String(summary.spend.costUsd));
    summary.spend.lines.forEach(function (line) {
      var tr = el('tr', { 'data-testid': 'spend-line', 'data-feature': line.feature });
      tr.appendChild(el('td', {}, line.feature));
      tr.appendChild(el('td', { 'class': 'n' }, tokens.format(line.tokens)));
      tr.appendChild(el('td', { 'class': 'n' }, tokens.format(line.requests)));
      tr.appendChild(el('td', { 'class': 'n' }, usd(line.costUsd)));
      body.appendChild(tr);
    });
  }

  function renderRejections(summary) {
    var body = $('rejections').tBodies[0];
    body.replaceChildren();
    var reasons = Object.keys(summary.rejections).sort(function (a, b) { return summary.rejections[b] - summary.rejections[a]; });
    $('no-rejections').hidden = reasons.length > 0;
    reasons.forEach(function (reason) {
      var tr = el('tr', { 'data-testid': 'rejection', 'data-reason': reason, 'data-count': String(summary.rejections[reason]) });
      tr.appendChild(el('td', {}, reason));
      tr.appendChild(el('td', { 'class': 'n' }, tokens.format(summary.rejections[reason])));
      body.appendChild(tr);
    });
  }

  function poll() {
    var key = sessionStorage.getItem(KEY);
    if (!key) return showLogin();
    fetch('/admin/api/summary', { headers: { Authorization: 'Bearer ' + key }, cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) { sessionStorage.removeItem(KEY); showLogin('That admin key was refused.'); return null; }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (summary) {
        if (!summary) return;
        $('login').hidden = true;
        $('board').hidden = false;
        renderUsers(summary);
        renderSpend(summary);
        renderRejections(summary);
        var at = new Date(summary.refreshedAt);
        var refreshed = document.querySelector('[data-testid="refreshed"]');
        refreshed.textContent = at.toLocaleTimeString();
        refreshed.setAttribute('data-at', summary.refreshedAt);
        $('status').textContent = '';
        timer = setTimeout(poll, POLL_MS);
      })
      .catch(function (error) {
        $('status').textContent = '(refresh failed: ' + error.message + '; retrying)';
        timer = setTimeout(poll, POLL_MS);
      });
  }

  $('login-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = $('admin-key').value.trim();
    if (!key) return showLogin('Enter the admin key.');
    sessionStorage.setItem(KEY, key);
    $('admin-key').value = '';
    poll();
  });
  $('sign-out').addEventListener('click', function () { sessionStorage.removeItem(KEY); showLogin(); });
  poll();
})();
`;

/**
 * The dashboard's Content-Security-Policy: its own script and stylesheet only, no inline code,
 * data only from the gateway, and never in a frame (`frame-ancestors 'none'`).
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
