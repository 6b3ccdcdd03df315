// Shared by the four drill consoles: the boot data, translated strings, safe DOM
// building, the JSON API with the session's CSRF token, the live WebSocket with
// resume and backoff, capped lists, the drill clock, forms and evidence uploads.
//
// Safety rule: text from the server or from users is only ever inserted with
// textContent (el() below) or as attribute values; nothing here parses HTML.

const root = document.getElementById('console');
/** What the page handed to the script (see src/http/pages/drills.rs). */
export const boot = JSON.parse(root.dataset.boot);
export const drillId = boot.drill.id;
export const lang = boot.lang;

/** A translated script message (`js-KEY` in console.ftl); each `%s` takes an argument. */
export function t(key, ...args) {
  let s = boot.t[key] ?? key;
  for (const a of args) s = s.replace('%s', String(a));
  return s;
}

/** The element of this console marked `data-ref="name"`. */
export function ref(name) {
  return root.querySelector(`[data-ref="${name}"]`);
}

/**
 * Builds an element. `attrs` keys: `class`, `text` (textContent), `on*` handlers,
 * `dataset` (object), anything else set as an attribute (false/null skipped).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** A bilingual text (`{vi, en}`) in the page's language, or a plain string. */
export function pick(text) {
  if (text && typeof text === 'object') return text[lang] || text.vi || text.en || '';
  return text ?? '';
}

// ---------------------------------------------------------------- time

const vnFormat = new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
const vnClock = new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});

/** An RFC 3339 time as Vietnam time; only the clock when it is today. */
export function vnTime(iso) {
  if (!iso) return t('none');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const sameDay = Math.abs(serverNow() - d.getTime()) < 12 * 3600 * 1000;
  return sameDay ? vnClock.format(d) : vnFormat.format(d);
}

/** Seconds as `1 h 02 m`, `4 m 05 s` or `12 s`. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return t('none');
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  if (h > 0) return `${h} h ${two(m)} m`;
  if (m > 0) return `${m} m ${two(r)} s`;
  return `${r} s`;
}

// The server's clock as seen from here: the page says what time it was when it was
// rendered. A difference of a few seconds is the page's own loading time, not a
// wrong clock, so only a larger one corrects the countdowns.
const measuredSkew = new Date(boot.server_now).getTime() - Date.now();
const skewMs = Math.abs(measuredSkew) > 5000 ? measuredSkew : 0;
export function serverNow() {
  return Date.now() + skewMs;
}

/**
 * The drill clock: elapsed drill time, from the page's value and then from the
 * transition events (`elapsed_ms` at `at`), running at the drill's speed while the
 * drill runs.
 */
export class DrillClock {
  constructor(drill, elapsedMs) {
    this.status = drill.status;
    this.speed = drill.speed || 1;
    this.baseElapsed = elapsedMs;
    this.baseAt = new Date(boot.server_now).getTime();
    this.listeners = [];
  }

  elapsedMs() {
    if (this.status !== 'running') return this.baseElapsed;
    return Math.max(0, this.baseElapsed + (serverNow() - this.baseAt) * this.speed);
  }

  /** A lifecycle event (`drill_started`, `drill_paused`, `drill_resumed`,
   * `drill_ended`) or `drill_speed_changed`. */
  apply(event) {
    const data = event.data || {};
    if (!data.status) return;
    this.status = data.status;
    if (typeof data.speed === 'number') this.speed = data.speed;
    if (typeof data.elapsed_ms === 'number') {
      this.baseElapsed = data.elapsed_ms;
      this.baseAt = new Date(data.at || event.at).getTime();
    }
    for (const f of this.listeners) f(this.status);
  }

