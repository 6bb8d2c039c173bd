"""The benchmark results files: the shape a script comparing runs relies on."""

from __future__ import annotations

import json

from bench.common import Result, write_results


def test_results_file_is_a_list_of_comparable_entries(tmp_path):
    results = [
        Result("http: page", 900.0, 1000.0, 0.9, 0.5, "higher", "requests/s", "p50 1 ms"),
        Result("http: form", 100.0, 1000.0, 0.1, 0.25, "higher", "requests/s"),
        Result("import", 2.0, 1.0, 2.0, 8.0, "lower", "s"),
        Result("report", 3.0, 1.0, 3.0, 1.5, "lower", "s"),
    ]
    write_results(results, tmp_path)
    entries = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert [set(e) for e in entries] == [
        {"name", "value", "floor", "ratio", "target", "better", "unit"}] * 4
    assert entries[1] == {"name": "http: form", "value": 100.0, "floor": 1000.0, "ratio": 0.1,
                          "target": 0.25, "better": "higher", "unit": "requests/s"}
    assert [r.verdict for r in results] == ["ok", "BELOW TARGET", "ok", "ABOVE TARGET"]
    table = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "| http: form | 100.0 requests/s | 1000.0 requests/s | 0.10 | ≥ 0.25 | BELOW TARGET |" \
        in table
    assert "| report | 3.0 s | 1.0 s | 3.00 | ≤ 1.5 | ABOVE TARGET |" in table
    assert "- http: page: p50 1 ms" in table
