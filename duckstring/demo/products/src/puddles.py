"""Puddles: local stand-ins for Source tables. `products` is an Inlet (no Sources), so it needs
none."""

from __future__ import annotations
