// The live status feed: `GET api/status`, then `?since=V&wait=S` long-polls in a loop, so the
// page updates the moment the Catchment's state version moves (no timer polling). Network
// failures back off and report the connection state.

import { api } from './api.js';

const WAIT_S = 25;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function startLive({ onStatus, onConnection }) {
  let version = null;
  let backoff = 500;
  (async () => {
    for (;;) {
      const path = version === null ? 'api/status' : `api/status?since=${version}&wait=${WAIT_S}`;
      try {
        const doc = await api(path, { timeoutMs: (WAIT_S + 15) * 1000 });
        backoff = 500;
        onConnection('live');
        if (doc.version !== version) {
          version = doc.version;
          onStatus(doc, performance.now());
        }
      } catch (err) {
        onConnection('offline', err);
        version = null;
        await pause(backoff);
        backoff = Math.min(backoff * 2, 8000);
      }
    }
  })();
}
