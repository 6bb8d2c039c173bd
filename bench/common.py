"""Shared pieces: result records, the results files, machine notes."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Result:
    name: str
    value: float
    floor: float
    ratio: float
    target: float
    better: str  # "higher" | "lower"
    unit: str
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.ratio >= self.target if self.better == "higher" else self.ratio <= self.target

    @property
    def target_text(self) -> str:
        return f"{'≥' if self.better == 'higher' else '≤'} {self.target}"

    @property
    def verdict(self) -> str:
        if self.ok:
            return "ok"
        return "BELOW TARGET" if self.better == "higher" else "ABOVE TARGET"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def write_results(results: list[Result], directory: Path = HERE) -> None:
    (directory / "results.json").write_text(
        json.dumps([{k: v for k, v in asdict(r).items() if k != "note"} for r in results],
                   indent=2) + "\n",
        encoding="utf-8",
    )
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}. Each ratio compares Consult with a floor measured in the same run.",
        "",
        "| benchmark | value | floor | ratio | target | |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.value:.1f} {r.unit} | {r.floor:.1f} {r.unit} | {r.ratio:.2f} | "
            f"{r.target_text} | {r.verdict} |"
        )
    notes = [f"- {r.name}: {r.note}" for r in results if r.note]
    if notes:
        lines += ["", *notes]
    (directory / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
