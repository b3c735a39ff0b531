"""Benchmarks of ``semroute.encoder``: pytest-benchmark files (``bench_*.py``) and scripts
(``python -m benchmarks.encoder.<name>``)."""
