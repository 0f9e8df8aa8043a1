// Draw a sigil's normalized command list (see docs/sigils.md) on a <canvas>.
//
// The commands are data, never code: each name goes through an explicit whitelist and
// every argument must be a finite number (or a boolean for arc's direction).

const CANVAS_UNITS = 100;

// Expected argument count per command; arc's last argument is its counterclockwise flag.
const ARITY = {
  beginPath: 0,
  closePath: 0,
  moveTo: 2,
  lineTo: 2,
  arc: 6,
  quadraticCurveTo: 4,
  bezierCurveTo: 6,
  stroke: 0,
  fill: 0,
};

function finiteNumbers(args, count) {
  if (args.length < count) return false;
  for (let i = 0; i < count; i += 1) {
    if (typeof args[i] !== 'number' || !Number.isFinite(args[i])) return false;
  }
  return true;
}

// Size the backing store to the element's CSS size times devicePixelRatio, so lines stay
// crisp on high-density screens; returns the backing store's side length in pixels.
function fitBackingStore(canvas) {
  const ratio = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const rect = canvas.getBoundingClientRect();
  const cssSide = Math.min(rect.width, rect.height) || canvas.width;
  // Without a CSS size the element would grow with its backing store on every redraw.
  if (!canvas.style.width && !canvas.style.height) {
    canvas.style.width = `${cssSide}px`;
    canvas.style.height = `${cssSide}px`;
  }
  const side = Math.max(1, Math.round(cssSide * ratio));
  if (canvas.width !== side || canvas.height !== side) {
    canvas.width = side;
    canvas.height = side;
  }
  return side;
}

export function drawSigil(canvas, commands, { lineWidth = 2, color = '#fff', clear = true } = {}) {
  const ctx = canvas.getContext('2d');
  if (!ctx || !Array.isArray(commands)) return;
  const side = fitBackingStore(canvas);
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  if (clear) ctx.clearRect(0, 0, canvas.width, canvas.height);
  const scale = side / CANVAS_UNITS;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.lineWidth = lineWidth;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.beginPath();
  for (const command of commands) {
    if (!Array.isArray(command) || typeof command[0] !== 'string') continue;
    const name = command[0];
    if (!Object.prototype.hasOwnProperty.call(ARITY, name)) continue;
    const args = command.slice(1);
    const numbers = name === 'arc' ? ARITY.arc - 1 : ARITY[name];
    if (!finiteNumbers(args, numbers)) continue;
    switch (name) {
      case 'beginPath':
        ctx.beginPath();
        break;
      case 'closePath':
        ctx.closePath();
        break;
      case 'moveTo':
        ctx.moveTo(args[0], args[1]);
        break;
      case 'lineTo':
        ctx.lineTo(args[0], args[1]);
        break;
      case 'arc':
        // Canvas throws on a negative radius; such a command is skipped like any bad one.
        if (args[2] < 0) break;
        ctx.arc(args[0], args[1], args[2], args[3], args[4], args[5] === true);
        break;
      case 'quadraticCurveTo':
        ctx.quadraticCurveTo(args[0], args[1], args[2], args[3]);
        break;
      case 'bezierCurveTo':
        ctx.bezierCurveTo(args[0], args[1], args[2], args[3], args[4], args[5]);
        break;
      case 'stroke':
        ctx.stroke();
        break;
      case 'fill':
        ctx.fill('nonzero');
        break;
      default:
        break;
    }
  }
  ctx.restore();
}