  text() {
    const s = Math.floor(this.elapsedMs() / 1000);
    const two = (n) => String(n).padStart(2, '0');
    return `T+${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  }
}

/** Shows the drill's status and clock in the console head, every second. */
export function showClock(clock) {
  const status = ref('status');
  const face = ref('clock');
  const paint = () => {
    face.textContent = clock.text();
    status.textContent = t(`status-${clock.status}`);
    status.className = `badge status-${clock.status}`;
  };
  clock.listeners.push(paint);
  paint();
  setInterval(() => { face.textContent = clock.text(); }, 1000);
}

// ---------------------------------------------------------------- API

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)cyberdrill_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

/** An error answered by the API, in its envelope. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http_error';
    this.fields = e.fields || {};
  }
}

/** Calls the JSON API with the session cookie; rejects with ApiError or TypeError (network). */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const text = await resp.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!resp.ok) throw new ApiError(resp.status, parsed);
  return parsed;
}

export const drillPath = (suffix = '') => `/api/v1/drills/${drillId}${suffix}`;

/** Shows an error in the console's alert line (cleared after a while). */
export function showError(message) {
  const box = ref('error');
  box.textContent = message;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 10000);
}

// ---------------------------------------------------------------- live channel

/**
 * The drill's live WebSocket. Calls `onEvent(event, live)` for every event in seq
 * order (`live` is false during the replay that follows a page load), reconnects
 * with exponential backoff and `since` = the last seq processed, and shows its
 * state in the console head.
 */
export class LiveChannel {
  constructor({ onEvent, onHello, onReconnect, onReplayed }) {
    this.onEvent = onEvent;
    this.onReplayed = onReplayed || (() => {});
    this.onHello = onHello || (() => {});
    this.onReconnect = onReconnect || (() => {});
    this.lastSeq = 0;
    this.replayUntil = 0;
    this.attempt = 0;
    this.connectedOnce = false;
    this.indicator = ref('conn');
    window.addEventListener('online', () => this.retryNow());
  }

  start() { this.connect(); }

  setState(state, text) {
    this.indicator.dataset.state = state;
    this.indicator.textContent = text;
  }

  connect() {
    clearTimeout(this.timer);
    this.setState('connecting', t('conn-connecting'));
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${drillPath('/live')}?since=${this.lastSeq}`);
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => { opened = true; });
    ws.addEventListener('message', (m) => this.receive(m.data));
    ws.addEventListener('close', (c) => {
      if (this.ws !== ws) return;
      clearInterval(this.pinger);
      // A refused upgrade (expired session, no access) closes before opening; after
      // a few of those in a row, say so instead of retrying forever in silence.
      if (!opened && this.attempt >= 3) {
        this.probe();
      }
      this.scheduleRetry(c.code === 4000 ? 0 : undefined);
    });
  }

  /** Asks the API why the socket is refused; 401/403/404 will not heal by retrying. */
  async probe() {
    try {
      await api('GET', drillPath());
    } catch (e) {
      if (e instanceof ApiError && [401, 403, 404].includes(e.status)) {
        this.denied = true;
        clearTimeout(this.timer);
        this.setState('offline', t('conn-denied'));
      }
    }
  }

  scheduleRetry(delayMs) {
    if (this.denied) return;
    this.attempt += 1;
    const backoff = delayMs ?? Math.min(30000, 1000 * 2 ** Math.min(this.attempt - 1, 5)) * (0.75 + Math.random() * 0.5);
    const until = Date.now() + backoff;
    const paint = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      this.setState('offline', t('conn-offline', left));
    };
    paint();
    clearInterval(this.countdown);
    this.countdown = setInterval(paint, 1000);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { clearInterval(this.countdown); this.connect(); }, backoff);
  }

  /** Once per connection, when the events up to the hello's head are processed. */
  endReplay() {
    clearTimeout(this.replayTimer);
    if (this.replayed) return;
    this.replayed = true;
    this.onReplayed();
  }

  // A responder does not see every event, so the head itself may never arrive: a
  // short quiet moment after the last replayed event also ends the replay.
  armReplayTimer() {
    clearTimeout(this.replayTimer);
    this.replayTimer = setTimeout(() => this.endReplay(), 400);
  }

  retryNow() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return;
    clearInterval(this.countdown);
    this.connect();
  }

  receive(text) {
    let frame;
    try { frame = JSON.parse(text); } catch { return; }
    switch (frame.type) {
      case 'hello':
        this.attempt = 0;
        this.replayUntil = frame.head_seq;
        this.setState('online', t('conn-online'));
        clearInterval(this.pinger);
        // Keeps idle proxies from closing the socket and notices a dead link.
        this.pinger = setInterval(() => {
          if (this.ws.readyState === WebSocket.OPEN) this.ws.send('{"v":1,"type":"ping"}');
        }, 25000);
        if (this.connectedOnce) this.onReconnect(frame);
        this.connectedOnce = true;
        this.onHello(frame);
        this.replayed = false;
        if (this.lastSeq >= frame.head_seq) this.endReplay();
        else this.armReplayTimer();
        break;
      case 'event':
        if (frame.seq <= this.lastSeq) return;
        this.lastSeq = frame.seq;
        this.onEvent(frame, frame.seq > this.replayUntil);
        if (frame.seq >= this.replayUntil) this.endReplay();
        else this.armReplayTimer();
        break;
      case 'resync':
        // The server closes with 4000 next; the close handler reconnects at once.
        break;
      case 'error':
        if (frame.message) showError(frame.message);
        break;
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------- lists

/**
 * A list shown newest first with at most `pageSize` more items per "show more":
 * items are kept in memory, and only the shown ones have DOM nodes. Adding one item
 * touches one node (plus removing the one pushed past the limit), so a drill with
 * thousands of items never re-renders a list.
 */
export class CappedList {
  constructor(listEl, moreButton, { render, pageSize = 50, emptyEl = null, filter = null }) {
    this.listEl = listEl;
    this.more = moreButton;
    this.render = render;
    this.pageSize = pageSize;
    this.shown = pageSize;
    this.emptyEl = emptyEl;
    this.filter = filter;
    this.items = []; // oldest first (appending is cheap): { key, item, node }
    this.byKey = new Map();
    this.entryOf = new WeakMap(); // shown node → entry
    if (this.more) this.more.addEventListener('click', () => this.showMore());
  }

  /** The entries that pass the filter, newest first. */
  visible() {
    const out = [];
    for (let i = this.items.length - 1; i >= 0; i -= 1) {
      const e = this.items[i];
      if (!this.filter || this.filter(e.item)) out.push(e);
    }
    return out;
  }

  attach(entry) {
    entry.node = this.render(entry.item);
    this.entryOf.set(entry.node, entry);
    return entry.node;
  }

  /** Adds an item on top (or replaces the item with the same key in place). */
  add(key, item) {
    if (this.byKey.has(key)) { this.update(key, item); return; }
    const entry = { key, item, node: null };
    this.items.push(entry);
    this.byKey.set(key, entry);
    if (!this.filter || this.filter(item)) {
      this.listEl.prepend(this.attach(entry));
      // Keep the DOM at the shown count: drop the oldest shown node.
      if (this.listEl.children.length > this.shown) {
        const last = this.listEl.lastElementChild;
        const lastEntry = this.entryOf.get(last);
        if (lastEntry) lastEntry.node = null;
        last.remove();
      }
    }
    this.paintChrome();
  }

  /** Keeps an item without drawing it (a bulk load ends with `refresh()`). */
  stash(key, item) {
    if (this.byKey.has(key)) { this.byKey.get(key).item = item; return; }
    const entry = { key, item, node: null };
    this.items.push(entry);
    this.byKey.set(key, entry);
  }

  /** Re-renders one item if it is shown. */
  update(key, item) {
    const entry = this.byKey.get(key);
    if (!entry) return;
    entry.item = item;
    if (entry.node) {
      const old = entry.node;
      old.replaceWith(this.attach(entry));
    }
  }

  get(key) {
    const e = this.byKey.get(key);
    return e ? e.item : undefined;
  }

  /** Every item, oldest first. */
  values() { return this.items.map((e) => e.item); }

  get size() { return this.items.length; }

  showMore() {
    const from = this.listEl.children.length;
    this.shown = from + this.pageSize;
    const frag = document.createDocumentFragment();
    for (const e of this.visible().slice(from, this.shown)) frag.append(this.attach(e));
    this.listEl.append(frag);
    this.paintChrome();
  }

  /** Renders the list again from scratch (after the filter changed). */
  refresh() {
    for (const e of this.items) e.node = null;
    this.shown = this.pageSize;
    const frag = document.createDocumentFragment();
    for (const e of this.visible().slice(0, this.shown)) frag.append(this.attach(e));
    this.listEl.replaceChildren(frag);
    this.paintChrome();
  }

  paintChrome() {
    // Counting the filtered total walks the items; without a filter it is free.
    const total = this.filter ? this.visible().length : this.items.length;
    if (this.more) this.more.hidden = this.listEl.children.length >= total;
    if (this.emptyEl) this.emptyEl.hidden = total > 0;
  }
}

// ---------------------------------------------------------------- forms

/** `YYYY-MM-DDTHH:MM:SS` of now in the browser's time zone, for datetime-local inputs. */
function localNow() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Fills `data-default="now"` time inputs with the current time. */
export function fillNow(form) {
  for (const input of form.querySelectorAll('[data-default="now"]')) input.value = localNow();
}

function setPath(obj, path, value) {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {});
  o[parts[parts.length - 1]] = value;
}

/**
 * The form as JSON: `a.b` names nest, `data-kind="time"` becomes RFC 3339,
 * `int` a number, `bool` a checkbox's state, `list` checkboxes an array; empty
 * fields are left out (unless `data-keep-empty`); disabled fields and files are
 * skipped.
 */
export function formJson(form) {
  const out = {};
  for (const input of form.elements) {
    if (!input.name || input.disabled || input.type === 'file' || input.type === 'submit') continue;
    const kind = input.dataset.kind;
    if (kind === 'list') {
      const current = input.name.split('.').reduce((o, k) => (o ? o[k] : undefined), out);
      if (current === undefined) setPath(out, input.name, []);
      if (input.checked) input.name.split('.').reduce((o, k) => o[k], out).push(input.value);
      continue;
    }
    if (kind === 'bool') { setPath(out, input.name, input.checked); continue; }
    const raw = input.value.trim();
    if (raw === '' && !('keepEmpty' in input.dataset)) continue;
    if (kind === 'time') {
      const d = new Date(raw);
      if (!Number.isNaN(d.getTime())) setPath(out, input.name, d.toISOString());
      else setPath(out, input.name, raw);
    } else if (kind === 'int') {
      setPath(out, input.name, Number.isInteger(Number(raw)) ? Number(raw) : raw);
    } else {
      setPath(out, input.name, input.tagName === 'TEXTAREA' ? input.value : raw);
    }
  }
  return out;
}

/** Marks the fields the API named (`fields` of the error envelope) on the form. */
export function markFields(form, fields) {
  for (const old of form.querySelectorAll('.field-error.js')) old.remove();
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
  let first = null;
  for (const [name, message] of Object.entries(fields || {})) {
    // `form.detected_at`, `evidence_ids.0`, `title.vi`: find the input by name,
    // else by the name without its last part.
    const candidates = [name, name.replace(/\.\d+$/, ''), name.replace(/\.[^.]+$/, '')];
    let input = null;
    for (const c of candidates) {
      input = form.querySelector(`[name="${CSS.escape(c)}"]:not([disabled])`);
      if (input) break;
    }
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    const holder = input.closest('.field') || input.parentElement;
    holder.append(el('p', { class: 'field-error js', text: message }));
    first ??= input;
  }
  if (first) first.focus();
  return first !== null;
}

export const MAX_FILE = 20 * 1024 * 1024;
const MAX_FILES = 20;

/** The files of the form's `evidence` input, plus a text excerpt as a file of its own. */
function evidenceFiles(form) {
  const files = [];
  const input = form.querySelector('input[type="file"][name="evidence"]');
  if (input) files.push(...input.files);
  for (const area of form.querySelectorAll('textarea[data-evidence-text]')) {
    if (area.value.trim()) {
      files.push(new File([area.value], t('log-file'), { type: 'text/plain' }));
    }
  }
  return files;
}

/** Uploads the form's evidence (`POST …/evidence`, one file each); returns the ids. */
export async function uploadEvidence(form, status) {
  const files = evidenceFiles(form);
  if (files.length === 0) return [];
  if (files.length > MAX_FILES) {
    throw new ApiError(422, { error: { message: t('too-many-files'), fields: { evidence: t('too-many-files') } } });
  }
  for (const f of files) {
    if (f.size > MAX_FILE) {
      throw new ApiError(413, { error: { message: t('file-too-large', f.name), fields: { evidence: t('file-too-large', f.name) } } });
    }
  }
  const ids = [];
  for (const [i, f] of files.entries()) {
    status.textContent = t('uploading', `${i + 1}/${files.length}`);
    const body = new FormData();
    body.append('file', f, f.name);
    const uploaded = await api('POST', drillPath('/evidence'), body);
    ids.push(uploaded.id);
  }
  return ids;
}

/**
 * Wires a record form: on submit, disables the button, uploads evidence, posts the
 * JSON with a `submission_id` that stays the same until the server has answered
 * (a retried or double-clicked submit is stored once), marks refused fields, and
 * resets on success. `build(json, form)` may reshape the body; `after(result)` runs
 * on success.
 */
export function wireForm(form, { path, build = (b) => b, after = () => {}, evidence = true, idempotent = true }) {
  const button = form.querySelector('button[type="submit"]');
  const status = form.querySelector('.form-status');
  let submissionId = null;
  fillNow(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (button.disabled) return;
    if (!form.checkValidity()) {
      const missing = {};
      for (const input of form.querySelectorAll(':invalid')) {
        if (input.name) missing[input.name] = input.validationMessage || t('required');
      }
      markFields(form, missing);
      status.textContent = t('error-fields');
      return;
    }
    button.disabled = true;
    status.textContent = t('submitting');
    submissionId ??= crypto.randomUUID();
    try {
      let body = build(formJson(form), form);
      if (evidence) {
        const ids = await uploadEvidence(form, status);
        if (ids.length) body.evidence_ids = ids;
        else delete body.evidence_ids;
      }
      if (idempotent) body.submission_id = submissionId;
      const result = await api('POST', typeof path === 'function' ? path(body) : path, body);
      markFields(form, {});
      form.reset();
      fillNow(form);
      form.dispatchEvent(new Event('reset-done'));
      submissionId = null;
      status.textContent = t('submitted', vnTime(result && (result.received_at || result.released_at)) || '');
      after(result);
    } catch (e) {
      if (e instanceof ApiError) {
        // 4xx: the server stored nothing; a new submission id is not needed but harmless.
        const marked = markFields(form, e.fields);
        status.textContent = t('error', marked ? t('error-fields') : e.message);
      } else {
        // The request may or may not have reached the server: keep the submission
        // id so that trying again cannot store it twice.
        status.textContent = t('error-network');
      }
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- tabs

/** Tabs with arrow-key navigation (WAI-ARIA tabs pattern). */
export function tabs(container) {
  const list = container.querySelector('[role="tablist"]');
  if (!list) return;
  const buttons = [...list.querySelectorAll('[role="tab"]')];
  const select = (btn, focus) => {
    for (const b of buttons) {
      const on = b === btn;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      document.getElementById(b.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) btn.focus();
  };
  for (const b of buttons) {
    b.addEventListener('click', () => select(b, false));
    b.addEventListener('keydown', (e) => {
      const i = buttons.indexOf(b);
      if (e.key === 'ArrowRight') select(buttons[(i + 1) % buttons.length], true);
      else if (e.key === 'ArrowLeft') select(buttons[(i - 1 + buttons.length) % buttons.length], true);
      else if (e.key === 'Home') select(buttons[0], true);
      else if (e.key === 'End') select(buttons[buttons.length - 1], true);
      else return;
      e.preventDefault();
    });
  }
}

// ---------------------------------------------------------------- attention

let audio = null;
/** A short two-tone chime, made with WebAudio (no sound file to ship). */
export function chime() {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume();
    const now = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.25, now + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.18);
      osc.stop(now + i * 0.18 + 0.32);
    }
  } catch {
    // No audio device or autoplay refused: the highlight still shows.
  }
}

/** Offers the notification permission with a real button (browsers want a gesture). */
export function offerNotifications() {
  const button = ref('notify-enable');
  if (!button || !('Notification' in window) || Notification.permission !== 'default') return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    await Notification.requestPermission();
    button.hidden = true;
    // The click is also the gesture that lets the page play the chime later.
    try { audio ??= new AudioContext(); audio.resume(); } catch { /* no audio */ }
  });
}

