// A circumplex pad for choosing a region of it: drag a box over valence x arousal, both in
// [-1, 1] (valence left to right, arousal bottom to top). The box fills four number inputs,
// and typing in them moves the box, so the inputs stay the form's truth (and the keyboard's
// way in: the drawing itself is hidden from assistive technology).

const SVG_NS = 'http://www.w3.org/2000/svg';
const SIZE = 200; // the square, in viewBox units
// Room outside the square for the axis words: on the left (turned) and below, as the plots'
// circumplex has them, so that no word crosses the circle.
const MARGIN_LEFT = 20;
const MARGIN_BOTTOM = 20;
const MARGIN = 3; // above and to the right: the square's stroke
// A press that moves less than this (in values) is a click, not a box.
const MIN_DRAG = 0.02;

function clamp(value) {
  return Math.max(-1, Math.min(1, Math.round(value * 100) / 100));
}

function toX(valence) {
  return ((valence + 1) / 2) * SIZE;
}

function toY(arousal) {
  return ((1 - arousal) / 2) * SIZE;
}

function element(name, attributes, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.append(node);
  return node;
}

function label(parent, text, x, y, anchor, { turned = false, name = false } = {}) {
  const attributes = { x, y, 'text-anchor': anchor, class: name ? 'circumplex-pad-name' : 'circumplex-pad-label' };
  if (turned) attributes.transform = `rotate(-90 ${x} ${y})`;
  element('text', attributes, parent).textContent = text;
}

function read(input, fallback) {
  const value = Number.parseFloat(input.value);
  return Number.isFinite(value) ? Math.max(-1, Math.min(1, value)) : fallback;
}

// container: where the pad is drawn (shown once drawn); inputs: {valenceMin, valenceMax,
// arousalMin, arousalMax} number inputs. Returns {region(), clear()}.
export function circumplexPad(container, inputs) {
  const width = MARGIN_LEFT + SIZE + MARGIN;
  const height = MARGIN + SIZE + MARGIN_BOTTOM;
  const svg = element('svg', {
    viewBox: `${-MARGIN_LEFT} ${-MARGIN} ${width} ${height}`,
    class: 'circumplex-pad-svg',
    'aria-hidden': 'true',
  });
  // The square is the region's whole range: presses are read against it.
  const ground = element(
    'rect',
    { x: 0, y: 0, width: SIZE, height: SIZE, class: 'circumplex-pad-ground', 'data-pad-surface': '' },
    svg,
  );
  element('circle', { cx: SIZE / 2, cy: SIZE / 2, r: SIZE / 2 - 1, class: 'circumplex-pad-ring' }, svg);
  element('line', { x1: 0, y1: SIZE / 2, x2: SIZE, y2: SIZE / 2, class: 'circumplex-pad-axis' }, svg);
  element('line', { x1: SIZE / 2, y1: 0, x2: SIZE / 2, y2: SIZE, class: 'circumplex-pad-axis' }, svg);
  const below = SIZE + 15;
  const side = -8;
  label(svg, 'unpleasant', 0, below, 'start');
  label(svg, 'valence', SIZE / 2, below, 'middle', { name: true });
  label(svg, 'pleasant', SIZE, below, 'end');
  label(svg, 'calm', side, SIZE, 'start', { turned: true });
  label(svg, 'arousal', side, SIZE / 2, 'middle', { turned: true, name: true });
  label(svg, 'excited', side, 0, 'end', { turned: true });
  const box = element('rect', { class: 'circumplex-pad-box', 'data-pad-box': '' }, svg);

  const clearButton = document.createElement('button');
  clearButton.type = 'button';
  clearButton.className = 'link-button circumplex-pad-clear';
  clearButton.textContent = 'Clear the region';

  container.prepend(svg);
  container.append(clearButton);
  container.hidden = false;

  const fields = [inputs.valenceMin, inputs.valenceMax, inputs.arousalMin, inputs.arousalMax];

  function region() {
    if (fields.every((input) => input.value.trim() === '')) return null;
    return {
      valenceMin: read(inputs.valenceMin, -1),
      valenceMax: read(inputs.valenceMax, 1),
      arousalMin: read(inputs.arousalMin, -1),
      arousalMax: read(inputs.arousalMax, 1),
    };
  }

  function draw(shown) {
    if (!shown || shown.valenceMin > shown.valenceMax || shown.arousalMin > shown.arousalMax) {
      box.setAttribute('visibility', 'hidden');
      clearButton.hidden = !shown;
      return;
    }
    box.setAttribute('x', toX(shown.valenceMin));
    box.setAttribute('y', toY(shown.arousalMax));
    box.setAttribute('width', toX(shown.valenceMax) - toX(shown.valenceMin));
    box.setAttribute('height', toY(shown.arousalMin) - toY(shown.arousalMax));
    box.setAttribute('visibility', 'visible');
    clearButton.hidden = false;
  }

  function write(chosen) {
    inputs.valenceMin.value = chosen ? chosen.valenceMin.toFixed(2) : '';
    inputs.valenceMax.value = chosen ? chosen.valenceMax.toFixed(2) : '';
    inputs.arousalMin.value = chosen ? chosen.arousalMin.toFixed(2) : '';
    inputs.arousalMax.value = chosen ? chosen.arousalMax.toFixed(2) : '';
    for (const input of fields) input.dispatchEvent(new Event('change', { bubbles: true }));
    draw(chosen);
  }

  function pointAt(event) {
    const rect = ground.getBoundingClientRect();
    return {
      valence: clamp(((event.clientX - rect.left) / rect.width) * 2 - 1),
      arousal: clamp(1 - ((event.clientY - rect.top) / rect.height) * 2),
    };
  }

  function boxBetween(a, b) {
    return {
      valenceMin: Math.min(a.valence, b.valence),
      valenceMax: Math.max(a.valence, b.valence),
      arousalMin: Math.min(a.arousal, b.arousal),
      arousalMax: Math.max(a.arousal, b.arousal),
    };
  }

  let start = null;
  let dragged = false;

  svg.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    svg.setPointerCapture(event.pointerId);
    start = pointAt(event);
    dragged = false;
    event.preventDefault();
  });
  svg.addEventListener('pointermove', (event) => {
    if (!start || !svg.hasPointerCapture(event.pointerId)) return;
    const here = pointAt(event);
    dragged ||=
      Math.abs(here.valence - start.valence) >= MIN_DRAG ||
      Math.abs(here.arousal - start.arousal) >= MIN_DRAG;
    if (dragged) draw(boxBetween(start, here));
  });
  function finish(event) {
    if (!start) return;
    if (dragged) write(boxBetween(start, pointAt(event)));
    else draw(region()); // a click leaves the region as it was
    start = null;
  }
  svg.addEventListener('pointerup', finish);
  svg.addEventListener('pointercancel', () => {
    start = null;
    draw(region());
  });

  for (const input of fields) input.addEventListener('input', () => draw(region()));
  clearButton.addEventListener('click', () => write(null));

  draw(region());
  return { region, clear: () => write(null) };
}
