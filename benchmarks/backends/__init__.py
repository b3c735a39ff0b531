"""Benchmarks of ``semroute.backends``: pytest-benchmark files (``bench_*.py``) and scripts
(``python -m benchmarks.backends.<name>``)."""
