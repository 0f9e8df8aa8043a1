// The history of moments (/moments/): the filters folded on a phone while none is set, the
// circumplex pad over the region inputs, and a submit that leaves empty filters out of the
// address, so that it stays short to share. Without this script the form works the same
// (open, by typing the numbers).

import { circumplexPad } from './circumplex-pad.js';

// As history.css's phone layout.
const PHONE = '(max-width: 40rem)';

const filtersBox = document.querySelector('[data-filters-box]');
if (filtersBox?.hasAttribute('data-fold-on-phone') && window.matchMedia(PHONE).matches) {
  filtersBox.open = false;
}

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
