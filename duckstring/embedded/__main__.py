"""`python -m duckstring.embedded --root DIR [--host H] [--port P]`: serve a Catchment in the
foreground (what `duckstring catchment start` does, without a registration)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duckstring.embedded")
    parser.add_argument("--root", type=Path, default=None, help="Catchment root")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7474)
    args = parser.parse_args(argv)

    from duckstring.embedded.access.secrets import SecretsKeyError
    from duckstring.embedded.root_lock import RootLocked
    from duckstring.embedded.runner import THREADS, open_server, serve_forever
    from duckstring.embedded.settings import Settings

    settings = replace(Settings.from_env(), poll_slots=THREADS // 2)
    if args.root is not None:
        settings = replace(settings, root=args.root.expanduser().absolute())
    try:
        server = open_server(settings, args.host, args.port)
    except (RootLocked, SecretsKeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)
        return 1
    print(f"Catchment {settings.root} serving on {server.url} (pid {os.getpid()})", flush=True)
    serve_forever(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
