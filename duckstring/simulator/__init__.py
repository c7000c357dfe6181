"""`duckstring simulate`: the engine on a virtual clock against simulated Ducks."""

from __future__ import annotations

from duckstring.simulator.runner import Simulation
from duckstring.simulator.scenario import Scenario, ScenarioError, load, parse

__all__ = ["Scenario", "ScenarioError", "Simulation", "load", "parse"]
