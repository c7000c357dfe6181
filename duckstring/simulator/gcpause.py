"""Reading a scenario and running it build tens of thousands of long-lived, acyclic objects
(TOML tables, Ponds, run records); CPython's cyclic collector would walk them again and
again for nothing, so both run with it paused."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
