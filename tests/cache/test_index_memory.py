"""Per-entry columns: compact dtypes, and large columns on pages of their own."""

from __future__ import annotations

import mmap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semroute.cache.table import IntMap, SlotTable, column, grown


def test_small_columns_are_plain_arrays_and_large_ones_own_their_pages() -> None:
    small = column(100, np.int64, -1)
    assert small.base is None and (small == -1).all()
    large = column(1 << 18, np.int64, -1)  # 2 MiB
    assert isinstance(large.base, memoryview) and isinstance(large.base.obj, mmap.mmap)
    assert large.flags.writeable and large.flags.c_contiguous and (large == -1).all()
    large[5] = 7
    assert large[5] == 7


def test_grown_keeps_the_prefix_and_fills_the_rest() -> None:
    old = column(1 << 17, np.float64, 0.5)
    old[:3] = (1.0, 2.0, 3.0)
    new = grown(old, 1 << 18, -1.0)
    assert new.dtype == np.float64 and new.shape == (1 << 18,)
    assert new[:3].tolist() == [1.0, 2.0, 3.0] and (new[3 : 1 << 17] == 0.5).all()
    assert (new[1 << 17 :] == -1.0).all()


def test_slot_table_keeps_every_column_through_growth() -> None:
    table = SlotTable(4)
    slots = []
    for i in range(300_000):  # past the size where columns are mapped
        slot = table.alloc()
        table.alive[slot] = 1
        table.is_json[slot] = i % 2 == 0
        table.labels[slot] = i
        table.ids[slot] = 10**17 + i
        slots.append(slot)
    assert table.capacity >= 300_000
    assert table.is_json.dtype == np.uint8 and table.labels.dtype == np.int32
    assert table.alive[:300_000].all() and np.isinf(table.expires[:300_000]).all()
    assert table.labels[299_999] == 299_999 and table.ids[7] == 10**17 + 7
    assert bool(table.is_json[0]) and not bool(table.is_json[1])
    table.free(slots[3])
    assert table.alloc() == slots[3]


ops = st.lists(
    st.tuples(
        st.sampled_from(["set", "del", "get"]),
        # Few distinct keys, so sets, deletes and lookups meet; extremes of int64 included.
        st.sampled_from([0, 1, -1, 17, 33, 2**63 - 1, -(2**63), 2**40, 2**40 + 16, 5 << 58]),
        st.integers(0, 2**31 - 2),
    ),
    max_size=200,
)


@given(ops)
@settings(max_examples=300, deadline=None)
def test_int_map_agrees_with_a_dict(script: list[tuple[str, int, int]]) -> None:
    fast, ref = IntMap(), {}
    for op, key, slot in script:
        if op == "set":
            fast[key] = slot
            ref[key] = slot
        elif op == "del":
            if key in ref:
                del fast[key], ref[key]
            else:
                with pytest.raises(KeyError):
                    del fast[key]
        assert fast.get(key, -1) == ref.get(key, -1)
        assert (key in fast) == (key in ref)
    assert len(fast) == len(ref)
    assert sorted(fast.items()) == sorted(ref.items())
    assert sorted(fast.values()) == sorted(ref.values())


def test_int_map_through_growth_and_deletes_of_colliding_keys() -> None:
    rng = np.random.default_rng(0)
    keys = rng.integers(-(2**63), 2**63 - 1, 20_000, dtype=np.int64).tolist()
    keys += [i << 48 for i in range(2000)]  # same low bits: the hash must spread them
    fast, ref = IntMap(), {}
    for i, key in enumerate(keys):
        fast[key] = i
        ref[key] = i
        if i % 3 == 0:
            gone = keys[i // 2]
            if gone in ref:
                del fast[gone], ref[gone]
    assert len(fast) == len(ref)
    assert all(fast[key] == slot for key, slot in ref.items())
    assert all(key not in fast for key in keys if key not in ref)
    assert fast.get(12345) is None
    with pytest.raises(KeyError):
        fast[12345]
    fast.clear()
    assert len(fast) == 0 and keys[0] not in fast
