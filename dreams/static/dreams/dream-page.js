// A dream's page: draw the dream's sigil from its normalized commands.

import { drawSigil } from './sigil.js';

for (const canvas of document.querySelectorAll('canvas[data-sigil]')) {
  const source = document.getElementById(canvas.dataset.sigil);
  if (source) drawSigil(canvas, JSON.parse(source.textContent));
}
