"""Stream LLM call records from a JSON-lines or CSV log, counting malformed lines.

One record per LLM call; only the query text is required. Field names of the
common logging shapes are accepted as aliases (``prompt``, ``input``, OpenAI's
``messages`` and ``usage``...). A bad line is skipped and remembered with its
line number; it never stops the stream.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from semroute.errors import ConfigError, InputTypeError

__all__ = ["LogReader", "LogRecord", "Malformed"]

# First alias present wins; order says which name is preferred.
_QUERY = ("query", "prompt", "input", "question", "text")
_TS = ("ts", "timestamp", "time", "created_at", "created")
_MODEL = ("model", "model_name")
_IN_TOKENS = ("input_tokens", "prompt_tokens", "tokens_in")
_OUT_TOKENS = ("output_tokens", "completion_tokens", "tokens_out")
_COST = ("cost_usd", "cost", "price_usd")
_USER = ("user", "user_id")
_FEATURE = ("feature", "tag", "endpoint", "route")
_CONTEXT = ("context", "contexts", "documents")
# Epoch numbers above this are milliseconds (1e11 s is the year 5138).
_EPOCH_MS_ABOVE = 1e11
_MAX_SAMPLES = 20
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One LLM call as read from the log; ``line`` is 1-based (a CSV row's first line)."""

    line: int
    query: str
    ts: datetime | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    user: str | None = None
    feature: str | None = None
    context: str | None = None

    def tag(self, name: str) -> str | None:
        """The value of the ``user``/``feature``/``model`` field ``name``, for namespacing."""
        value = getattr(self, name, None) if name in _TAG_FIELDS else None
        return value if isinstance(value, str) else None


