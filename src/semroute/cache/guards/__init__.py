"""Hit guards: the words that change an answer (numbers, negation, names)."""
