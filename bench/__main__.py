"""`make bench`: run every benchmark, print ratios with targets, write results files.

`python -m bench http mail` runs only the named modules and prints their results without
writing the files (those always hold one complete run).
"""

from __future__ import annotations

import socket
import sys

from bench import directory_import, http, invitations, mail, reports
from bench.common import machine, write_results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MODULES = {"http": http, "mail": mail, "invitations": invitations,
           "directory_import": directory_import, "reports": reports}


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(MODULES)}")
        return 2
    print(f"Machine: {machine()}")
    results = []
    for name in names or MODULES:
        print(f"running {name} …", flush=True)
        results.extend(MODULES[name].main(free_port))
    for r in results:
        print(f"{r.name}: {r.value:.1f} vs floor {r.floor:.1f} {r.unit} → ratio {r.ratio:.2f} "
              f"(target {r.target_text}) {r.verdict}")
    if not names:
        write_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
