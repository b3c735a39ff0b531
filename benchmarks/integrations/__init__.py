"""Benchmarks of ``semroute.integrations``: pytest-benchmark files (``bench_*.py``) and scripts
(``python -m benchmarks.integrations.<name>``)."""
