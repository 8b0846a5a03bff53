"""Work done by a forked copy of this process while this one goes on.

The national lookup index is a minute of one core and 400,000 files, made from tables this
process already holds. A forked child has them without copying (its pages are shared until
written) and makes the index on the second core while this process writes the other pages.
A process started afresh would first have to load and derive the data again.

The child reports a failure as the exception itself, pickled through a pipe, so the parent
raises the same error (a full disk is still ``OSError`` with its errno and file name).
Where there is no ``fork`` (not Linux) the work runs in this process, before ``apart``
returns.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable

CAN_FORK = sys.platform == "linux" and hasattr(os, "fork")


class ApartFailed(RuntimeError):
    """The child ended without its work done and without an exception to raise: killed
    (``signal``, the signal's name: SIGKILL from the out-of-memory killer), ended with an exit
    ``code``, or with an error that could not be rebuilt here (``detail``, its text)."""

    def __init__(self, *, signal: str | None = None, code: int | None = None,
                 detail: str | None = None) -> None:
        super().__init__(signal or detail or f"exit {code}")
        self.signal, self.code, self.detail = signal, code, detail

    def __reduce__(self):  # keyword-only: pickled by its fields, not by args
        return _rebuilt, (self.signal, self.code, self.detail)


def _rebuilt(signal, code, detail) -> ApartFailed:
    return ApartFailed(signal=signal, code=code, detail=detail)


class Apart:
    """``work()`` running in a forked child: :meth:`wait` for it, :meth:`stop` to end it."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.pid: int | None = None
        if not CAN_FORK:
            work()
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            os.close(read)
            _child(work, write)
        os.close(write)
        self.pid, self._pipe = pid, os.fdopen(read, "rb")

    def wait(self) -> None:
        """Wait for the child; raise what it raised."""
        if self.pid is None:
            return
        payload = self._pipe.read()  # until the child's end closes (its exit)
        self._pipe.close()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if payload:
            try:
                error = pickle.loads(payload)  # from our own child
            except Exception:  # noqa: BLE001 - an exception that cannot be rebuilt here
                error = _how(status)
            raise error
        if status:
            raise _how(status)

    def stop(self) -> None:
        """End the child now, if it still runs (the caller failed or was interrupted)."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self._pipe.close()  # once only, even if a wait was interrupted while reading
        self.pid = None


def _how(status: int) -> ApartFailed:
    if os.WIFSIGNALED(status):
        return ApartFailed(signal=signal.Signals(os.WTERMSIG(status)).name)
    return ApartFailed(code=os.waitstatus_to_exitcode(status))


def _child(work: Callable[[], object], write: int) -> None:
    code = 1
    try:
        # The parent handles Ctrl-C and SIGTERM (it stops this child); here they just end it.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        work()
        code = 0
    except BaseException as error:  # noqa: BLE001 - every failure goes to the parent
        try:
            payload = pickle.dumps(error)
        except Exception:  # noqa: BLE001 - an error that cannot be pickled: its text
            payload = pickle.dumps(ApartFailed(detail=f"{type(error).__name__}: {error}"))
        view = memoryview(payload)
        while view:
            view = view[os.write(write, view):]
    finally:
        os._exit(code)  # no exit handlers, no buffers flushed: they are the parent's