/** A browser notification when allowed and the page is not in front. */
export function notify(title, body) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (document.visibilityState === 'visible' && document.hasFocus()) return;
  try {
    const n = new Notification(title, { body: body.slice(0, 200), tag: `cyberdrill-${drillId}` });
    n.onclick = () => { window.focus(); n.close(); };
  } catch {
    // Some platforms only allow notifications from a service worker.
  }
}

/** Report-form fields that depend on the chosen kind (`data-kinds`, `data-req`). */
export function kindSwitch(form, select) {
  const apply = () => {
    const kind = select.value;
    for (const node of form.querySelectorAll('[data-kinds]')) {
      const on = node.dataset.kinds.split(' ').includes(kind);
      node.hidden = !on;
      for (const input of node.querySelectorAll('input, select, textarea')) input.disabled = !on;
      if (node.matches('input, select, textarea')) node.disabled = !on;
    }
    for (const node of form.querySelectorAll('[data-req]')) {
      const req = node.dataset.req.split(' ').includes(kind);
      node.classList.toggle('is-req', req);
      // Text inputs get `required`; a checkbox group is checked by the server.
      for (const input of node.querySelectorAll('input:not([type="checkbox"]), select, textarea')) input.required = req;
    }
  };
  select.addEventListener('change', apply);
  form.addEventListener('reset-done', apply);
  apply();
}
