// The observer display (/observe/): the current sigil, full screen, for a wall or a
// projector. Everything arrives over /ws/observe/ (live.js); this page only draws it.

import { observe } from './live.js';
import { drawSigil } from './sigil.js';

// States in which the mind is awake (a session is live); see docs/events.md.
const WAKING = new Set(['AGGREGATING', 'COGNIZING', 'VISUALIZING']);
const FADE_MS = 1200;
const IDLE_AFTER_MS = 3000;
// Stroke width in CSS pixels, by the sigil's side: delicate
// on a wall, still visible on a phone.
const STROKE_PX = { min: 2.5, perSide: 0.007, max: 6 };
// Room the phrase and the status line need below the sigil, as a share of the height.
const SIGIL_HEIGHT_SHARE = 0.72;
const SIGIL_WIDTH_SHARE = 0.86;

const root = document.querySelector('[data-observer]');
const stage = root.querySelector('[data-stage]');
const layers = [...root.querySelectorAll('[data-sigil-layer]')];
const phrase = root.querySelector('[data-phrase]');
const empty = root.querySelector('[data-empty]');
const modeLabel = root.querySelector('[data-mode-label]');
const connectionLabel = root.querySelector('[data-connection-label]');
const fullscreenButton = root.querySelector('[data-fullscreen]');
const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

let shown = null; // the sigil event on screen
let front = 0; // the index of the layer on screen
let state = null;
let sessions = 0;
let conducting = true;
let phraseTimer = 0;

function fadeMs() {
  return reducedMotion.matches ? 0 : FADE_MS;
}

// drawSigil sizes the backing store from the element's CSS size; this page sets that size
// from the viewport, so a resize (or a move to a screen of another density) redraws crisply.
function sizeLayers() {
  const side = Math.floor(
    Math.min(window.innerWidth * SIGIL_WIDTH_SHARE, window.innerHeight * SIGIL_HEIGHT_SHARE),
  );
  stage.style.setProperty('--sigil-side', `${side}px`);
  for (const layer of layers) {
    layer.style.width = `${side}px`;
    layer.style.height = `${side}px`;
  }
}

// drawSigil takes the width in the sigil's 100-unit space.
function lineWidth(canvas) {
  const side = canvas.getBoundingClientRect().width || 1;
  const px = Math.min(STROKE_PX.max, Math.max(STROKE_PX.min, side * STROKE_PX.perSide));
  return (px * 100) / side;
}

function draw(canvas, commands) {
  drawSigil(canvas, commands, { lineWidth: lineWidth(canvas) });
}

function redraw() {
  sizeLayers();
  if (shown) draw(layers[front], shown.commands);
}

function setPhrase(text) {
  window.clearTimeout(phraseTimer);
  if (phrase.textContent === text) {
    phrase.classList.remove('is-fading');
    return;
  }
  // Out, swap, in: half the sigil's crossfade each way.
  phrase.classList.add('is-fading');
  phraseTimer = window.setTimeout(() => {
    phrase.textContent = text;
    phrase.classList.remove('is-fading');
  }, fadeMs() / 2);
}

function show(sigil) {
  if (!sigil || !Array.isArray(sigil.commands)) return;
  const same = shown && shown.momentId === sigil.momentId && shown.isDream === sigil.isDream;
  shown = sigil;
  if (same) {
    // A resent moment (a snapshot after a reconnect): redraw in place, no fade.
    draw(layers[front], sigil.commands);
  } else {
    // Draw on the hidden layer, then crossfade: the screen is never blank in between.
    const next = layers[1 - front];
    draw(next, sigil.commands);
    layers[front].removeAttribute('data-current');
    next.setAttribute('data-current', '');
    front = 1 - front;
  }
  root.dataset.momentId = String(sigil.momentId);
  root.dataset.dream = String(Boolean(sigil.isDream));
  stage.setAttribute('aria-label', `Sigil: ${sigil.sigilPhrase}`);
  empty.hidden = true;
  setPhrase(sigil.sigilPhrase);
  renderMode();
}

function renderMode() {
  let mode = 'waiting';
  if (!conducting) mode = 'resting';
  else if (state === 'DREAMING' || (!WAKING.has(state) && shown?.isDream)) mode = 'dreaming';
  else if (WAKING.has(state) || shown) mode = 'live';
  root.dataset.mode = mode;
  const perceptors = sessions === 1 ? '1 perceptor' : `${sessions} perceptors`;
  modeLabel.textContent = {
    waiting: '',
    resting: 'Resting: the mind is not running',
    dreaming: 'Dreaming',
    live: sessions > 0 ? `Live · ${perceptors}` : 'Live',
  }[mode];
}

function renderConnection(status) {
  root.dataset.connection = status;
  // The first connection is quick and needs no word; a lost one says it is coming back.
  const copy = { connecting: shown ? 'Reconnecting' : 'Connecting', live: '', offline: 'Reconnecting' };
  connectionLabel.textContent = copy[status] ?? '';
}

observe({
  onStatus: renderConnection,
  onSnapshot(data) {
    state = data.state;
    sessions = data.sessions;
    conducting = data.conducting;
    if (data.lastSigil) show(data.lastSigil);
    renderMode();
  },
  onEvent(event, data) {
    // Anything broadcast means a conductor is running.
    conducting = true;
    if (event === 'sigil') show(data);
    else if (event === 'cognitiveState') state = data.state;
    else if (event === 'sessionsUpdate') sessions = data.count;
    renderMode();
  },
});

// The cursor and the controls step aside when nobody is moving the pointer.
let idleTimer = 0;
function wake() {
  root.classList.remove('is-idle');
  window.clearTimeout(idleTimer);
  idleTimer = window.setTimeout(() => root.classList.add('is-idle'), IDLE_AFTER_MS);
}
for (const name of ['pointermove', 'pointerdown', 'keydown', 'focusin']) {
  window.addEventListener(name, wake, { passive: true });
}
wake();

let resizeFrame = 0;
window.addEventListener('resize', () => {
  window.cancelAnimationFrame(resizeFrame);
  resizeFrame = window.requestAnimationFrame(redraw);
});

if (document.fullscreenEnabled) {
  fullscreenButton.hidden = false;
  fullscreenButton.addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen();
  });
  document.addEventListener('fullscreenchange', () => {
    fullscreenButton.textContent = document.fullscreenElement ? 'Leave full screen' : 'Full screen';
  });
}

// A display should not sleep while it shows the mind (where the browser allows it).
async function keepAwake() {
  if (document.visibilityState !== 'visible' || !navigator.wakeLock) return;
  try {
    await navigator.wakeLock.request('screen');
  } catch {
    // Refused (battery saver, no secure context): the display may dim; nothing to do.
  }
}
document.addEventListener('visibilitychange', keepAwake);
keepAwake();

root.style.setProperty('--fade', `${fadeMs()}ms`);
sizeLayers();
renderMode();
