// The perceptor (/perceive/): a session on /ws/session/ (staff only; the socket
// authenticates with the login's session cookie, so the page carries no token) and, for
// everyone, the live mind moments as they arrive on /ws/observe/. See docs/events.md.

import { moodPad } from './mood-pad.js';
import { observe, onFrames, socketUrl } from './live.js';
import { drawSigil } from './sigil.js';

const FEED_LENGTH = 6;
const SENT_LENGTH = 20;
const MIND_STATES = {
  IDLE: 'Idle',
  AGGREGATING: 'Listening',
  COGNIZING: 'Thinking',
  VISUALIZING: 'Drawing',
  DREAMING: 'Dreaming',
};

// A time as the site's pages write it: 24-hour "13:06", whatever the browser's locale.
function timeOf(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const two = (part) => String(part).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}`;
}

// -- The mind moments: for everyone ----------------------------------------------------

const panel = document.querySelector('[data-moments-panel]');
const feed = panel.querySelector('[data-moments]');
const feedEmpty = panel.querySelector('[data-moments-empty]');
const mindState = panel.querySelector('[data-mind-state]');
const cycleStatus = panel.querySelector('[data-cycle-status]');
const template = document.querySelector('[data-moment-template]');
// The page of moment 0 ("/moments/0/"), from the server's URL map: the others by its id.
const momentPage = (momentId) => template.dataset.momentPage.replace(/0\/$/, `${momentId}/`);

const entries = new Map(); // momentId -> the parts of its list item
const ownCycles = new Set(); // cycles that took in percepts this page had stored
let storedSinceCycle = 0;
let state = null;

function entryFor(momentId) {
  let entry = entries.get(momentId);
  if (entry) return entry;
  const element = template.content.firstElementChild.cloneNode(true);
  entry = {
    element,
    canvas: element.querySelector('[data-moment-sigil]'),
    phrase: element.querySelector('[data-moment-phrase]'),
    link: element.querySelector('[data-moment-link]'),
    text: element.querySelector('[data-moment-text]'),
    meta: element.querySelector('[data-moment-meta]'),
  };
  element.dataset.momentId = String(momentId);
  entry.link.href = momentPage(momentId);
  // In the document before drawing: the canvas takes its size from its layout.
  feed.prepend(element);
  entries.set(momentId, entry);
  feedEmpty.hidden = true;
  while (feed.children.length > FEED_LENGTH) {
    const oldest = feed.lastElementChild;
    entries.delete(Number(oldest.dataset.momentId));
    oldest.remove();
  }
  return entry;
}

function showSigil(sigil) {
  if (sigil.isDream) return;
  const entry = entryFor(sigil.momentId);
  drawSigil(entry.canvas, sigil.commands, { lineWidth: 1.6 });
  entry.phrase.textContent = sigil.sigilPhrase;
  entry.element.setAttribute('aria-label', `Sigil: ${sigil.sigilPhrase}`);
}

function showMoment(moment) {
  if (moment.isDream || moment.kind !== 'live') return;
  const entry = entryFor(moment.momentId);
  entry.phrase.textContent = moment.sigilPhrase || 'Open this moment';
  entry.text.textContent = moment.mindMoment;
  const parts = [`Cycle ${moment.cycle}`, timeOf(moment.createdAt)];
  if (ownCycles.has(moment.cycle)) {
    parts.push('from your percepts');
    entry.element.classList.add('is-own');
  }
  entry.meta.textContent = parts.filter(Boolean).join(' · ');
}

function showCycle(event, data) {
  if (event === 'cycleStarted') {
    // Cycles with nothing to take in come every second: not worth a word.
    if (data.perceptCount === 0) return;
    if (storedSinceCycle > 0) ownCycles.add(data.cycle);
    storedSinceCycle = 0;
    const percepts = data.perceptCount === 1 ? '1 percept' : `${data.perceptCount} percepts`;
    cycleStatus.textContent = `Cycle ${data.cycle}: taking in ${percepts}…`;
  } else if (event === 'cycleCompleted' && !data.skipped) {
    cycleStatus.textContent = `Cycle ${data.cycle}: a new mind moment.`;
  } else if (event === 'cycleFailed') {
    cycleStatus.textContent = `Cycle ${data.cycle} did not complete: ${data.message} The percepts wait for the next cycle.`;
  }
}

function showMindState() {
  mindState.textContent = MIND_STATES[state] ?? 'Resting';
  mindState.className = `badge${state === 'DREAMING' || !state ? '' : ' badge-live'}`;
}

observe({
  onStatus(status) {
    if (status === 'live') showMindState();
    else {
      mindState.textContent = status === 'offline' ? 'Reconnecting' : 'Connecting';
      mindState.className = 'badge badge-warn';
    }
  },
  onSnapshot(data) {
    state = data.conducting ? data.state : null;
    showMindState();
  },
  onEvent(event, data) {
    if (event === 'cognitiveState') {
      state = data.state;
      showMindState();
    } else if (event === 'sigil') showSigil(data);
    else if (event === 'mindMoment') showMoment(data);
    else showCycle(event, data);
  },
});

// -- The session: for staff --------------------------------------------------------------

const perceptor = document.querySelector('[data-perceptor]');

const SESSION_COPY = {
  idle: 'Start a session to send percepts. While a session is live the mind stops dreaming and thinks about what you send.',
  connecting: 'Opening a session…',
  live: 'The session is live: send what you see or hear. The mind takes in new percepts every cycle.',
  ending: 'Ending the session…',
  ended: 'The session has ended; the mind returns to dreaming. Every percept marked stored is kept.',
  disconnected:
    'The connection was lost. Every percept marked stored is kept; any marked not stored was not. Start a new session to go on.',
};
const SESSION_BADGES = {
  idle: ['Not started', 'badge'],
  connecting: ['Connecting', 'badge badge-warn'],
  live: ['Live', 'badge badge-live'],
  ending: ['Ending', 'badge'],
  ended: ['Ended', 'badge'],
  disconnected: ['Disconnected', 'badge badge-error'],
  refused: ['Not allowed', 'badge badge-error'],
};
const REASON_COPY = {
  rate_limited: 'Too many percepts in a short time. Wait a moment, then send again.',
  session_ended:
    'The session had ended (sessions end after a quiet spell). Start a new one to go on.',
};
const NOT_DELIVERED = 'The connection closed before the mind stored it.';

// Characters as the server counts them (code points, not UTF-16 units), with separators.
const chars = (text) => [...text].length;
const number = (count) => count.toLocaleString('en');
const TEXT_COPY = {
  empty: 'Write something first.',
  atLimit: (max) => `That is the limit: a percept holds at most ${number(max)} characters.`,
  over: (over, max) =>
    `Too long by ${number(over)} ${over === 1 ? 'character' : 'characters'}: a percept holds at most ${number(max)}. Shorten it to send it.`,
  invalid: (problem) => `The text ${problem}. Remove that character, then send again.`,
  refusedLength: (max) => `Too long: a percept holds at most ${number(max)} characters. Shorten it, then send again.`,
};

// A refusal of the session socket in the page's words: the server names the frame's
// field ("description: at most 2,000 characters"), which a person did not see.
function refusalCopy(data, max) {
  const message = String(data.message ?? '');
  const field = /^(description|transcript): (.*)$/.exec(message);
  if (!field) return message;
  const [, , problem] = field;
  if (problem.startsWith('at most')) return TEXT_COPY.refusedLength(max);
  if (problem.startsWith('must not be empty')) return TEXT_COPY.empty;
  if (data.reason === 'invalid_text') return TEXT_COPY.invalid(problem);
  return message;
}

function startPerceptor(root) {
  const badge = document.querySelector('[data-session-badge]');
  const copy = root.querySelector('[data-session-copy]');
  const startButton = root.querySelector('[data-start]');
  const endButton = root.querySelector('[data-end]');
  const errorNotice = root.querySelector('[data-error]');
  const form = root.querySelector('[data-percept-form]');
  const textField = form.querySelector('[data-text]');
  const textLabel = form.querySelector('[data-text-label]');
  const textError = form.querySelector('[data-text-error]');
  const textCount = form.querySelector('[data-char-count]');
  const maxChars = Number(textField.dataset.maxChars);
  const sendButton = form.querySelector('[data-send]');
  const sent = document.querySelector('[data-acks]');
  const sentEmpty = document.querySelector('[data-acks-empty]');
  const mood = moodPad(form.querySelector('[data-mood-pad]'), form.querySelector('[data-mood-thumb]'), {
    valence: form.querySelector('[data-valence]'),
    arousal: form.querySelector('[data-arousal]'),
  });

  let socket = null;
  let sessionState = 'idle';
  // Replies come in the order frames were sent, one per frame: what each one answers.
  let waiting = [];

  function setState(next, message = SESSION_COPY[next]) {
    sessionState = next;
    root.dataset.state = next;
    const [label, className] = SESSION_BADGES[next];
    badge.textContent = label;
    badge.className = `${className} session-badge`;
    copy.textContent = message;
    const live = next === 'live';
    const canStart = ['idle', 'ended', 'disconnected', 'refused'].includes(next);
    // One of the two buttons at a time, in the same place: start, or end what is open.
    startButton.hidden = !canStart;
    startButton.textContent = next === 'idle' ? 'Start session' : 'Start a new session';
    endButton.hidden = canStart;
    endButton.disabled = !live;
    sendButton.disabled = !live;
  }

  function showError(message) {
    errorNotice.textContent = message;
    errorNotice.hidden = !message;
  }

  function kind() {
    return form.elements.kind.value;
  }

  // A note under the field: a problem that stops sending (`invalid`), or a word at the limit.
  function showTextError(message, { invalid = true } = {}) {
    textError.textContent = message;
    textError.hidden = !message;
    textField.setAttribute('aria-invalid', String(Boolean(message) && invalid));
  }

  // The counter under the field, and a message at the limit and past it. Nothing is cut:
  // a longer paste stays whole, so the person chooses what to leave out.
  function countText() {
    const count = chars(textField.value);
    textCount.textContent = `${number(count)} / ${number(maxChars)}`;
    const tone = count > maxChars ? 'over' : count === maxChars ? 'limit' : count >= maxChars * 0.9 ? 'near' : '';
    textCount.dataset.tone = tone;
    textError.dataset.tone = tone;
    if (tone === 'over') showTextError(TEXT_COPY.over(count - maxChars, maxChars));
    else if (tone === 'limit') showTextError(TEXT_COPY.atLimit(maxChars), { invalid: false });
    else if (count > 0 || textError.textContent !== TEXT_COPY.empty) showTextError('');
  }

  function describeKind() {
    textLabel.textContent = kind() === 'audio' ? 'What do you hear?' : 'What do you see?';
  }

  // -- the list of what was sent, and what became of it

  function addSent(percept) {
    const item = document.createElement('li');
    item.className = 'ack is-sending';
    const status = document.createElement('p');
    status.className = 'ack-status';
    status.textContent = 'Sending…';
    const text = document.createElement('p');
    text.className = 'ack-text';
    text.dir = 'auto';
    text.textContent = percept.description ?? percept.transcript;
    const meta = document.createElement('p');
    meta.className = 'meta';
    const heard = percept.kind === 'audio' ? 'Heard' : 'Seen';
    meta.textContent = `${heard} · valence ${percept.valence.toFixed(2)}, arousal ${percept.arousal.toFixed(2)}`;
    item.append(status, text, meta);
    sent.prepend(item);
    sentEmpty.hidden = true;
    while (sent.children.length > SENT_LENGTH) sent.lastElementChild.remove();
    return { item, status, percept };
  }

  function markStored(entry, data) {
    entry.item.className = 'ack is-stored';
    const at = timeOf(data.receivedAt);
    entry.status.textContent = `Stored as percept #${data.perceptId}${at ? ` at ${at}` : ''}`;
    entry.item.dataset.perceptId = String(data.perceptId);
    storedSinceCycle += 1;
  }

  function markNotStored(entry, message) {
    entry.item.className = 'ack is-failed';
    entry.status.textContent = `Not stored: ${message}`;
    const again = document.createElement('button');
    again.type = 'button';
    again.className = 'link-button';
    again.textContent = 'Put it back in the form';
    again.addEventListener('click', () => {
      form.elements.kind.value = entry.percept.kind;
      describeKind();
      textField.value = entry.percept.description ?? entry.percept.transcript;
      countText();
      mood.set(entry.percept.valence, entry.percept.arousal);
      again.remove();
      textField.focus();
    });
    entry.status.after(again);
  }

  function abandonWaiting(message) {
    for (const expected of waiting) {
      if (expected.entry) markNotStored(expected.entry, message);
    }
    waiting = [];
  }

  // -- the socket

  function send(frame, expected) {
    socket.send(JSON.stringify(frame));
    waiting.push(expected);
  }

  function closeSocket() {
    const closing = socket;
    socket = null;
    closing?.close();
  }

  function receive(frame) {
    const { event, data } = frame;
    if (event === 'error' && data.reason === 'unauthorized') {
      // Refused on connect (no frame of ours answered); the server closes next.
      setState('refused', data.message);
      return;
    }
    const expected = waiting.shift();
    if (!expected) return;
    if (expected.kind === 'start') {
      if (event === 'sessionStarted') setState('live');
      else {
        showError(data.message);
        closeSocket();
        setState('disconnected');
      }
    } else if (expected.kind === 'percept') {
      if (event === 'perceptAccepted') {
        markStored(expected.entry, data);
        return;
      }
      const message = REASON_COPY[data.reason] ?? refusalCopy(data, maxChars);
      markNotStored(expected.entry, message);
      if (data.reason === 'session_ended') {
        abandonWaiting(REASON_COPY.session_ended);
        closeSocket();
        setState('ended', REASON_COPY.session_ended);
      } else {
        showError(message);
      }
    } else if (expected.kind === 'end') {
      closeSocket();
      setState('ended');
    }
  }

  function start() {
    showError('');
    waiting = [];
    setState('connecting');
    const opened = new WebSocket(socketUrl('/ws/session/'));
    socket = opened;
    opened.addEventListener('open', () => {
      if (opened === socket) send({ event: 'startSession', data: { client: 'perceptor page' } }, { kind: 'start' });
    });
    onFrames(opened, (frame) => {
      if (opened === socket) receive(frame);
    });
    opened.addEventListener('close', () => {
      if (opened !== socket) return; // closed on purpose
      socket = null;
      abandonWaiting(NOT_DELIVERED);
      // Closing the socket ends the session on the server, so an end in flight is done.
      if (sessionState === 'ending') setState('ended');
      else if (sessionState !== 'refused') setState('disconnected');
    });
  }

  function end() {
    if (sessionState !== 'live') return;
    setState('ending');
    send({ event: 'endSession' }, { kind: 'end' });
  }

  function submit(event) {
    event.preventDefault();
    if (sessionState !== 'live') return;
    const text = textField.value.trim();
    const over = chars(text) - maxChars;
    if (!text || over > 0) {
      showTextError(text ? TEXT_COPY.over(over, maxChars) : TEXT_COPY.empty);
      textField.focus();
      return;
    }
    const { valence, arousal } = mood.value();
    const percept = kind() === 'audio'
      ? { kind: 'audio', transcript: text, valence, arousal }
      : { kind: 'visual', description: text, valence, arousal };
    showError('');
    send({ event: 'percept', data: percept }, { kind: 'percept', entry: addSent(percept) });
    textField.value = '';
    countText();
    textField.focus();
  }

  startButton.addEventListener('click', start);
  endButton.addEventListener('click', end);
  form.addEventListener('submit', submit);
  form.addEventListener('change', describeKind);
  textField.addEventListener('input', countText);
  // Enter sends, Shift+Enter starts a new line: quick for a live observer.
  textField.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  describeKind();
  countText();
  setState('idle');
}

if (perceptor) startPerceptor(perceptor);
