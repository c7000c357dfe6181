"""duckstring: data pipelines as packages, run by freshness and demand.

The public names load on first use (PEP 562), so that `duckstring --version` and `--help`,
which import this package first, pay for nothing they do not print.
"""

# Neither `__future__` nor `typing` at run time: on a bare interpreter both would be imports
# of their own (typing pulls in re, collections, …) that `--version` would pay for.
TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from duckstring.authoring import puddle, ripple
    from duckstring.duck.handle import PondHandle

__version__ = "0.1.0"

__all__ = ["PondHandle", "__version__", "puddle", "ripple"]

_HOMES = {"puddle": "duckstring.authoring", "ripple": "duckstring.authoring",
          "PondHandle": "duckstring.duck.handle"}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'duckstring' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
