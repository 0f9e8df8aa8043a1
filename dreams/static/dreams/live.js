// The observer socket (/ws/observe/, see docs/events.md) for every page that shows the
// live mind: reconnects by itself, drops frames it has already seen, and says when the
// page must resync (after a reconnect or a gap in `seq`), since events were missed then.

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 15000;

export function socketUrl(path) {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}${path}`;
}

// Calls handler(frame) for each JSON frame the socket receives; other text is ignored.
export function onFrames(socket, handler) {
  socket.addEventListener('message', (message) => {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    handler(frame);
  });
}

// handlers: onSnapshot(data, {resync}), onEvent(event, data, seq), onResync(),
// onStatus('connecting' | 'live' | 'offline', retryInMs)
export function observe(handlers, { sdf = false } = {}) {
  let lastSeq = null;
  let attempts = 0;
  let socket = null;
  let stopped = false;

  function scheduleRetry() {
    const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** attempts);
    attempts += 1;
    // Jitter keeps a wall of displays from reconnecting in lockstep after a restart.
    const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
    handlers.onStatus?.('offline', wait);
    window.setTimeout(connect, wait);
  }

  function receive(frame) {
    if (frame.event === 'snapshot') {
      // Anything seen before this snapshot may have missed events: the page resyncs.
      const resync = lastSeq !== null;
      lastSeq = frame.seq;
      attempts = 0;
      handlers.onStatus?.('live');
      handlers.onSnapshot?.(frame.data, { resync });
      if (resync) handlers.onResync?.();
      return;
    }
    if (frame.seq === 0 || lastSeq === null) return; // replies, or before the snapshot
    if (frame.seq <= lastSeq) return; // already seen
    const gap = frame.seq > lastSeq + 1;
    lastSeq = frame.seq;
    if (gap) handlers.onResync?.();
    handlers.onEvent?.(frame.event, frame.data, frame.seq);
  }

  function connect() {
    if (stopped) return;
    handlers.onStatus?.('connecting');
    socket = new WebSocket(socketUrl(`/ws/observe/${sdf ? '?sdf=1' : ''}`));
    onFrames(socket, receive);
    socket.addEventListener('close', () => {
      if (!stopped) scheduleRetry();
    });
  }

  connect();
  return {
    stop() {
      stopped = true;
      socket?.close();
    },
  };
}
