// The DREAMING design's display ("Client Integration" in the design): its two handlers as
// the design gives them, on socket.io-client with its default transports (long-polling,
// then an upgrade to WebSocket). tests/test_socketio.py reads what this prints: one JSON
// object per line.
import { io } from "socket.io-client";

const print = console.log;
const report = (what, detail) => print(JSON.stringify({ what, ...detail }));
const socket = io(process.env.DREAMS_URL);

// What the design's handlers call and log: here each only says that it happened.
function renderSigil(sigilCode) {
  report("renderSigil", { sigilCode, transport: socket.io.engine.transport.name });
}
function showDreamModeIndicator() {
  report("showDreamModeIndicator", {});
}
console.log = (...args) => report("console.log", { text: args.join(" ") });

// ---- the design's client snippet, unmodified (its text shows the emoji double-encoded) --
socket.on('sigil', ({ cycle, sigilCode, sigilPhrase, isDream }) => {
  if (isDream) {
    console.log(`💭 UNI is dreaming... (cycle ${cycle})`);
  }
  renderSigil(sigilCode);
});

socket.on('cognitiveState', ({ state }) => {
  if (state === 'DREAMING') {
    showDreamModeIndicator();
  }
});
// ---- end of the design's snippet ----

socket.on("connect_error", (error) => report("connect_error", { message: error.message }));
process.on("SIGTERM", () => {
  socket.close();
  process.exit(0);
});
