"""Sorting on several threads: the same order as NumPy's own sort, and the same distinct
values as ``np.unique``, whatever the length, the slices and the duplicates."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline import sorting

keys = arrays(np.int64, st.integers(0, 300),
              elements=st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 3))


@settings(max_examples=300, deadline=None)
@given(values=keys, workers=st.integers(1, 5))
def test_sort_in_place_gives_numpys_order(values, workers):
    expected = np.sort(values)
    with pytest.MonkeyPatch.context() as patch:  # slices from the first value on
        patch.setattr(sorting, "PARALLEL_FROM", 0)
        sorting.sort_in_place(values, workers)
    assert values.tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(values=keys)
def test_distinct_of_sorted_is_numpys_unique(values):
    assert sorting.distinct(np.sort(values)).tolist() == np.unique(values).tolist()


def test_long_arrays_are_sorted_by_several_threads(monkeypatch):
    """Above PARALLEL_FROM each slice is sorted on a thread of its own, not the caller's."""
    used = set()
    sort = sorting.ThreadPoolExecutor

    class Watched(sort):
        def submit(self, fn, *args, **kwargs):
            def watched(*a, **k):
                used.add(threading.get_ident())
                return fn(*a, **k)
            return super().submit(watched, *args, **kwargs)

    monkeypatch.setattr(sorting, "ThreadPoolExecutor", Watched)
    values = np.random.default_rng(7).integers(0, 2**40, sorting.PARALLEL_FROM + 11)
    expected = np.sort(values)
    sorting.sort_in_place(values, 2)
    assert values.tolist() == expected.tolist()
    assert used and threading.get_ident() not in used


def test_short_arrays_and_one_core_sort_on_the_callers_thread(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no thread for this sort")

    monkeypatch.setattr(sorting, "ThreadPoolExecutor", refuse)
    short = np.array([3, 1, 2, 1])
    sorting.sort_in_place(short, 2)
    assert short.tolist() == [1, 1, 2, 3]
    long = np.arange(sorting.PARALLEL_FROM + 3)[::-1].copy()
    sorting.sort_in_place(long, 1)
    assert (np.diff(long) == 1).all()
