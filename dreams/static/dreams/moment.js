// A moment's page: draw its sigil large from the normalized commands (sigil.js), and
// redraw it crisply when the canvas changes size (a rotated phone, a resized window).

import { drawSigil } from './sigil.js';

// Stroke width in CSS pixels, by the sigil's side: fine on a desktop, visible on a phone.
const STROKE_PX = { min: 2, perSide: 0.008, max: 4.5 };

function lineWidth(canvas) {
  const side = canvas.getBoundingClientRect().width || canvas.width || 1;
  const px = Math.min(STROKE_PX.max, Math.max(STROKE_PX.min, side * STROKE_PX.perSide));
  // drawSigil takes the width in the sigil's 100-unit space.
  return (px * 100) / side;
}

for (const canvas of document.querySelectorAll('canvas[data-sigil]')) {
  const source = document.getElementById(canvas.dataset.sigil);
  if (!source) continue;
  const commands = JSON.parse(source.textContent);
  // A CSS width of its own keeps drawSigil from fixing the canvas at its first size.
  canvas.style.width = '100%';
  const draw = () => drawSigil(canvas, commands, { lineWidth: lineWidth(canvas) });
  draw();
  if (typeof ResizeObserver !== 'undefined') {
    let lastWidth = canvas.getBoundingClientRect().width;
    new ResizeObserver(() => {
      const width = canvas.getBoundingClientRect().width;
      if (width !== lastWidth) {
        lastWidth = width;
        draw();
      }
    }).observe(canvas);
  }
  canvas.dataset.drawn = 'true';
}
