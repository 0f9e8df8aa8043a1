// The observer display (/observe/): the current sigil, full screen, for a wall or a
// projector. Everything arrives over /ws/observe/ (live.js); this page only draws it.
//
// The server's `phase` events set the pace (docs/events.md): a sigil waits for its cycle's
// SIGILIN, fades in over that phase, holds through SIGILHOLD and fades out over SIGILOUT,
// so every display keeps the same time. Without phase events (a server from before them,
// a paused conductor) each new sigil crossfades in on this page's own clock. Dreams look
// like dreams: marked, softer, blurred. `?tint=1` tints the display by the moment's colour
// triad.

import { observe } from './live.js';
import { drawSigil } from './sigil.js';

// States in which the mind is awake (a session is live); see docs/events.md.
const WAKING = new Set(['AGGREGATING', 'COGNIZING', 'VISUALIZING']);
const FADE_MS = 1200;
// Without phases, a dream crossfades this many times slower than a waking moment.
const DREAM_FADE_FACTOR = 2;
// How long to wait past a phase's end for the next one before going back to this page's
// own clock.
const PHASE_GRACE_MS = 2000;
// Hiding between moments (PERCEPTS, SPOOL, RESET) takes this long.
const HIDE_MS = 600;
const HEX = /^#[0-9a-f]{6}$/;
const TINT = new URLSearchParams(window.location.search).get('tint') === '1';
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
const dreamMark = root.querySelector('[data-dream-mark]');
const replayCaption = root.querySelector('[data-replay-caption]');
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
let pending = null; // a sigil that waits for its cycle's SIGILIN
let phasedUntil = 0; // phase events set the pace until then (performance.now())

function fadeMs() {
  return reducedMotion.matches ? 0 : FADE_MS;
}

// A crossfade on this page's own clock: slower for a dream.
function crossfadeMs() {
  return fadeMs() * (shown?.isDream ? DREAM_FADE_FACTOR : 1);
}

function phased() {
  return performance.now() < phasedUntil;
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

// The sigil's colour triad, when it has a valid one (it lands in CSS).
function triad(sigil) {
  const color = sigil?.color;
  if (!color || !['primary', 'secondary', 'accent'].every((role) => HEX.test(color[role]))) {
    return null;
  }
  return color;
}

// How the dream loop came to this moment (the event's `replay`): "dreaming · a theme",
// "dreaming · the last dream — Its theme", "dreaming · a sequence 3/8". Empty for a live moment.
function replayText(sigil) {
  const replay = sigil.isDream ? sigil.replay : null;
  if (!replay || typeof replay.label !== 'string') return '';
  let text = `dreaming · ${replay.label}`;
  if (typeof replay.theme === 'string' && replay.theme) text += ` — ${replay.theme}`;
  if (Number.isInteger(replay.step)) {
    text += ` ${replay.step}`;
    if (Number.isInteger(replay.length)) text += `/${replay.length}`;
  }
  return text;
}

function draw(canvas, sigil) {
  const color = (TINT && triad(sigil)?.accent) || '#fff';
  drawSigil(canvas, sigil.commands, { lineWidth: lineWidth(canvas), color });
}

function redraw() {
  sizeLayers();
  if (shown) draw(layers[front], shown);
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
  }, crossfadeMs() / 2);
}

function tint(sigil) {
  const colors = TINT ? triad(sigil) : null;
  root.dataset.tint = String(Boolean(colors));
  if (!colors) return;
  for (const role of ['primary', 'secondary', 'accent']) {
    root.style.setProperty(`--tint-${role}`, colors[role]);
  }
}

// Put a sigil on screen. With `crossfade`, the old one fades out as it fades in (this
// page's own clock); without, it replaces the old one at once, while the display is dark
// between moments, and the phases fade the display.
function show(sigil, { crossfade = true } = {}) {
  if (!sigil || !Array.isArray(sigil.commands)) return;
  const same = shown && shown.momentId === sigil.momentId && shown.isDream === sigil.isDream;
  shown = sigil;
  root.dataset.dream = String(Boolean(sigil.isDream));
  root.style.setProperty('--fade', `${crossfadeMs()}ms`);
  tint(sigil);
  if (same) {
    // A resent moment (a snapshot after a reconnect): redraw in place, no fade.
    draw(layers[front], sigil);
  } else {
    // Draw on the hidden layer, then swap: the screen is never blank in between.
    const next = layers[1 - front];
    draw(next, sigil);
    layers[front].removeAttribute('data-current');
    next.setAttribute('data-current', '');
    front = 1 - front;
  }
  root.dataset.momentId = String(sigil.momentId);
  stage.setAttribute(
    'aria-label',
    `${sigil.isDream ? 'Dream of a sigil' : 'Sigil'}: ${sigil.sigilPhrase}`,
  );
  dreamMark.textContent = sigil.isDream ? `Dream · remembering cycle ${sigil.cycle}` : '';
  replayCaption.textContent = replayText(sigil);
  empty.hidden = true;
  if (crossfade) {
    setPhrase(sigil.sigilPhrase);
  } else {
    window.clearTimeout(phraseTimer);
    phrase.classList.remove('is-fading');
    phrase.textContent = sigil.sigilPhrase;
  }
  renderMode();
}

// Fade the display in or out over `ms` (at once for people who ask for less motion).
function fade(visible, ms) {
  root.style.setProperty('--phase-ms', `${reducedMotion.matches ? 0 : Math.max(0, ms)}ms`);
  root.dataset.visible = String(visible);
}

function onPhase(data) {
  const duration = Math.max(0, Number(data.duration) || 0);
  phasedUntil = performance.now() + duration + PHASE_GRACE_MS;
  root.dataset.phased = 'true';
  root.dataset.phase = data.phase;
  if (data.phase === 'SIGILIN') {
    if (pending) show(pending, { crossfade: false });
    pending = null;
    if (shown) fade(true, duration);
  } else if (data.phase === 'SIGILHOLD') {
    if (shown) fade(true, HIDE_MS); // already in, unless this display joined mid-cycle
  } else if (data.phase === 'SIGILOUT') {
    fade(false, duration);
  } else {
    fade(false, HIDE_MS); // between moments: PERCEPTS, SPOOL, RESET
  }
}

function onSigil(sigil) {
  if (!phased()) {
    // This page's own clock: an older server, or no phases for a while.
    delete root.dataset.phased;
    delete root.dataset.phase;
    root.dataset.visible = 'true';
    show(sigil);
  } else if (root.dataset.phase === 'SPOOL') {
    pending = sigil; // its SIGILIN comes next
  } else {
    // Late (an engine slower than its cycle's SIGILIN): shown at once, until the next
    // phase that clears the display.
    show(sigil, { crossfade: false });
    fade(true, HIDE_MS);
  }
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
    if (event === 'sigil') onSigil(data);
    else if (event === 'phase') onPhase(data);
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
