"""``pipeline.load.read_ahead``: the next item is taken on another thread while the caller
works on this one, and nothing else changes: the order, an exception at its place, and an
early stop that leaves no thread behind."""

from __future__ import annotations

import threading

import pytest

from pipeline.load import read_ahead


def test_items_arrive_in_order_each_taken_on_another_thread():
    taken_on = []

    def items():
        for k in range(5):
            taken_on.append(threading.current_thread().name)
            yield k

    assert list(read_ahead(items())) == [0, 1, 2, 3, 4]
    assert taken_on and all(name.startswith("read-ahead") for name in taken_on)


def test_an_exception_arrives_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("the third")

    ahead = read_ahead(items())
    assert [next(ahead), next(ahead)] == [1, 2]
    with pytest.raises(ValueError, match="the third"):
        next(ahead)


def test_one_item_is_taken_ahead_and_no_more():
    taken = []

    def items():
        for k in range(10):
            taken.append(k)
            yield k

    ahead = read_ahead(items())
    assert next(ahead) == 0
    for _ in range(200):  # the worker takes the next item while this one is worked on
        if len(taken) == 2:
            break
        threading.Event().wait(0.05)
    threading.Event().wait(0.2)  # and then no further
    assert taken == [0, 1]
    ahead.close()  # stopping early: the worker finishes the item it was taking, then ends
    assert not any(t.name.startswith("read-ahead") and t.is_alive() for t in threading.enumerate())
