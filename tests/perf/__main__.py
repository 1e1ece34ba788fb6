"""`make bench`: run every benchmark in tests/perf and print its numbers.

`python -m tests.perf [startup|bus|request-path|metering|admission|upstream-client|floor] [--profile]` runs some. Benchmarks are bounded in requests and
time, target loopback only, and stop by themselves; none is part of `make test`.
"""

from __future__ import annotations

import sys

from tests.perf import (
    bench_admission,
    bench_bus,
    bench_floor,
    bench_metering,
    bench_request_path,
    bench_startup,
    bench_upstream_client,
)

BENCHES = {
    "startup": bench_startup.main,
    "bus": bench_bus.main,
    "request-path": bench_request_path.main,
    "metering": bench_metering.main,
    "admission": bench_admission.main,
    "upstream-client": bench_upstream_client.main,
    "floor": bench_floor.main,
}


def main(argv: list[str]) -> None:
    names = [a for a in argv if not a.startswith("--")] or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHES)}")
        print(f"== {name}", flush=True)
        BENCHES[name]()


main(sys.argv[1:])
