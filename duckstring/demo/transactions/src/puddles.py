"""Puddles: local stand-ins for Source tables. `transactions` is an Inlet (no Sources), so it
needs none; `pond run` starts it from an empty registry."""

from __future__ import annotations