_TAG_FIELDS = frozenset({"user", "feature", "model"})


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that was skipped, and why."""

    line: int
    reason: str


class _BadRecord(Exception):
    pass


@dataclass(slots=True)
class LogReader:
    """Iterate the records of a log, keeping malformed-line counts as it goes.

    ``source`` is a path (``.jsonl``/``.ndjson``/``.json`` or ``.csv``), ``"-"`` for
    stdin (JSON lines or CSV, sniffed from the first byte), or an iterable of
    mappings (Python callers). Memory stays bounded whatever the log's size.

    >>> reader = LogReader([{"query": "hi"}, {"prompt": "hello", "cost": 0.01}, {"q": 1}])
    >>> [r.query for r in reader], reader.malformed_count
    (['hi', 'hello'], 1)
    """

    source: str | Path | Iterable[Mapping[str, Any]]
    max_samples: int = _MAX_SAMPLES
    stdin: IO[bytes] | None = None
    malformed_count: int = 0
    malformed: list[Malformed] = field(default_factory=list)
    lines_read: int = 0
    bytes_read: int = 0
    bytes_total: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        src = self.source
        if isinstance(src, str | Path):
            self.label = "<stdin>" if str(src) == "-" else str(src)
            if str(src) != "-":
                path = Path(src)
                if not path.is_file():
                    raise ConfigError(f"log file not found: {path}")
                self.bytes_total = path.stat().st_size
        elif isinstance(src, Iterable) and not isinstance(src, bytes | Mapping):
            self.label = "<records>"
        else:
            raise InputTypeError(
                f"a log is a path, '-' or an iterable of dicts, not {type(src).__name__}"
            )

    def __iter__(self) -> Iterator[LogRecord]:
        src = self.source
        if not isinstance(src, str | Path):
            yield from self._from_mappings(src)
            return
        if str(src) == "-":
            stream = self.stdin if self.stdin is not None else sys.stdin.buffer
            yield from self._from_binary(stream, kind=None)
            return
        path = Path(src)
        suffix = path.suffix.lower()
        kind = "csv" if suffix in {".csv", ".tsv"} else "jsonl" if suffix else None
        with path.open("rb") as stream:
            yield from self._from_binary(stream, kind=kind)

    def _skip(self, line: int, reason: str) -> None:
        self.malformed_count += 1
        if len(self.malformed) < self.max_samples:
            self.malformed.append(Malformed(line, reason))

    def _from_mappings(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[LogRecord]:
        for number, row in enumerate(rows, start=1):
            self.lines_read = number
            if not isinstance(row, Mapping):
                self._skip(number, f"not a mapping: {type(row).__name__}")
                continue
            try:
                yield parse_record(row, number)
            except _BadRecord as exc:
                self._skip(number, str(exc))

    def _from_binary(self, stream: IO[bytes], *, kind: str | None) -> Iterator[LogRecord]:
        buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[type-var]
        if kind is None:
            head = buffered.peek(64).lstrip()
            kind = "jsonl" if not head or head[:1] in (b"{", b"[") else "csv"
        if kind == "csv":
            yield from self._from_csv(buffered)
        else:
            yield from self._from_jsonl(buffered)

    def _from_jsonl(self, stream: IO[bytes]) -> Iterator[LogRecord]:
        for number, raw in enumerate(stream, start=1):
            self.lines_read = number
            self.bytes_read += len(raw)
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]  # editors on Windows start UTF-8 files with one
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                reason = (
                    "not UTF-8"
                    if isinstance(exc, UnicodeDecodeError)
                    else "JSON nested too deeply"
                    if isinstance(exc, RecursionError)
                    else "invalid JSON"
                )
                self._skip(number, reason)
                continue
            if not isinstance(row, dict):
                self._skip(number, f"not a JSON object: {type(row).__name__}")
                continue
            try:
                yield parse_record(row, number)
            except _BadRecord as exc:
                self._skip(number, str(exc))

    def _from_csv(self, stream: IO[bytes]) -> Iterator[LogRecord]:
        # utf-8-sig: spreadsheet exports start with a BOM that would rename the first column.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        try:
            reader = csv.DictReader(text)
            line = 1
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    # A field over csv's limit (131,072 characters), say: the reader
                    # drops the rest of that line and carries on with the next one.
                    line = reader.reader.line_num  # DictReader's own count lags on errors
                    self._skip(line, f"unreadable CSV row: {exc}")
                    self.lines_read = line
                    continue
                number = line + 1
                line = reader.line_num
                self.lines_read = line
                self.bytes_read = stream.tell() if stream.seekable() else self.bytes_read
                if None in row:
                    self._skip(number, "more fields than the header")
                    continue
                # Empty CSV cells mean "not given", as a missing JSON key does.
                cleaned = {k: v for k, v in row.items() if k is not None and v not in ("", None)}
                try:
                    yield parse_record(cleaned, number)
                except _BadRecord as exc:
                    self._skip(number, str(exc))
        finally:
            # The caller owns the byte stream (stdin must stay open): let go of it.
            text.detach()


def _first(row: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = row.get(name)
        if value is not None:
            return value
    return None


def _first_of(row: Mapping[str, Any], usage: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    value = _first(row, names)
    return _first(usage, names) if value is None else value


def _query_of(row: Mapping[str, Any]) -> str:
    value = _first(row, _QUERY)
    if value is None and isinstance(row.get("messages"), list):
        # Chat logs: the question is the last user turn.
        for message in reversed(row["messages"]):
            if isinstance(message, Mapping) and message.get("role") == "user":
                value = message.get("content")
                break
    if value is None:
        raise _BadRecord("missing query")
    if not isinstance(value, str):
        raise _BadRecord(f"query is not a string: {type(value).__name__}")
    if not value.strip():
        raise _BadRecord("empty query")
    return _unicode(value, "query")


def _unicode(value: str, name: str) -> str:
    """``value`` if it is valid Unicode; a lone surrogate (from a JSON escape) is not."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _BadRecord(f"{name} holds a lone surrogate, not valid Unicode") from None
    return value


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _BadRecord(f"{name} is not a number: {value[:20]!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadRecord(f"{name} is not a number: {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise _BadRecord(f"{name} is not a non-negative integer: {value!r}")
    return int(value)


def _money(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _BadRecord(f"cost is not a number: {value[:20]!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadRecord(f"cost is not a number: {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise _BadRecord(f"cost is not a non-negative number: {value!r}")
    return float(value)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                raise _BadRecord(f"timestamp is not ISO 8601: {value[:30]!r}") from None
            # Naive times are taken as UTC: logs rarely say, and UTC is the usual default.
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _BadRecord(f"timestamp is not a time: {value!r}")
    seconds = value / 1000 if value > _EPOCH_MS_ABOVE else value
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise _BadRecord(f"timestamp out of range: {value!r}") from None


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return _unicode(str(value), name)
    raise _BadRecord(f"{name} is not a string: {type(value).__name__}")


def _context(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _unicode(value, "context") if value.strip() else None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        joined = "\n\n".join(v for v in value if v.strip())
        return _unicode(joined, "context") if joined else None
    raise _BadRecord(f"context is not text: {type(value).__name__}")


def parse_record(row: Mapping[str, Any], line: int) -> LogRecord:
    """Build a ``LogRecord`` from one raw row; raises ``_BadRecord`` with a reason."""
    raw_usage = row.get("usage")
    usage: Mapping[str, Any] = raw_usage if isinstance(raw_usage, Mapping) else {}
    return LogRecord(
        line=line,
        query=_query_of(row),
        ts=_time(_first(row, _TS)),
        model=_text(_first(row, _MODEL), "model"),
        input_tokens=_count(_first_of(row, usage, _IN_TOKENS), "input_tokens"),
        output_tokens=_count(_first_of(row, usage, _OUT_TOKENS), "output_tokens"),
        cost_usd=_money(_first(row, _COST)),
        user=_text(_first(row, _USER), "user"),
        feature=_text(_first(row, _FEATURE), "feature"),
        context=_context(_first(row, _CONTEXT)),
    )
