"""The shipped ONNX encoder (all-MiniLM-L6-v2) and its pooling twin."""
