"""Benchmark: an evidence photo (200 KB, as the phone sends it, and its 20 KB thumbnail)
written, read whole, streamed and deleted, in the local folder and in a bucket of the S3
test server (Ceph's object gateway, ``scripts/s3-test-server start`` first), with the
ratio S3 / local measured in the same run.

    eval "$(scripts/s3-test-server start)"
    .venv/bin/python bench/evidence_store.py [--runs 30]

What it tells: the cost of a store that is a network service rather than a disk, per
upload (two objects) and per download; an upload of the offline page's sync pays it once
per photo.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid

from zhibu.evidence import storage
from zhibu.testing.servers import require_s3, s3_client

PHOTO, THUMB = 200 * 1024, 20 * 1024


def measure(store, runs: int) -> dict[str, list[float]]:
    tenant = uuid.uuid4()
    photo, thumb = os.urandom(PHOTO), os.urandom(THUMB)
    found: dict[str, list[float]] = {"upload": [], "get": [], "stream": [], "delete": []}
    for _ in range(runs):
        file_id = uuid.uuid4()
        key = storage.key_for(tenant, file_id)
        thumb_key = storage.key_for(tenant, file_id, ".thumb.jpg")
        start = time.perf_counter()
        store.put(tenant, key, photo)
        store.put(tenant, thumb_key, thumb)
        found["upload"].append(time.perf_counter() - start)
        start = time.perf_counter()
        assert store.get(tenant, key) == photo
        found["get"].append(time.perf_counter() - start)
        start = time.perf_counter()
        assert sum(len(chunk) for chunk in store.stream(tenant, key)) == PHOTO
        found["stream"].append(time.perf_counter() - start)
        start = time.perf_counter()
        store.delete(tenant, key)
        store.delete(tenant, thumb_key)
        found["delete"].append(time.perf_counter() - start)
    return found


def line(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return (
        f"  {name:7s} min {ms[0]:7.2f} ms  median {statistics.median(ms):7.2f} ms  "
        f"max {ms[-1]:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    server = require_s3()
    client = s3_client(server)
    bucket = f"zhibu-bench-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        s3 = storage.S3Store(
            storage.S3Settings(
                bucket=bucket,
                endpoint_url=server["url"],
                access_key=server["access_key"],
                secret_key=server["secret_key"],
            )
        )
        measure(s3, 3)  # the connection pool warmed, as in a running app
        with tempfile.TemporaryDirectory() as folder:
            local = measure(storage.LocalStore(folder), args.runs)
        remote = measure(s3, args.runs)
    finally:
        client.delete_bucket(Bucket=bucket)
    print(f"evidence store, {args.runs} runs of a {PHOTO // 1024} KB photo and its thumbnail")
    for title, found in (("local folder", local), ("S3 (Ceph object gateway)", remote)):
        print(title)
        for name, values in found.items():
            print(line(name, values))
    print("ratio S3 / local (medians)")
    for name in local:
        ratio = statistics.median(remote[name]) / statistics.median(local[name])
        print(f"  {name:7s} {ratio:6.1f}×")


if __name__ == "__main__":
    main()
