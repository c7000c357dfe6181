"""A generated deployment of many small Ponds in layers (Inlets, then Sinks drawing on earlier
layers), for checking that the web UI stays readable at scale. Deterministic for a seed."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TOPICS = ("orders", "payments", "customers", "products", "inventory", "shipping", "returns",
          "marketing", "support", "finance", "web", "stores")
STAGES = ("raw", "clean", "joined", "metrics", "report", "export")
LAYERS = (10, 12, 11, 9, 8)  # 50 Ponds
LAYERS_100 = (20, 24, 22, 18, 16)  # 100 Ponds (at most two per topic and layer)

RIPPLES = {
    1: "@ripple\ndef {a}(pond):\n    pass\n",
    2: "@ripple\ndef {a}(pond):\n    pass\n\n\n@ripple(parents=[{a}])\ndef {b}(pond):\n    pass\n",
    3: ("@ripple\ndef {a}(pond):\n    pass\n\n\n@ripple\ndef {b}(pond):\n    pass\n\n\n"
        "@ripple(parents=[{a}, {b}])\ndef {c}(pond):\n    pass\n"),
}


def plan(seed: int = 7, layers_of: tuple[int, ...] = LAYERS) -> list[tuple[str, list[str], int]]:
    """(name, sources, ripple count) per Pond, in dependency order."""
    rng = random.Random(seed)
    out: list[tuple[str, list[str], int]] = []
    layers: list[list[str]] = []
    for depth, size in enumerate(layers_of):
        topics = rng.sample(TOPICS, k=min(size, len(TOPICS)))
        names = [f"{t}_{STAGES[depth]}" for t in topics]
        names += [f"{t}_{STAGES[depth + 1]}" for t in rng.sample(TOPICS, k=size - len(names))]
        layer = []
        for name in names:
            if name in {n for n, _, _ in out}:
                name = f"{name}_{depth}"
            sources: list[str] = []
            if depth:
                sources = rng.sample(layers[-1], k=rng.choice((1, 1, 2, 2, 3)))
                if depth > 1 and rng.random() < 0.3:
                    sources.append(rng.choice(layers[-2]))
            out.append((name, sorted(set(sources)), rng.choice((1, 1, 2, 3))))
            layer.append(name)
        layers.append(layer)
    return out


def write_many(base: Path, seed: int = 7, layers_of: tuple[int, ...] = LAYERS) -> list[Path]:
    """Write every planned Pond as a project under `base`; return them in deploy order."""
    projects = []
    for name, sources, ripples in plan(seed, layers_of):
        project = base / name
        (project / "src").mkdir(parents=True, exist_ok=True)
        kind = "inlet" if not sources else "pond"
        toml = ["[pond]", f'name = "{name}"', 'version = "1.0.0"', f'type = "{kind}"']
        if sources:
            toml += ["", "[sources]", *(f'{s} = "1.0.0"' for s in sources)]
        (project / "pond.toml").write_text("\n".join(toml) + "\n")
        code = RIPPLES[ripples].format(a="load", b="shape", c="publish")
        (project / "src" / "pond.py").write_text("from duckstring import ripple\n\n\n" + code)
        projects.append(project)
    return projects


def deploy_layers(url: str, projects: list[Path], parallel: int = 4) -> None:
    """Deploy `projects` over HTTP, a Sink only after its Sources, `parallel` at a time."""
    import httpx

    from tests.e2e.harness import deploy

    def one(project: Path) -> None:
        with httpx.Client(base_url=url, timeout=300) as client:
            r = deploy(client, project)
            assert r.status_code == 201, f"deploying {project.name}: {r.text}"

    def sources(project: Path) -> set[str]:
        _, _, part = (project / "pond.toml").read_text().partition("[sources]")
        return {line.split("=")[0].strip() for line in part.splitlines() if "=" in line}

    def name(project: Path) -> str:
        head = (project / "pond.toml").read_text().partition("[sources]")[0]
        return next(line.split("=")[1].strip().strip('"') for line in head.splitlines()
                    if line.startswith("name"))

    done: set[str] = set()
    pending = list(projects)
    with ThreadPoolExecutor(parallel) as pool:
        while pending:
            ready = [p for p in pending if sources(p) <= done]
            assert ready, f"these Ponds' Sources are missing: {[p.name for p in pending]}"
            list(pool.map(one, ready))
            done |= {name(p) for p in ready}
            pending = [p for p in pending if p not in ready]
