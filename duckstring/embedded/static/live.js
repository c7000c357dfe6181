// The live status feed: `GET api/status`, then `?since=V&wait=S` long-polls in a loop, so the
// page updates the moment the Catchment's state version moves (no timer polling), at most ten
// times a second however fast it moves. A busy server's `retry_s` hint (in an answer or a
// refusal) spaces the next request; network failures back off and report the connection state.

import { api } from './api.js';

export const WAIT_S = 25;
export const PACE_MS = 100; // the least time from one poll to the next

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function nextDelay(retryS, backoffMs, tookMs = PACE_MS) {
  // How long to wait before the next poll: the server's hint when it gave one, else the
  // backoff (0 after a good answer), and never less than what keeps to the pace.
  return Math.max(retryS > 0 ? retryS * 1000 : backoffMs, PACE_MS - tookMs);
}

export function startLive({ onStatus, onConnection, call = api, sleep = pause, clock = () => performance.now() }) {
  let version = null;
  let backoff = 500;
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const path = version === null ? 'api/status' : `api/status?since=${version}&wait=${WAIT_S}`;
      let wait;
      const sent = clock();
      try {
        const doc = await call(path, { timeoutMs: (WAIT_S + 15) * 1000 });
        backoff = 500;
        onConnection('live');
        if (doc.version !== version) {
          version = doc.version;
          onStatus(doc, clock());
        }
        wait = nextDelay(doc.retry_s, 0, clock() - sent);
      } catch (err) {
        const busy = err.retryS > 0; // the server answered: it is there, only busy
        onConnection(busy ? 'busy' : 'offline', err);
        if (!busy) version = null;
        wait = nextDelay(err.retryS, backoff, clock() - sent);
        if (!busy) backoff = Math.min(backoff * 2, 8000);
      }
      if (wait > 0) await sleep(wait);
    }
  };
  const done = loop();
  return {
    stop() {
      stopped = true;
      return done;
    },
  };
}
