"""The shipped ONNX sentence encoder and its tokenizer (package data only).

See ``MANIFEST`` for the source, licence, dimension and file checksums, and
``scripts/`` for the script that rebuilds these files from their source.
"""
