"""Work apart in a forked process: it runs in another process, its failure is raised in the
parent as the same exception, and it can be stopped; without fork it runs in place."""

import errno
import os
import time

import pytest

from pipeline import forked
from pipeline.forked import Apart, ApartFailed

pytestmark = pytest.mark.skipif(not forked.CAN_FORK, reason="fork is Linux's here")


def test_the_work_runs_in_another_process(tmp_path):
    mark = tmp_path / "pid"
    job = Apart(lambda: mark.write_text(str(os.getpid())))
    job.wait()
    assert int(mark.read_text()) not in (os.getpid(), 0)
    job.wait()  # a second wait (and a stop) after the end does nothing
    job.stop()


def test_its_failure_is_raised_in_the_parent_as_the_same_exception(tmp_path):
    target = tmp_path / "full" / "r" / "0.json"

    def fill():
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    job = Apart(fill)
    with pytest.raises(OSError) as raised:
        job.wait()
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(target)


def test_an_error_that_cannot_be_pickled_still_says_what_it_was():
    class Local(Exception):  # defined in a function: pickle cannot find it by name
        pass

    def fail():
        raise Local("the shard could not be made")

    with pytest.raises(ApartFailed) as raised:
        Apart(fail).wait()
    assert raised.value.detail == "Local: the shard could not be made"


def test_a_child_that_dies_without_a_word_is_a_failure():
    with pytest.raises(ApartFailed) as raised:
        Apart(lambda: os.kill(os.getpid(), 9)).wait()
    assert raised.value.signal == "SIGKILL"
    with pytest.raises(ApartFailed) as raised:
        Apart(lambda: os._exit(3)).wait()
    assert raised.value.code == 3 and raised.value.signal is None


def test_stop_ends_a_child_that_still_runs(tmp_path):
    mark = tmp_path / "late"

    def slow():
        time.sleep(30)
        mark.write_text("written")

    started = time.monotonic()
    job = Apart(slow)
    pid = job.pid
    job.stop()
    assert time.monotonic() - started < 20
    with pytest.raises(ChildProcessError):  # reaped: no such child any more
        os.waitpid(pid, 0)
    assert not mark.exists()


def test_without_fork_the_work_runs_in_place(monkeypatch, tmp_path):
    monkeypatch.setattr(forked, "CAN_FORK", False)
    mark = tmp_path / "pid"
    job = Apart(lambda: mark.write_text(str(os.getpid())))
    assert int(mark.read_text()) == os.getpid()  # done before Apart returned
    job.wait()
    job.stop()
