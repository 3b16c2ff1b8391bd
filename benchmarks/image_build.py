"""Benchmark the sample image: size against its base, cold build time, no-change rebuild time.

Run: .venv/bin/python benchmarks/image_build.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devtools import containers

UPSTREAM_BASE = "python:3.11-slim-bookworm"


def timed_build(engine: containers.Engine, tag: str, base: str | None, no_cache: bool) -> float:
    started = time.perf_counter()
    engine.build(
        tag,
        build_args={"APP_VERSION": "bench", "APP_COMMIT": "bench"},
        base_image=base,
        no_cache=no_cache,
    )
    return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        engine = containers.detect_engine(Path(scratch))
        base = containers.test_base_image(engine)
        tag = "localhost/shipyard-sample:bench"
        cold = timed_build(engine, tag, base, no_cache=True)
        warm = timed_build(engine, tag, base, no_cache=False)
        image_size = engine.image_size(tag)
        base_size = engine.image_size(base or UPSTREAM_BASE)
    mib = 1024 * 1024
    print(f"engine:                 {engine.command}")
    print(f"base image:             {base or UPSTREAM_BASE}")
    print(f"base image size:        {base_size / mib:8.1f} MiB")
    print(
        f"service image size:     {image_size / mib:8.1f} MiB "
        f"(+{(image_size - base_size) / mib:.1f} MiB, x{image_size / base_size:.2f})"
    )
    print(f"cold build (no cache):  {cold:8.1f} s")
    print(f"rebuild, no change:     {warm:8.1f} s (x{warm / cold:.2f} of cold)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
