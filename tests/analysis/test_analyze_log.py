"""Reading call logs: formats, aliases, stdin, and malformed lines that never stop the stream."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from semroute.analysis.log import LogReader
from semroute.errors import ConfigError, InputTypeError


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_fields_and_types(tmp_path: Path) -> None:
    line = {
        "ts": "2026-11-02T10:00:00Z",
        "query": "How do I reset my password?",
        "model": "gpt-4o",
        "input_tokens": 320,
        "output_tokens": 90,
        "cost_usd": 0.0017,
        "user": "u1",
        "feature": "support",
        "context": ["Para one.", "Para two."],
    }
    reader = LogReader(write(tmp_path, "log.jsonl", json.dumps(line) + "\n"))
    (record,) = list(reader)
    assert record.line == 1
    assert record.query == "How do I reset my password?"
    assert record.ts == datetime(2026, 11, 2, 10, tzinfo=timezone.utc)
    assert (record.input_tokens, record.output_tokens, record.cost_usd) == (320, 90, 0.0017)
    assert (record.model, record.user, record.feature) == ("gpt-4o", "u1", "support")
    assert record.context == "Para one.\n\nPara two."
    assert reader.malformed_count == 0
    assert reader.bytes_read == reader.bytes_total


def test_aliases_chat_messages_usage_and_epoch_times() -> None:
    rows = [
        {"prompt": "a", "timestamp": 1_700_000_000, "prompt_tokens": 5, "cost": "0.5"},
        {"input": "b", "created_at": 1_700_000_000_000, "usage": {"completion_tokens": 7}},
        {"messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "c"}]},
        {"question": "d", "tag": "faq", "user_id": 42},
    ]
    records = list(LogReader(rows))
    assert [r.query for r in records] == ["a", "b", "c", "d"]
    assert records[0].ts == records[1].ts == datetime.fromtimestamp(1_700_000_000, timezone.utc)
    assert records[0].input_tokens == 5 and records[0].cost_usd == 0.5
    assert records[1].output_tokens == 7
    assert records[3].feature == "faq" and records[3].user == "42"


def test_malformed_lines_are_counted_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        '{"query": "fine"}',
        "{not json",
        "[1, 2]",
        '{"prompt_text": "no query field"}',
        '{"query": 17}',
        '{"query": "   "}',
        '{"query": "x", "input_tokens": -3}',
        '{"query": "x", "input_tokens": "many"}',
        '{"query": "x", "cost_usd": true}',
        '{"query": "x", "ts": "last tuesday"}',
        "",
        '{"query": "also fine", "input_tokens": 12.0}',
    ]
    data = ("\n".join(lines) + "\n").encode() + b'{"query": "\xff\xfe"}\n'
    reader = LogReader(write(tmp_path, "log.jsonl", data))
    records = list(reader)
    assert [r.query for r in records] == ["fine", "also fine"]
    assert records[1].input_tokens == 12
    assert reader.malformed_count == 10
    assert [m.line for m in reader.malformed] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 13]
    reasons = [m.reason for m in reader.malformed]
    assert reasons[0] == "invalid JSON"
    assert reasons[1] == "not a JSON object: list"
    assert reasons[2] == "missing query"
    assert reasons[3] == "query is not a string: int"
    assert reasons[4] == "empty query"
    assert "input_tokens" in reasons[5] and "input_tokens" in reasons[6]
    assert "cost" in reasons[7]
    assert "timestamp" in reasons[8]
    assert reasons[9] == "not UTF-8"


def test_only_the_first_samples_are_kept_but_all_are_counted() -> None:
    reader = LogReader([{"nope": i} for i in range(50)], max_samples=5)
    assert list(reader) == []
    assert reader.malformed_count == 50
    assert [m.line for m in reader.malformed] == [1, 2, 3, 4, 5]


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    reader = LogReader(write(tmp_path, "empty.jsonl", ""))
    assert list(reader) == []
    assert reader.malformed_count == 0


def test_csv_with_header_quoting_and_empty_cells(tmp_path: Path) -> None:
    text = (
        "ts,query,model,input_tokens,cost_usd,feature\n"
        '2026-11-02T10:00:00,"Hello, is this thing on?",gpt-4o,12,0.001,faq\n'
        ",plain question,,,,\n"
        '2026-11-02T11:00:00,"multi\nline question",gpt-4o,x,,faq\n'
        ",,gpt-4o,3,,\n"
        "2026-11-02T12:00:00,too,many,1,2,3,4\n"
    )
    reader = LogReader(write(tmp_path, "log.csv", text))
    records = list(reader)
    assert [r.query for r in records] == ["Hello, is this thing on?", "plain question"]
    assert records[0].ts == datetime(2026, 11, 2, 10, tzinfo=timezone.utc)  # naive is UTC
    assert records[0].input_tokens == 12 and records[0].feature == "faq"
    assert records[1].model is None and records[1].cost_usd is None
    assert [m.line for m in reader.malformed] == [4, 6, 7]
    assert "input_tokens" in reader.malformed[0].reason
    assert reader.malformed[1].reason == "missing query"
    assert reader.malformed[2].reason == "more fields than the header"


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (b'{"query": "one"}\n{"query": "two"}\n', "jsonl"),
        (b"query,user\none,u1\ntwo,u2\n", "csv"),
    ],
)
def test_stdin_is_sniffed(payload: bytes, kind: str) -> None:
    reader = LogReader("-", stdin=io.BytesIO(payload))
    assert [r.query for r in reader] == ["one", "two"], kind
    assert reader.label == "<stdin>"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        LogReader(tmp_path / "nope.jsonl")


def test_a_leading_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    jsonl = LogReader(write(tmp_path, "bom.jsonl", bom + b'{"query": "one"}\n'))
    csv_ = LogReader(write(tmp_path, "bom.csv", bom + b"query,user\ntwo,u1\n"))
    assert [r.query for r in jsonl] == ["one"]
    assert [r.query for r in csv_] == ["two"]
    assert jsonl.malformed_count == csv_.malformed_count == 0


@pytest.mark.parametrize("source", [42, b"bytes", {"query": "a dict is one record, not a log"}])
def test_a_source_that_is_no_log_is_a_type_error(source: object) -> None:
    with pytest.raises(InputTypeError):
        LogReader(source)  # type: ignore[arg-type]


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_a_deeply_nested_json_line_is_a_counted_malformed_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"query": "first question"}),
        '{"query": "nested", "extra": ' + _deep(100_000) + "}",
        _deep(5_000),
        json.dumps({"query": "last question"}),
    ]
    reader = LogReader(write(tmp_path, "log.jsonl", "\n".join(lines) + "\n"))
    assert [r.query for r in reader] == ["first question", "last question"]
    assert reader.malformed_count == 2
    assert [m.line for m in reader.malformed] == [2, 3]


def test_a_csv_field_over_the_csv_module_limit_is_a_counted_malformed_line(
    tmp_path: Path,
) -> None:
    huge = "x" * 200_000  # csv's default field limit is 131,072 characters
    text = f'query,model\nfirst question,m\n"{huge}",m\n{huge},m\nlast question,m\n'
    reader = LogReader(write(tmp_path, "log.csv", text))
    assert [r.query for r in reader] == ["first question", "last question"]
    assert reader.malformed_count == 2
    assert [m.line for m in reader.malformed] == [3, 4]


def test_a_lone_surrogate_is_a_counted_malformed_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"query": "first question"}),
        '{"query": "broken \\ud800 text"}',  # valid JSON escape, not valid Unicode
        '{"query": "fine", "user": "\\udfff"}',
        json.dumps({"query": "last question"}),
    ]
    reader = LogReader(write(tmp_path, "log.jsonl", "\n".join(lines) + "\n"))
    assert [r.query for r in reader] == ["first question", "last question"]
    assert reader.malformed_count == 2
    records = LogReader(
        [{"query": "ok"}, {"query": "bad \ud800"}, {"prompt": "x", "context": ["\udc00"]}]
    )
    assert [r.query for r in records] == ["ok"]
    assert records.malformed_count == 2
