// The dashboard, kept live. Observer events (docs/events.md) update the live section and
// the progress of a dream run at once; everything else is refreshed by fetching this page
// again and swapping the parts marked `data-part`, so every state is rendered by the
// server's templates and the first paint and the updates cannot disagree.

import { observe } from './live.js';
import { drawSigil } from './sigil.js';

const copy = JSON.parse(document.getElementById('dashboard-copy').textContent);

// Answers the server could not render for us: the request never arrived, or was refused
// before any view ran. Refusals that carry product copy (`detail`) are shown as they are.
const REQUEST_COPY = {
  network: 'The server cannot be reached. Check the connection, then try again.',
  csrf: 'Your session has expired. Reload the page, then try again.',
  login: 'Log in as staff to make changes.',
  forbidden: 'This account may not make changes here.',
  throttled: 'Too many changes in a short time. Wait a minute, then try again.',
  server: 'The server could not do that. Try again; if it keeps failing, look at its log.',
  alreadyRunning: 'A dream is already being generated (started elsewhere); its progress shows here.',
  chooseEngine: 'Choose a ready engine first.',
};
const CONNECTION_COPY = {
  connecting: 'Connecting...',
  live: 'Live',
  offline: 'Offline',
};
// While a run is going and events might not arrive (socket down, no conductor), the page
// asks the server instead, this often.
const POLL_MS = 3000;

const dreamForm = document.getElementById('dream-trigger');
const generateButton = document.getElementById('generate-dream');
const dreamStatus = document.getElementById('dream-status');
const engineForm = document.getElementById('engine-form');
const engineStatus = document.getElementById('engine-status');
const replayForm = document.getElementById('replay-form');
const replayStatus = document.getElementById('replay-status');

let trackedRun = null; // the running run whose progress the page shows
let posting = false;
let readyToDream = false;
let socketLive = false;
let conducting = false;

function say(element, text, tone = '') {
  if (!element) return;
  element.textContent = text;
  element.dataset.tone = tone;
}

// The dream card's button, and the empty latest dream's (`form="dream-trigger"`), if shown.
function updateButton() {
  const busy = posting || trackedRun !== null || !readyToDream;
  if (generateButton) generateButton.disabled = busy;
  for (const button of document.querySelectorAll('[data-generate]')) button.disabled = busy;
}

function refusalCopy(response, body) {
  const detail = typeof body?.detail === 'string' ? body.detail : '';
  if (response.status === 403 && detail.startsWith('CSRF')) return REQUEST_COPY.csrf;
  if (response.status === 401) return detail || REQUEST_COPY.login;
  if (response.status === 403) return detail || REQUEST_COPY.forbidden;
  if (response.status === 429) return REQUEST_COPY.throttled;
  if (response.status >= 500 || !detail) return REQUEST_COPY.server;
  return detail;
}

// A write through the API, as any client would make it; null response when unreachable.
async function send(method, url, payload) {
  const token = document.querySelector('input[name="csrfmiddlewaretoken"]')?.value ?? '';
  try {
    const response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': token },
      body: JSON.stringify(payload),
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON (a proxy's error page): the status alone decides the copy.
    }
    return { response, body };
  } catch {
    return { response: null, body: null };
  }
}

function drawCanvases(root = document) {
  for (const canvas of root.querySelectorAll('canvas[data-sigil]')) {
    const source = document.getElementById(canvas.dataset.sigil);
    if (source) drawSigil(canvas, JSON.parse(source.textContent));
  }
}

// An engine chosen but not yet saved survives a refresh of the list.
function keepUnsavedChoice(current, fresh) {
  const chosen = current.querySelector('input[name="engine"]:checked');
  if (!chosen || chosen.value === current.dataset.selected) return;
  const same = fresh.querySelector(`input[name="engine"][value="${CSS.escape(chosen.value)}"]`);
  if (same && !same.disabled) same.checked = true;
}

