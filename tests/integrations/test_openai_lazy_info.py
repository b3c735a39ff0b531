"""Without observers the wrapper builds a call's CallInfo only when call_info() reads it.

The record read later must be the one an observer would have received at the time.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

openai = pytest.importorskip("openai")

import semroute  # noqa: E402
from semroute import SemanticCache  # noqa: E402
from semroute.chat.info import CallInfo  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402
from tests.openai_fakes import FakeAPI  # noqa: E402

MSGS = [
    {"role": "system", "content": "You are the support bot of ACME."},
    {"role": "user", "content": "What is your refund policy?"},
]


class Rec:
    def __init__(self) -> None:
        self.infos: list[CallInfo] = []

    def on_call(self, info: CallInfo) -> None:
        self.infos.append(info)


def _comparable(info: CallInfo) -> dict[str, Any]:
    moving = {"start_ns", "end_ns", "response_id", "similarity"}
    return {k: v for k, v in dataclasses.asdict(info).items() if k not in moving}


@pytest.mark.parametrize("stream", [False, True])
def test_a_record_read_later_is_the_one_an_observer_gets(stream: bool) -> None:
    rec = Rec()
    observed = semroute.wrap(
        FakeAPI().client(), cache=SemanticCache(encoder=FakeEncoder()), observers=[rec]
    )
    silent = semroute.wrap(FakeAPI().client(), cache=SemanticCache(encoder=FakeEncoder()))
    outcomes = []
    for _ in range(2):  # a miss, then a hit
        answers = []
        for client in (observed, silent):
            r = client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, stream=stream)
            if stream:
                for _chunk in r:
                    pass
            answers.append(r)
        time.sleep(0.05)  # the record's end time is the call's, not the time it is read
        info = semroute.call_info(answers[1])
        assert info is not None
        assert _comparable(info) == _comparable(rec.infos[-1])
        assert info.latency_s < 0.05
        assert semroute.call_info(answers[1]) is info  # built once, then kept
        outcomes.append(info.outcome)
    assert outcomes == ["miss", "exact"]


class _Message(dict):  # type: ignore[type-arg]
    """A message dict that can be weakly referenced (a plain dict cannot)."""


def test_a_record_not_yet_read_does_not_keep_the_request_alive() -> None:
    import gc
    import weakref

    client = semroute.wrap(FakeAPI().client(), cache=SemanticCache(encoder=FakeEncoder()))
    kept = []
    for _ in range(2):  # a miss, then a hit
        question = _Message(role="user", content="What is your refund policy?")
        watch = weakref.ref(question)
        kept.append(client.chat.completions.create(model="gpt-4o-mini", messages=[question]))
        del question
        gc.collect()
        assert watch() is None  # the response lives on; its request's messages do not
    info = semroute.call_info(kept[1])
    assert info is not None and info.outcome == "exact"
