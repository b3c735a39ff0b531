"""What the encoder did not see of a long text: the normalised tail beyond its window.

A query longer than the encoder's window is embedded by its beginning only, so a
semantic hit between long texts also requires their tails to be identical.
"""

from __future__ import annotations

import threading

from semroute import _text

# Window ends remembered for texts up to this long, this many texts at most.
_MEMO_WINDOW_CHARS = 4096
_MEMO_WINDOWS = 4096


class Tails:
    """Tails of texts for one encoder, with the window ends memoised (bounded, oldest first).

    ``encoder`` is set once the cache knows it; until then every text counts as whole.
    """

    def __init__(self, lock: threading.RLock) -> None:
        self.encoder: object = None
        self._lock = lock
        self._window_ends: dict[str, int] = {}

    def of(self, text: str) -> str | None:
        """The normalised text beyond the encoder's window; ``None`` when all was embedded.

        An encoder without ``window_end`` is taken to embed the whole text.
        """
        window_end = getattr(self.encoder, "window_end", None)
        if window_end is None:
            return None
        if len(text) > _MEMO_WINDOW_CHARS:
            end = int(window_end(text))
        else:
            end = self._window_ends.get(text, -1)
            if end < 0:
                # Tokenising a paragraph costs ~50-300 µs; a stored query is checked again
                # and again as a candidate.
                end = int(window_end(text))
                with self._lock:
                    if len(self._window_ends) >= _MEMO_WINDOWS:
                        self._window_ends.pop(next(iter(self._window_ends)))
                    self._window_ends[text] = end
        return None if end >= len(text) else _text.normalize_query(text[end:])
