// The history of moments (/moments/): the circumplex pad over the region inputs, and a
// submit that leaves empty filters out of the address, so that it stays short to share.
// Without this script the form works the same, by typing the numbers.

import { circumplexPad } from './circumplex-pad.js';

const form = document.querySelector('[data-history-filters]');

if (form) {
  const pad = form.querySelector('[data-circumplex-pad]');
  if (pad) {
    circumplexPad(pad, {
      valenceMin: form.elements.valence_min,
      valenceMax: form.elements.valence_max,
      arousalMin: form.elements.arousal_min,
      arousalMax: form.elements.arousal_max,
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string' && value.trim() !== '') query.append(name, value.trim());
    }
    const text = query.toString();
    window.location.assign(text ? `${form.action}?${text}` : form.action);
  });
}
