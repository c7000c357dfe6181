"""The Ray tests' cluster: a head and a second node (custom resource `second`) on 127.0.0.1,
started once for the session's Ray tests and ended by pid; skipped with the reason when Ray is
missing. A test that kills a node runs last (test_ray_ducks.py's last test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lake.conftest import S3_ENV, s3_server  # noqa: F401  (the moto fixture)
from tests.ray.cluster import Cluster, available

if (why := available()) is not None:
    pytest.skip(why, allow_module_level=True)


@pytest.fixture(scope="session")
def cluster(s3_server: str) -> Iterator[Cluster]:  # noqa: F811
    c = Cluster(env={**S3_ENV, "AWS_ENDPOINT_URL": s3_server})
    try:
        c.start_head()
        c.add_worker({"second": 1})
        yield c
    finally:
        c.stop()
