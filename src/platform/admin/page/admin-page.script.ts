/**
 * The admin page's script, plain browser JavaScript (no framework, no build step) kept as a
 * string so that `tsc` output serves it. Every piece of data reaches the DOM as text
 * (`textContent`, text nodes, attribute values); nothing received is ever parsed as HTML.
 * It is written without backticks and `${`, so the template literal holds it verbatim.
 */
export const ADMIN_PAGE_SCRIPT = String.raw`
const TOKEN_KEY = 'switchyard.adminToken';
const POLL_MS = 2000;
const EVENT_STATUSES = ['received', 'routed', 'unrouted', 'unknown', 'invalid', 'held'];
const DELIVERY_STATUSES = ['dead', 'failed', 'pending', 'running', 'succeeded'];
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2, ok: 3 };

const state = { token: sessionStorage.getItem(TOKEN_KEY) || '', timers: [], view: 0, subscribers: null };
const main = document.getElementById('main');

class ApiError extends Error {
  constructor(status, body) {
    const message = body && typeof body === 'object' ? body.message || body.error : body;
    super(message ? String(message) : 'HTTP ' + status);
    this.status = status;
    this.body = body;
  }
}

/** Builds an element; strings and numbers among the children become text nodes. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value') el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const badge = (text) => h('span', { class: 'badge ' + String(text).replace(/[^a-z-]/g, '') }, text);
const link = (href, text) => h('a', { href }, text);
const eventHref = (id) => '#/events/' + encodeURIComponent(id);

function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

const timeCell = (iso) => h('td', { title: iso || '' }, time(iso));
const text = (value) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

function toast(message, bad) {
  const box = document.getElementById('toast');
  const note = h('div', { class: bad ? 'bad' : '' }, message);
  box.append(note);
  setTimeout(() => note.remove(), 5000);
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.authorization = 'Bearer ' + state.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch('/admin/api/' + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const raw = await res.text();
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = raw;
  }
  if (res.status === 401) {
    signIn('Your session has no valid token. Sign in again.');
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Runs fn every POLL_MS while the current view is shown; a new view stops it. */
function every(fn) {
  const view = state.view;
  const timer = setInterval(() => {
    if (view !== state.view) return clearInterval(timer);
    fn().catch(() => undefined);
  }, POLL_MS);
  state.timers.push(timer);
}

function errorNotice(error) {
  return h('div', { class: 'notice bad' }, error instanceof Error ? error.message : String(error));
}

function action(label, run, cls) {
  const button = h('button', { type: 'button', class: cls || 'small' }, label);
  button.addEventListener('click', async (e) => {
    e.stopPropagation();
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      toast(label + ': ' + (error instanceof Error ? error.message : String(error)), true);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// ---- sign-in -------------------------------------------------------------------------------

function signIn(message) {
  leaveView();
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true });
  const problem = h('p', { class: 'error-text', id: 'signin-error' }, message || '');
  const form = h('form', { id: 'signin' },
    h('label', {}, 'Admin token (ADMIN_TOKEN)', input),
    h('button', { type: 'submit' }, 'Sign in'),
    problem,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    state.token = input.value.trim();
    const status = await probe();
    if (status === 200) {
      sessionStorage.setItem(TOKEN_KEY, state.token);
      return enter();
    }
    state.token = '';
    problem.textContent = status === 401 ? 'That token was refused.' : describeStatus(status);
  });
  replace(main, h('section', { class: 'signin panel' },
    h('h2', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'The token is kept in this browser tab only (session storage).'),
    form,
  ));
  input.focus();
}

function describeStatus(status) {
  if (status === 403) return 'The admin API is open to loopback clients only: set ADMIN_TOKEN on the service to reach it from here.';
  if (status === 404) return 'The admin API is off: set ADMIN_TOKEN on the service.';
  return 'The service answered ' + status + '.';
}

async function probe() {
  try {
    const res = await fetch('/admin/api/routes', {
      headers: state.token ? { authorization: 'Bearer ' + state.token } : {},
      cache: 'no-store',
    });
    return res.status;
  } catch {
    return 0;
  }
}

function enter() {
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = !state.token;
  if (!location.hash) location.hash = '#/events';
  else route();
}

document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = '';
  signIn('Signed out.');
});

// ---- routing -------------------------------------------------------------------------------

function leaveView() {
  state.view++;
  state.timers.forEach(clearInterval);
  state.timers = [];
}

function route() {
  if (document.getElementById('nav').hidden) return;
  leaveView();
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query] = hash.split('?');
  const parts = path.split('/').map(decodeURIComponent);
  const params = new URLSearchParams(query || '');
  const view = parts[0] || 'events';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === view);
  const views = { events: parts[1] ? () => eventView(parts[1]) : () => eventsView(params), deliveries: () => deliveriesView(params), routes: routesView, sources: sourcesView, doctor: doctorView };
  const show = views[view] || views.events;
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  show().catch((error) => replace(main, errorNotice(error)));
}

window.addEventListener('hashchange', route);

function setQuery(view, values) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
  const q = params.toString();
  location.hash = '#/' + view + (q ? '?' + q : '');
}

function isoFromLocal(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function localFromIso(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}

async function subscriberIds() {
  if (!state.subscribers) {
    const routes = await api('GET', 'routes');
    state.subscribers = routes.subscribers.map((s) => s.id);
  }
  return state.subscribers;
}

function select(name, options, current, anyLabel) {
  return h('select', { name },
    h('option', { value: '' }, anyLabel),
    options.map((o) => h('option', { value: o, selected: o === current }, o)),
  );
}

// ---- event log -----------------------------------------------------------------------------

async function eventsView(params) {
  const filters = {
    source: params.get('source') || '',
    type: params.get('type') || '',
    status: params.get('status') || '',
    contact: params.get('contact') || '',
    since: params.get('since') || '',
    until: params.get('until') || '',
  };
  const live = h('input', { type: 'checkbox', name: 'live', checked: true });
  const form = h('form', { class: 'filters', id: 'event-filters' },
    h('label', {}, 'Source', h('input', { name: 'source', value: filters.source, size: 10 })),
    h('label', {}, 'Type', h('input', { name: 'type', value: filters.type, placeholder: 'message.created', size: 18 })),
    h('label', {}, 'Status', select('status', EVENT_STATUSES, filters.status, 'any')),
    h('label', {}, 'Contact id', h('input', { name: 'contact', value: filters.contact, size: 20 })),
    h('label', {}, 'Since', h('input', { name: 'since', type: 'datetime-local', value: localFromIso(filters.since) })),
    h('label', {}, 'Until', h('input', { name: 'until', type: 'datetime-local', value: localFromIso(filters.until) })),
    h('button', { type: 'submit' }, 'Filter'),
    h('button', { type: 'button', class: 'secondary', onclick: () => setQuery('events', {}) }, 'Clear'),
    h('span', { class: 'spacer' }),
    h('label', { class: 'inline' }, live, 'Live'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    setQuery('events', {
      source: String(data.get('source') || '').trim(),
      type: String(data.get('type') || '').trim(),
      status: String(data.get('status') || ''),
      contact: String(data.get('contact') || '').trim(),
      since: isoFromLocal(String(data.get('since') || '')),
      until: isoFromLocal(String(data.get('until') || '')),
    });
  });

  const query = (extra) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) p.set(k, v);
    return 'events?' + p.toString();
  };
  const tbody = h('tbody', { id: 'events-body' });
  const rows = new Map();
  const more = h('div', { class: 'row' });
  const empty = h('p', { class: 'muted', id: 'events-empty' });
  const row = (item, isNew) => {
    const status = h('td', {}, badge(item.status));
    const tr = h('tr', { class: 'clickable' + (isNew ? ' new' : ''), 'data-id': item.id, onclick: () => (location.hash = eventHref(item.id)) },
      timeCell(item.receivedAt),
      h('td', {}, h('code', {}, item.type)),
      h('td', {}, item.source),
      status,
      h('td', {}, link(eventHref(item.id), item.id)),
    );
    rows.set(item.id, { tr, status, value: item.status });
    return tr;
  };
  let newest = '';
  const loadMore = async (cursor) => {
    const page = await api('GET', query({ cursor }));
    for (const item of page.items) if (!rows.has(item.id)) tbody.append(row(item, false));
    if (!newest && page.items[0]) newest = page.items[0].id;
    replace(more, page.nextCursor ? action('Load older events', () => loadMore(page.nextCursor), 'secondary') : null);
    empty.textContent = rows.size ? '' : 'No events match these filters yet. New ones appear here as they arrive.';
  };
  await loadMore('');
  replace(main,
    h('h2', {}, 'Events'),
    form,
    h('table', { id: 'events' },
      h('thead', {}, h('tr', {}, ['Received', 'Type', 'Source', 'Status', 'Event id'].map((c) => h('th', {}, c)))),
      tbody,
    ),
    empty,
    more,
  );
  every(async () => {
    if (!live.checked) return;
    const page = await api('GET', query({}));
    const fresh = page.items.filter((item) => !rows.has(item.id) && item.id > newest);
    for (const item of fresh.reverse()) tbody.prepend(row(item, true));
    if (fresh.length) newest = page.items[0].id;
    for (const item of page.items) {
      const shown = rows.get(item.id);
      if (shown && shown.value !== item.status) {
        shown.value = item.status;
        replace(shown.status, badge(item.status));
      }
    }
    if (rows.size) empty.textContent = '';
  });
}

// ---- one event -----------------------------------------------------------------------------

function prettyBody(raw) {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : text(v))]));
}

/** Per-attempt records when the API keeps them; the count otherwise. */
function attemptList(d) {
  const list = [d.attempts, d.history, d.attemptHistory].find(Array.isArray);
  if (!list) return text(d.attempts);
  if (!list.length) return '0';
  return h('ol', { class: 'attempts' }, list.map((a) => h('li', {},
    time(a.at || a.startedAt || a.finishedAt),
    a.durationMs != null ? ' · ' + a.durationMs + ' ms' : '',
    ' · ', badge(a.outcome || a.status || ''),
    a.error ? h('div', { class: 'error-text' }, text(a.error)) : null,
  )));
}

function deliveriesTable(items, options) {
  const head = ['Subscriber', 'Status', 'Attempts', 'Last error', 'Created', 'Next attempt', 'Finished', ''];
  if (options.withEvent) head.unshift('Event');
  return h('table', { class: 'deliveries' },
    h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))),
    h('tbody', {}, items.map((d) => h('tr', { 'data-id': d.id, 'data-subscriber': d.subscriberId, 'data-status': d.status },
      options.withEvent ? h('td', {}, link(eventHref(d.eventId), d.eventId)) : null,
      h('td', {}, h('code', {}, d.subscriberId)),
      h('td', {}, badge(d.status)),
      h('td', {}, attemptList(d)),
      h('td', { class: 'error-text' }, text(d.lastError)),
      timeCell(d.createdAt),
      timeCell(d.nextAttemptAt),
      timeCell(d.finishedAt),
      h('td', { class: 'row' },
        d.status === 'dead' || d.status === 'failed'
          ? action('Retry', async () => {
              const r = await api('POST', 'deliveries/' + encodeURIComponent(d.id) + '/retry');
              toast('Delivery to ' + r.subscriberId + ' is ' + r.status + ' again');
              await options.refresh();
            })
          : null,
        action('Replay', async () => {
          await api('POST', 'events/' + encodeURIComponent(d.eventId) + '/replay', { subscribers: [d.subscriberId] });
          toast('Replay to ' + d.subscriberId + ' queued');
          await options.refresh();
        }, 'small secondary'),
      ),
    ))),
  );
}

async function eventView(id) {
  const event = await api('GET', 'events/' + encodeURIComponent(id));
  const deliveries = h('div', { id: 'event-deliveries' });
  const status = h('span', {}, badge(event.status));
  const refresh = async () => {
    const latest = await api('GET', 'events/' + encodeURIComponent(id));
    replace(status, badge(latest.status));
    renderDeliveries(latest);
  };
  let shown = '';
  // Re-rendered only when something changed, so a button is never swapped under the pointer.
  const renderDeliveries = (e) => {
    const key = JSON.stringify([e.status, e.deliveries]);
    if (key !== shown) (shown = key), draw(e);
  };
  const draw = (e) => replace(deliveries, e.deliveries.length
    ? deliveriesTable(e.deliveries, { refresh })
    : h('p', { class: 'muted' }, e.status === 'received' ? 'Not classified yet.' : 'No deliveries: ' + (e.status === 'unknown' ? 'the catalog does not know this type.' : e.status === 'invalid' ? 'its data failed validation.' : e.status === 'held' ? 'its source is paused.' : 'no subscriber wanted it.')));
  renderDeliveries(event);
  const verification = event.verification || {};
  replace(main,
    h('p', {}, link('#/events', '← Events')),
    h('div', { class: 'row' },
      h('h2', {}, h('code', {}, event.type)),
      status,
      h('span', { class: 'spacer' }),
      action('Replay to every subscriber', async () => {
        const r = await api('POST', 'events/' + encodeURIComponent(id) + '/replay', {});
        toast(r.deliveries.length + ' delivery(ies) queued');
        await refresh();
      }, ''),
    ),
    h('div', { class: 'grid' },
      h('section', { class: 'panel' }, h('h3', {}, 'Event'), kv([
        ['Id', event.id], ['Source', event.source], ['Request id', event.requestId],
        ['Received', time(event.receivedAt) + ' (' + event.receivedAt + ')'],
      ])),
      h('section', { class: 'panel', id: 'verification' }, h('h3', {}, 'Verification'), kv([
        ['Outcome', h('span', {}, badge('ok'), ' signature verified')],
        ['Scheme', verification.scheme],
        ['Key', typeof verification.keyIndex === 'number' ? '#' + verification.keyIndex + (verification.keyIndex === 0 ? ' (current)' : ' (an older key of the ring)') : undefined],
        ['Signed at', typeof verification.timestamp === 'number' ? time(new Date(verification.timestamp * 1000).toISOString()) + ' (t=' + verification.timestamp + ')' : text(verification.timestamp) || undefined],
      ])),
      h('section', { class: 'panel' }, h('h3', {}, 'Headers kept'), kv(Object.entries(event.headers || {}))),
    ),
    event.errors ? h('section', { class: 'panel' }, h('h3', {}, 'Validation errors'),
      h('ul', {}, (Array.isArray(event.errors) ? event.errors : [event.errors]).map((e) => h('li', { class: 'error-text' }, text(e))))) : null,
    h('h3', {}, 'Deliveries'),
    deliveries,
    h('h3', {}, 'Raw body'),
    h('pre', { class: 'body', id: 'raw-body' }, prettyBody(event.rawBody)),
  );
  every(refresh);
}

// ---- deliveries ----------------------------------------------------------------------------

async function deliveriesView(params) {
  const status = params.has('status') ? params.get('status') : 'dead';
  const subscriber = params.get('subscriber') || '';
  const ids = await subscriberIds();
  const form = h('form', { class: 'filters', id: 'delivery-filters' },
    h('label', {}, 'Status', select('status', DELIVERY_STATUSES, status, 'any')),
    h('label', {}, 'Subscriber', select('subscriber', ids, subscriber, 'any')),
    h('button', { type: 'submit' }, 'Filter'),
    h('span', { class: 'spacer' }),
    subscriber
      ? action('Redrive every dead delivery of ' + subscriber, async () => {
          const r = await api('POST', 'subscribers/' + encodeURIComponent(subscriber) + '/redrive');
          toast(r.redriven + ' dead delivery(ies) of ' + subscriber + ' queued again');
          await load();
        }, '')
      : h('span', { class: 'muted' }, 'Pick a subscriber to redrive its dead deliveries.'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    setQuery('deliveries', { status: String(data.get('status') || '') || 'any', subscriber: String(data.get('subscriber') || '') });
  });
  const list = h('div', { id: 'deliveries-list' });
  let shown = '';
  const load = async () => {
    const p = new URLSearchParams({ limit: '100' });
    if (status && status !== 'any') p.set('status', status);
    if (subscriber) p.set('subscriber', subscriber);
    const page = await api('GET', 'deliveries?' + p.toString());
    const key = JSON.stringify(page.items);
    if (key === shown) return;
    shown = key;
    replace(list, page.items.length
      ? deliveriesTable(page.items, { withEvent: true, refresh: load })
      : h('p', { class: 'muted' }, 'No ' + (status && status !== 'any' ? status + ' ' : '') + 'deliveries.'));
  };
  await load();
  replace(main, h('h2', {}, 'Deliveries'), form, list);
  every(load);
}

// ---- routes and explain --------------------------------------------------------------------

function filterText(filter) {
  return filter ? JSON.stringify(filter) : '';
}

async function routesView() {
  const routes = await api('GET', 'routes');
  state.subscribers = routes.subscribers.map((s) => s.id);
  const payload = h('textarea', { name: 'payload', id: 'explain-payload', spellcheck: 'false', placeholder: '{"event": "message.created", "data": {...}}  (a whole Whippy body works; or just the data, with a type)' });
  const type = h('input', { name: 'type', id: 'explain-type', placeholder: 'message.created', size: 20 });
  const source = h('input', { name: 'source', value: 'whippy', size: 10 });
  const result = h('div', { id: 'explain-result' });
  const form = h('form', { id: 'explain' },
    payload,
    h('div', { class: 'row' },
      h('label', {}, 'Type (when the payload is only the data)', type),
      h('label', {}, 'Source', source),
      h('button', { type: 'submit' }, 'Explain'),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(payload.value);
    } catch (error) {
      return replace(result, errorNotice('The payload is not JSON: ' + error.message));
    }
    const body = parsed && typeof parsed === 'object' && typeof parsed.event === 'string' && !type.value.trim()
      ? { event: parsed.event, data: parsed.data, source: source.value || parsed.source }
      : { event: type.value.trim(), data: parsed, source: source.value };
    if (!body.event) return replace(result, errorNotice('Give the event type: the payload has no "event".'));
    try {
      const answer = await api('POST', 'routes/explain', body);
      replace(result, h('div', { class: 'panel explain' },
        h('p', {}, h('code', {}, answer.type), answer.known ? '' : ' is not a type the catalog knows: it would be kept as unknown and delivered to nobody.'),
        h('ul', { class: 'plain' }, answer.subscribers.map((s) => h('li', { class: s.delivers ? 'delivers' : 'skipped', 'data-subscriber': s.id },
          s.delivers ? '✓ ' : '✗ ', h('code', {}, s.id), s.delivers ? ' gets it' : ': ' + s.reason))),
      ));
    } catch (error) {
      replace(result, errorNotice(error));
    }
  });
  replace(main,
    h('h2', {}, 'Routes'),
    h('div', { class: 'grid' },
      h('section', {},
        h('h3', {}, 'Event type → subscribers'),
        routes.routes.length
          ? h('table', { id: 'route-table' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Event type'), h('th', {}, 'Subscribers (filter)'))),
              h('tbody', {}, routes.routes.map((r) => h('tr', {},
                h('td', {}, h('code', {}, r.type)),
                h('td', {}, r.subscribers.map((s) => h('div', {}, h('code', {}, s.id), s.filter ? h('span', { class: 'muted mono' }, ' ' + filterText(s.filter)) : null))),
              ))))
          : h('p', { class: 'muted' }, 'No routes: every event is kept as unrouted.'),
      ),
      h('section', {},
        h('h3', {}, 'Explain a payload'),
        h('p', { class: 'muted' }, 'Paste a payload to see which subscribers would get it, and why the others would not.'),
        form,
        result,
      ),
    ),
    h('h3', {}, 'Subscribers'),
    h('table', { id: 'subscribers' },
      h('thead', {}, h('tr', {}, ['Subscriber', 'Enabled', 'Gets', 'Defined by'].map((c) => h('th', {}, c)))),
      h('tbody', {}, routes.subscribers.map((s) => h('tr', {},
        h('td', {}, h('code', {}, s.id)),
        h('td', {}, badge(s.enabled ? 'yes' : 'no'), s.reason ? h('div', { class: 'muted' }, s.reason) : null),
        h('td', { class: 'mono' }, s.types.join(', ') || 'nothing'),
        h('td', { class: 'muted' }, s.origin || ''),
      ))),
    ),
  );
}

// ---- sources -------------------------------------------------------------------------------

function notAvailable(what, path) {
  return h('div', { class: 'notice', id: 'not-available' }, what + ' is not available: this service does not answer GET /admin/api/' + path + ' (it needs a newer Switchyard).');
}

function failureList(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'No verification failures kept.');
  return h('table', { class: 'failures' },
    h('thead', {}, h('tr', {}, ['When', 'Source', 'Reason', 'What it means'].map((c) => h('th', {}, c)))),
    h('tbody', {}, items.map((f) => h('tr', {},
      timeCell(f.at),
      h('td', {}, f.source),
      h('td', {}, badge('error'), ' ', h('code', {}, f.reason)),
      h('td', {},
        h('div', {}, text(f.detail)),
        f.hint ? h('div', { class: 'muted' }, text(f.hint)) : null,
        (f.alternatives || []).map((a) => h('div', {}, '→ ' + text(a))),
        h('div', { class: 'muted mono' }, 'headers: ' + (f.headerNames || []).join(', ') + (f.timestampSkewSeconds !== undefined ? ' · skew ' + f.timestampSkewSeconds + ' s' : '')),
      ),
    ))),
  );
}

async function sourcesView() {
  let sources;
  try {
    sources = await api('GET', 'sources');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  if (!sources) {
    const failures = await api('GET', 'verification-failures?limit=50');
    replace(main, h('h2', {}, 'Sources'), notAvailable('The sources overview', 'sources'),
      h('h3', {}, 'Recent verification failures'), failureList(failures.items));
    return;
  }
  replace(main, h('h2', {}, 'Sources'), sources.items.map((s) => h('section', { class: 'panel source', 'data-source': s.name },
    h('div', { class: 'row' }, h('h3', {}, s.name), badge(s.mode), h('span', { class: 'muted' }, s.scheme + ' scheme')),
    kv([
      ['Webhook URL', location.origin + '/webhooks/' + encodeURIComponent(s.name)],
      ['Last event', s.lastEventAt ? time(s.lastEventAt) : 'never'],
      ['Events by outcome', h('span', { class: 'row' }, Object.entries(s.counts || {}).map(([k, n]) => h('span', {}, badge(k), ' ', String(n))))],
    ]),
    h('h3', {}, 'Recent verification failures'),
    failureList(s.recentFailures || []),
  )));
}

// ---- doctor --------------------------------------------------------------------------------

async function doctorView() {
  let report;
  try {
    report = await api('GET', 'diagnostics');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    replace(main, h('h2', {}, 'Doctor'), notAvailable('The doctor', 'diagnostics'));
    return;
  }
  const findings = [...report.findings].sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9));
  replace(main,
    h('div', { class: 'row' }, h('h2', {}, 'Doctor'), h('span', { class: 'spacer' }), action('Check again', doctorView, 'secondary')),
    h('div', { class: 'notice ' + (report.ok ? 'good' : 'bad'), id: 'doctor-summary' },
      report.ok ? 'Nothing wrong found.' : 'Something needs attention.', ' Checked ' + time(report.checkedAt) + '.'),
    findings.map((f) => h('section', { class: 'panel finding ' + f.severity, 'data-finding': f.id },
      h('div', { class: 'row' }, badge(f.severity), h('strong', {}, f.title),
        f.source ? h('span', { class: 'muted' }, 'source ' + f.source) : null,
        f.subscriber ? h('span', { class: 'muted' }, 'subscriber ' + f.subscriber) : null),
      f.evidence ? h('p', {}, text(f.evidence)) : null,
      f.fix ? h('p', {}, h('strong', {}, 'Fix: '), text(f.fix)) : null,
    )),
  );
}

// ---- start ---------------------------------------------------------------------------------

(async () => {
  const status = await probe();
  if (status === 200) return enter();
  if (status === 401) return signIn(state.token ? 'The saved token was refused. Sign in again.' : '');
  replace(main, h('div', { class: 'notice bad' }, describeStatus(status)));
})();
`;
