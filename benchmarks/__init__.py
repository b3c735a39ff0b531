"""semroute's benchmark suite: pytest-benchmark speed files and quality/ reports."""
