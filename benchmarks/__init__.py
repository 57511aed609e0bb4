"""Benchmarks for chokepoint (not part of the installed package).

Run from the repository root, e.g. ``.venv/bin/python -m benchmarks.bench_flow``.
See ``docs/benchmarks.md``.
"""
