// The Catchment's HTTP API, by relative URL (so the UI works under any path prefix).
// Sends the stored key as `Authorization: Bearer`; a 401 asks for a key and retries.

import { askForKey, storedKey } from './key.js';

export class ApiError extends Error {
  constructor(status, message, code, retryS = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryS = retryS; // the server's hint when it is busy: ask again after this long
  }
}

function retryHint(resp, data) {
  const hint = (data && (data.retry_s ?? (data.error && data.error.retry_s)))
    ?? Number(resp.headers.get('Retry-After'));
  return Number.isFinite(hint) && hint > 0 ? hint : null;
}

export async function api(path, { method = 'GET', body, timeoutMs = 30000 } = {}) {
  for (;;) {
    const key = storedKey();
    const headers = { Accept: 'application/json' };
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let resp;
    try {
      resp = await fetch(path, {
        method, headers, cache: 'no-store', signal: AbortSignal.timeout(timeoutMs),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const reason = err.name === 'TimeoutError' ? 'no answer in time' : 'cannot reach the Catchment';
      throw new ApiError(0, reason, 'network');
    }
    if (resp.status === 401 && !path.startsWith('api/health')) {
      await askForKey(key);
      continue;
    }
    let data = null;
    try {
      data = await resp.json();
    } catch {
      data = null;
    }
    if (!resp.ok) {
      const err = data && data.error;
      throw new ApiError(resp.status, (err && err.message) || `${resp.status} ${resp.statusText}`,
        err && err.code, retryHint(resp, data));
    }
    return data;
  }
}

export function pondPath(pond, tail = '') {
  // A route for one line: the name in the path, the major as ?major= so concurrent majors
  // each get their own.
  const [path, query] = tail.split('?');
  const q = new URLSearchParams(query || '');
  q.set('major', String(pond.major));
  return `api/ponds/${encodeURIComponent(pond.name)}${path ? `/${path}` : ''}?${q}`;
}
