// The UI's state in one place, pure: the latest status document and when it arrived, the
// selected Pond, the connection, and the ticker's clock (`now`, on the same clock as
// `receivedAt`). The canvas, the sidebar and the history subscribe and redraw what changed.

export function createStore(initial = {}) {
  let state = {
    doc: null, receivedAt: 0, now: 0, selected: null, connection: { state: 'connecting', error: null },
    ...initial,
  };
  const subscribers = new Set();
  return {
    get state() {
      return state;
    },
    set(patch) {
      const prev = state;
      state = { ...state, ...patch };
      for (const fn of [...subscribers]) fn(state, prev);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

export function pondOf(state, id) {
  return state.doc && id ? state.doc.ponds.find((p) => p.id === id) || null : null;
}

export function elapsed(state) {
  // Seconds since the status document arrived, for ages that keep counting between updates.
  return Math.max(0, (state.now - state.receivedAt) / 1000);
}

export function startTicker(store, clock, every = 1000) {
  // The one ticker: every view's live ages and durations advance from it.
  return setInterval(() => store.set({ now: clock() }), every);
}
