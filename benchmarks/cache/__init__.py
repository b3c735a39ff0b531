"""Benchmarks of ``semroute.cache``: pytest-benchmark files (``bench_*.py``) and scripts
(``python -m benchmarks.cache.<name>``)."""
