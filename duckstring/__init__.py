"""duckstring: data pipelines as packages, run by freshness and demand."""

from __future__ import annotations

from duckstring.authoring import puddle, ripple
from duckstring.duck.handle import PondHandle

__version__ = "0.1.0"

__all__ = ["PondHandle", "__version__", "puddle", "ripple"]
