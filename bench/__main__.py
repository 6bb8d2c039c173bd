"""`make bench`: run every benchmark, print ratios with targets, write results files."""

from __future__ import annotations

import socket
import sys

from bench import directory_import, http, mail, reports
from bench.common import machine, write_results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    print(f"Machine: {machine()}")
    results = []
    for module in (http, mail, directory_import, reports):
        results.extend(module.main(free_port))
    for r in results:
        sign = "≥" if r.better == "higher" else "≤"
        print(
            f"{r.name}: {r.value:.1f} vs floor {r.floor:.1f} {r.unit} → ratio {r.ratio:.2f} "
            f"(target {sign} {r.target}) {'ok' if r.ok else 'BELOW TARGET'}"
        )
    write_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
