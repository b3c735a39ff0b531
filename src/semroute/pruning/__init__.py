"""Context pruning: cut long contexts to a token budget, keeping what the question needs."""
