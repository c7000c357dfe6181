"""The hosted entry: `waitress-serve --listen 127.0.0.1:7474 duckstring.embedded.wsgi:app`.

Configured only by the environment (`DUCKSTRING_ROOT`, `DUCKSTRING_API_KEY`,
`DUCKSTRING_CATCHMENT_URL`, …; see settings.py). Importing it takes the root's lock, so a
second server on the same root refuses to start. Waitress's defaults carry hundreds of Ponds
(docs/operating.md §6): Ducks wait on a FIFO, not on a server thread, and status long-polls
are bounded by `DUCKSTRING_POLL_SLOTS`.
SIGTERM and SIGINT stop the Ducks, then the host (signals.py); `atexit` finishes the close.
"""

from __future__ import annotations

import atexit

from duckstring.embedded.app import Catchment, create_app
from duckstring.embedded.settings import Settings
from duckstring.embedded.signals import stop_on_signals

app = create_app(Catchment.open(Settings.from_env()))
stop_on_signals(app.catchment)
atexit.register(app.catchment.close)
