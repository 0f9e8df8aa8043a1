// A valence/arousal pad: one point in [-1, 1] x [-1, 1], set by pointer (click or drag)
// or keyboard (arrows, Shift for bigger steps, Home for neutral). Valence runs left to
// right, arousal bottom to top, as on the circumplex.

const STEP = 0.1;
const BIG_STEP = 0.25;

function clamp(value) {
  return Math.max(-1, Math.min(1, Math.round(value * 100) / 100));
}

function describe(value, negative, positive) {
  if (Math.abs(value) < 0.15) return null;
  const strength = Math.abs(value) >= 0.6 ? 'very ' : '';
  return strength + (value < 0 ? negative : positive);
}

// pad: the focusable element (role="slider"); thumb: the dot inside it;
// readouts: {valence, arousal} <output> elements. Returns {value(), set(valence, arousal)}.
export function moodPad(pad, thumb, readouts) {
  let valence = 0;
  let arousal = 0;

  function render() {
    thumb.style.left = `${((valence + 1) / 2) * 100}%`;
    thumb.style.top = `${((1 - arousal) / 2) * 100}%`;
    readouts.valence.textContent = valence.toFixed(2);
    readouts.arousal.textContent = arousal.toFixed(2);
    const words = [describe(valence, 'unpleasant', 'pleasant'), describe(arousal, 'calm', 'excited')]
      .filter(Boolean)
      .join(', ');
    pad.setAttribute('aria-valuenow', valence.toFixed(2));
    pad.setAttribute(
      'aria-valuetext',
      `Valence ${valence.toFixed(2)}, arousal ${arousal.toFixed(2)} (${words || 'neutral'})`,
    );
  }

  function set(nextValence, nextArousal) {
    valence = clamp(nextValence);
    arousal = clamp(nextArousal);
    render();
  }

  function fromPointer(event) {
    const rect = pad.getBoundingClientRect();
    set(
      ((event.clientX - rect.left) / rect.width) * 2 - 1,
      1 - ((event.clientY - rect.top) / rect.height) * 2,
    );
  }

  pad.addEventListener('pointerdown', (event) => {
    pad.setPointerCapture(event.pointerId);
    pad.focus();
    fromPointer(event);
  });
  pad.addEventListener('pointermove', (event) => {
    if (pad.hasPointerCapture(event.pointerId)) fromPointer(event);
  });

  pad.addEventListener('keydown', (event) => {
    const step = event.shiftKey ? BIG_STEP : STEP;
    const moves = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    if (event.key === 'Home') {
      set(0, 0);
    } else if (moves[event.key]) {
      const [dv, da] = moves[event.key];
      set(valence + dv, arousal + da);
    } else {
      return;
    }
    event.preventDefault(); // the arrows would scroll the page
  });

  render();
  return {
    value: () => ({ valence, arousal }),
    set,
  };
}
