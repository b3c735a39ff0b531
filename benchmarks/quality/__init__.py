"""Every quality benchmark in one run (``python -m benchmarks.quality``, ``semroute bench``).

The quality scripts live beside the capability they measure (benchmarks/cache/,
benchmarks/router/, benchmarks/pruning/, benchmarks/encoder/); this package is only their
runner, kept here so the command users type and ``semroute bench`` stay the same.
"""
