"""`make bench`: run every benchmark in tests/perf and print its numbers.

`python -m tests.perf [startup|bus]` runs one. Benchmarks are bounded in requests and
time, target loopback only, and stop by themselves; none is part of `make test`.
"""

from __future__ import annotations

import sys

from tests.perf import bench_bus, bench_startup

BENCHES = {"startup": bench_startup.main, "bus": bench_bus.main}


def main(argv: list[str]) -> None:
    names = argv or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHES)}")
        print(f"== {name}", flush=True)
        BENCHES[name]()


main(sys.argv[1:])
