"""The Ray launcher against a real two-node cluster (embedded/ray_launcher.py): placement by a
Pond's resources, adoption by name, and stop (a dead node: test_ray_ducks.py). The "Duck" is a
plain child process (`sleep`), so these tests need no Catchment."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from duckstring.embedded.store.placements import Placement
from tests.e2e.harness import alive, wait_until
from tests.ray.cluster import Cluster

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def ray_driver(cluster: Cluster) -> Iterator[None]:
    import ray

    yield
    ray.shutdown()


def launcher(cluster: Cluster, placements: dict[str, Placement], scope: str = "t") -> object:
    from duckstring.embedded.ray_launcher import RayLauncher

    return RayLauncher(cluster.address, scope, lambda url, b: {"DS_TEST_URL": url},
                       lambda line: "b", lambda line: placements.get(line, Placement()),
                       argv=lambda line: ["sleep", "600"])


def test_a_duck_is_placed_by_its_ponds_resources_adopted_by_name_and_stopped(
        cluster: Cluster, ray_driver: None) -> None:
    from duckstring.embedded.ray_launcher import RayLauncher

    ray_l = launcher(cluster, {"far@1": Placement(resources={"second": 1})})
    assert isinstance(ray_l, RayLauncher)
    near, far = ray_l.spawn("near@1", "http://x", "tok"), ray_l.spawn("far@1", "http://x", "tok")
    near_info, far_info = near.info(60), far.info(60)
    assert near_info and far_info and near.alive() and far.alive()
    assert far_info["node_id"] == cluster.nodes[0]["id"]
    assert far.where()["launcher"] == "ray" and far_info["node_id"][:8] in str(far.where()["node"])
    assert alive(int(far_info["pid"]))
    adopted = ray_l.adopt("far@1")
    assert adopted is not None and adopted.pid == far_info["pid"]
    assert ray_l.adopt("nobody@1") is None
    far.stop(signal.SIGKILL)  # the actor, and with it its child
    wait_until(lambda: not far.alive() and not alive(int(far_info["pid"])), timeout=20,
               what="the actor and its child gone")
    assert ray_l.adopt("far@1") is None
    near.stop(signal.SIGTERM)  # the child leaves; the actor follows it
    wait_until(lambda: not near.alive(), timeout=20, what="the Duck gone")
    assert near.gone() == "the Duck exited with code -15"
    assert not alive(int(near_info["pid"]))

