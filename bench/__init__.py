"""Benchmarks: each measures a floor in the same run and reports value/floor as a ratio."""