function swapParts(doc) {
  for (const fresh of doc.querySelectorAll('[data-part]')) {
    const current = document.querySelector(`[data-part="${fresh.dataset.part}"]`);
    if (!current) continue;
    if (fresh.dataset.part === 'engines') keepUnsavedChoice(current, fresh);
    const focusedId = current.contains(document.activeElement) ? document.activeElement.id : '';
    const adopted = document.importNode(fresh, true);
    current.replaceWith(adopted);
    if (focusedId) document.getElementById(focusedId)?.focus();
    drawCanvases(adopted);
  }
}

function announceOutcome(runId) {
  const last = document.querySelector('[data-last-run]');
  if (last && last.dataset.lastRun === String(runId)) {
    const outcome = last.querySelector('.last-run-outcome')?.textContent ?? '';
    const failed = last.querySelector('.badge-failed, .badge-skipped') !== null;
    say(dreamStatus, outcome, failed ? 'error' : 'success');
  }
}

// The server's view of the run lock wins over what events said: events can be missed.
function applyServerState() {
  const health = document.querySelector('[data-part="health"]');
  if (!health) return;
  readyToDream = health.dataset.readyToDream === 'true';
  const running = health.dataset.runningRun ? Number(health.dataset.runningRun) : null;
  if (trackedRun !== null && trackedRun !== running) announceOutcome(trackedRun);
  if (running !== null && running !== trackedRun) {
    say(dreamStatus, copy.stages[health.dataset.runningStage] ?? copy.stages.starting);
  }
  trackedRun = running;
  updateButton();
}

let refreshing = null;
let refreshAgain = false;

