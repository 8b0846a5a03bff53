"""Run a command that never uses pandas without importing it.

pyarrow imports pandas (0.2–0.6 s, more than the rest of validating a small package) the
first time ``pyarrow.array`` converts a list or a numpy array, only to ask whether the input
is a pandas object; its C++ converter asks again on every list. No pandas object can exist
in a process that never imported pandas, so for such a process the answer is known:
:func:`refuse_pandas` makes ``import pandas`` fail from then on, and pyarrow takes that
as "not installed". Only for a process that is such a command and nothing else (``python -m
pipeline validate``, not a test calling its function): the refusal lasts as long as the
process. A part of the command that used pandas would fail with ``ModuleNotFoundError``,
which the tests that run the command in a subprocess would show.
"""

from __future__ import annotations

import sys


class _RefusePandas:
    """A finder on ``sys.meta_path`` (any object with ``find_spec``)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("this command does not use pandas", name=name)


def refuse_pandas() -> None:
    """From now on ``import pandas`` fails (unless it was imported already)."""
    if "pandas" in sys.modules or any(isinstance(f, _RefusePandas) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _RefusePandas())
