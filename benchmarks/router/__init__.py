"""Benchmarks of ``semroute.router``: pytest-benchmark files (``bench_*.py``) and scripts
(``python -m benchmarks.router.<name>``)."""
