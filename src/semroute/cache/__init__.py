"""SemanticCache: lookup (exact, index, guards, verifier), store, index, calibrate."""