// Fetch this page and swap its parts. Requests during a refresh are folded into one more.
function refreshParts() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        const response = await fetch(window.location.pathname, {
          credentials: 'same-origin',
          headers: { Accept: 'text/html' },
        });
        if (!response.ok) return;
        swapParts(new DOMParser().parseFromString(await response.text(), 'text/html'));
      } while (refreshAgain);
      applyServerState();
    } catch {
      // Offline: the socket's reconnect triggers a resync, which refreshes again.
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function onDreamRun(run) {
  if (run.status === 'running') {
    trackedRun = run.id;
    say(dreamStatus, copy.stages[run.stage] ?? copy.stages.starting);
    updateButton();
    if (run.stage === 'starting') refreshParts(); // the new run joins the history
    return;
  }
  // Finished (or skipped): the refreshed page says how, and applyServerState announces it.
  refreshParts();
}

async function generate(event) {
  event.preventDefault();
  if (posting || trackedRun !== null) return; // a second click while the first is on its way
  posting = true;
  updateButton();
  say(dreamStatus, copy.stages.starting);
  const { response, body } = await send('POST', dreamForm.action, { force: true });
  posting = false;
  if (response === null) {
    say(dreamStatus, REQUEST_COPY.network, 'error');
  } else if (response.status === 202 || (response.status === 409 && body?.running_run_id)) {
    trackedRun = response.status === 202 ? body.id : body.running_run_id;
    if (response.status === 409) say(dreamStatus, REQUEST_COPY.alreadyRunning);
    // The run may have finished before this answer arrived; the refresh settles it.
    refreshParts();
  } else if (response.status === 200 && body?.id) {
    trackedRun = body.id; // skipped: announced as soon as the page shows the record
    await refreshParts();
  } else {
    say(dreamStatus, refusalCopy(response, body), 'error');
  }
  updateButton();
}

async function selectEngine(event) {
  event.preventDefault();
  const choice = engineForm.querySelector('input[name="engine"]:checked');
  if (!choice) {
    say(engineStatus, REQUEST_COPY.chooseEngine, 'error');
    return;
  }
  const submit = engineForm.querySelector('button[type="submit"]');
  submit.disabled = true;
  say(engineStatus, 'Saving...');
  const { response, body } = await send('PUT', engineForm.action, { engine: choice.value });
  submit.disabled = false;
  if (response === null) {
    say(engineStatus, REQUEST_COPY.network, 'error');
  } else if (response.ok) {
    const engine = body.engines.find((each) => each.id === body.selection.engine);
    say(engineStatus, `Saved: the mind now thinks and dreams with ${engine?.label ?? body.selection.engine}.`, 'success');
    refreshParts();
  } else if (body?.code) {
    say(engineStatus, [body.detail, body.fix_hint].filter(Boolean).join(' '), 'error');
  } else {
    say(engineStatus, refusalCopy(response, body), 'error');
  }
}

// The dream loop's replay mode, through the settings API; its parameters stay as they are.
async function changeReplay(event) {
  event.preventDefault();
  const submit = replayForm.querySelector('button[type="submit"]');
  submit.disabled = true;
  say(replayStatus, 'Saving...');
  const mode = replayForm.elements.replay_mode.value;
  const { response, body } = await send('PATCH', replayForm.action, { replay_mode: mode });
  submit.disabled = false;
  if (response === null) {
    say(replayStatus, REQUEST_COPY.network, 'error');
  } else if (response.ok) {
    say(replayStatus, `Saved: the dream loop now replays ${body.replay_label}, from its next moment.`, 'success');
    refreshParts();
  } else if (response.status === 400 && body && typeof body === 'object') {
    // The settings' own copy, e.g. a theme whose thread is gone.
    say(replayStatus, Object.values(body).flat().join(' '), 'error');
  } else {
    say(replayStatus, refusalCopy(response, body), 'error');
  }
}

// The live section: straight from the socket.
const liveState = document.getElementById('live-state');
const liveSessions = document.getElementById('live-sessions');
const liveCycle = document.getElementById('live-cycle');
const lastSigil = document.getElementById('last-sigil');
const lastSigilPhrase = document.getElementById('last-sigil-phrase');
const connection = document.getElementById('connection');
const connectionStatus = document.getElementById('connection-status');

function showState(state) {
  liveState.textContent = (state && copy.states[state]) || copy.noConductor;
}

function showSigil(sigil) {
  if (!sigil) return;
  drawSigil(lastSigil, sigil.commands);
  lastSigil.setAttribute('aria-label', `The last sigil: ${sigil.sigilPhrase}`);
  lastSigilPhrase.textContent = sigil.sigilPhrase;
}

const EVENTS = {
  cognitiveState: (data) => showState(data.state),
  sessionsUpdate: (data) => {
    liveSessions.textContent = String(data.count);
  },
  sigil: showSigil,
  cycleCompleted: (data) => {
    if (!data.skipped) liveCycle.textContent = `Cycle ${data.cycle}: a new mind moment`;
  },
  cycleFailed: (data) => {
    liveCycle.textContent = `Cycle ${data.cycle}: ${data.message}`;
  },
  dreamRun: onDreamRun,
};

function showConnection(status, retryInMs) {
  socketLive = status === 'live';
  connection.textContent = CONNECTION_COPY[status];
  connection.className = `badge badge-${{ live: 'ok', offline: 'error', connecting: 'warn' }[status]}`;
  if (status === 'offline') {
    const seconds = Math.max(1, Math.round(retryInMs / 1000));
    connectionStatus.textContent =
      `The live connection is lost; reconnecting in ${seconds} s. ` +
      'The page catches up by itself when it is back.';
  } else if (status === 'live') {
    showConductorNote();
  }
}

function showConductorNote() {
  connectionStatus.textContent = conducting
    ? ''
    : 'The conductor is not running, so the live state may be out of date.';
}

drawCanvases();
applyServerState();
dreamForm?.addEventListener('submit', generate);
if (engineStatus) engineForm.addEventListener('submit', selectEngine);
replayForm?.addEventListener('submit', changeReplay);
observe({
  onSnapshot(data) {
    conducting = data.conducting;
    showConductorNote();
    showState(data.state);
    liveSessions.textContent = String(data.sessions);
    showSigil(data.lastSigil);
  },
  onEvent(event, data) {
    EVENTS[event]?.(data);
  },
  onResync: refreshParts,
  onStatus: showConnection,
});
window.setInterval(() => {
  if (trackedRun !== null && !(socketLive && conducting)) refreshParts();
}, POLL_MS);
