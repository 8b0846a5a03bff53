"""Table Schema ``pattern`` constraints, matched in linear time.

A pattern arrives in a pull request, so it is hostile input: with Python's backtracking
``re``, ``(?!z)(a+)+b`` against a 41-character cell ran for minutes. Patterns are
therefore matched by RE2, whose running time is linear in the length of the text (times
the size of the compiled pattern, which is capped here).

The meaning stays Python's, which is what frictionless and most publishers assume: the
pattern is parsed by Python's own parser and the parse tree is written out again in RE2
syntax, so Python's rules decide what ``{,3}``, ``\\u4e00``, ``\\Z``, ``(?x)`` or ``[]a]``
mean (RE2 reads several of them differently or not at all). Two deliberate differences,
listed in ``divergences.py``:

* the whole value must match, ``^(?:p)$`` with ``$`` at the very end (frictionless wraps
  the pattern as ``^p$`` without a group, so ``a|b`` accepts ``apple``);
* ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII, as with Python's ``re.ASCII`` (a full-width
  ``１`` typed through an input method is not a digit of a code). Case-insensitive
  matching still folds every script.

What only a backtracking engine can run — look-ahead and look-behind, back references,
conditional groups, atomic groups and possessive repeats — is refused with a finding
naming the field and the pattern, never handed to a backtracking engine; so is a pattern
whose compiled program exceeds ``MAX_PROGRAM`` instructions (RE2 itself refuses repeat
counts above 1000). Two corners keep RE2's reading: a ``$`` in the middle of a pattern
means "at the end", while Python also lets it match before a final newline (only a pattern
such as ``a$\\n`` shows it), and ``\\B`` matches in an empty value, as in Python 3.14
(earlier versions never match ``\\B`` in an empty string; a blank cell is a missing value
anyway unless ``missingValues`` says otherwise).
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import re2

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - older layouts
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

# RE2 compiles a pattern into a program of instructions and runs it over the text; the
# time per character is bounded by the program's size. A code or name pattern compiles
# to tens of instructions; this cap still allows a {1,100} repeat of a class inside a
# {1,10} one while keeping a column of a million cells to seconds.
MAX_PROGRAM = 2000

# constructs only a backtracking engine can run: parse-tree opcode → i18n key suffix
_REFUSED = {
    C.ASSERT: "lookaround", C.ASSERT_NOT: "lookaround", C.GROUPREF: "backreference",
    C.GROUPREF_EXISTS: "conditional", C.ATOMIC_GROUP: "atomic",
    C.POSSESSIVE_REPEAT: "possessive",
}
_CATEGORY = {  # inside a bracket: the ASCII classes of Python's re.ASCII, as POSIX classes
    C.CATEGORY_DIGIT: "[:digit:]", C.CATEGORY_NOT_DIGIT: "[:^digit:]",
    C.CATEGORY_SPACE: "[:space:]", C.CATEGORY_NOT_SPACE: "[:^space:]",
    C.CATEGORY_WORD: "[:word:]", C.CATEGORY_NOT_WORD: "[:^word:]",
}
_IGNORECASE, _MULTILINE, _DOTALL = C.SRE_FLAG_IGNORECASE, C.SRE_FLAG_MULTILINE, C.SRE_FLAG_DOTALL

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the finding says what is wrong; no noise on stderr


class PatternRefused(Exception):
    """The pattern is not run. ``reason``: "invalid" (not a regular expression at all),
    "lookaround", "backreference", "conditional", "atomic", "possessive" or "size"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Pattern:
    source: str  # as written in the schema
    program: str  # the RE2 expression for a whole-value match
    size: int  # RE2 program size (instructions)

    def matches(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Whether each value matches as a whole (null: False), as a numpy bool array."""
        try:
            found = pc.match_substring_regex(values, self.program)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # Arrow bundles its own RE2; should it refuse what this one accepted, run the
            # same program with this one, once per distinct value (still linear time).
            return _matches_one_by_one(self, values)
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _matches_one_by_one(pattern: Pattern, values) -> np.ndarray:
    compiled = re2.compile(pattern.program, _OPTIONS)
    distinct = pc.unique(values)
    hits = np.array([v is not None and compiled.search(v) is not None for v in distinct.to_pylist()]
                    + [False], dtype=bool)
    index = pc.fill_null(pc.index_in(values, value_set=distinct), len(distinct))
    return hits[index.to_numpy(zero_copy_only=False)]


@functools.lru_cache(maxsize=256)
def compile_pattern(source: str) -> Pattern:
    """The RE2 program for ``source``; raises :class:`PatternRefused`."""
    if not isinstance(source, str):
        raise PatternRefused("invalid", "not a string")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" and the like
            tree = sre_parse.parse(source)
    except (re.error, RecursionError, OverflowError) as error:
        raise PatternRefused("invalid", str(error)) from None
    try:
        body = _emit(tree, tree.state.flags)
    except RecursionError:
        raise PatternRefused("size", "nested too deeply") from None
    program = f"\\A(?:{body})\\z"
    try:
        compiled = re2.compile(program, _OPTIONS)
    except re2.error as error:
        detail = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) \
            else str(error)
        raise PatternRefused("size", detail) from None
    if compiled.programsize > MAX_PROGRAM:
        raise PatternRefused("size", f"{compiled.programsize} > {MAX_PROGRAM}")
    return Pattern(source, program, compiled.programsize)


def _char(code: int) -> str:
    if code < 128 and (chr(code).isalnum() or chr(code) == "_"):
        return chr(code)
    return f"\\x{{{code:x}}}"


def _emit(items, flags: int) -> str:
    """RE2 text for a sequence of parse-tree items under the effective ``flags``."""
    return "".join(_emit_item(op, av, flags) for op, av in items)


def _fold(text: str, flags: int) -> str:
    return f"(?i:{text})" if flags & _IGNORECASE else text


def _emit_item(op, av, flags: int) -> str:
    if op in _REFUSED:
        raise PatternRefused(_REFUSED[op])
    if op is C.LITERAL:
        return _fold(_char(av), flags)
    if op is C.NOT_LITERAL:
        return _fold(f"[^{_char(av)}]", flags)
    if op is C.ANY:
        return "(?s:.)" if flags & _DOTALL else "[^\\n]"
    if op is C.IN:
        return _fold(_bracket(av), flags)
    if op is C.BRANCH:
        return "(?:" + "|".join(_emit(alt, flags) for alt in av[1]) + ")"
    if op is C.SUBPATTERN:
        _group, add, remove, sub = av
        return "(?:" + _emit(sub, (flags | add) & ~remove) + ")"
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, high, sub = av
        atom = "(?:" + _emit(sub, flags) + ")"
        if high == C.MAXREPEAT:
            quantifier = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
        elif (low, high) == (0, 1):
            quantifier = "?"
        elif low == high:
            quantifier = f"{{{low}}}"
        else:
            quantifier = f"{{{low},{high}}}"
        return atom + quantifier + ("?" if op is C.MIN_REPEAT else "")
    if op is C.AT:
        if av is C.AT_BEGINNING:
            return "(?m:^)" if flags & _MULTILINE else "\\A"
        if av is C.AT_END:
            return "(?m:$)" if flags & _MULTILINE else "\\z"
        if av is C.AT_BEGINNING_STRING:
            return "\\A"
        if av is C.AT_END_STRING:
            return "\\z"
        if av is C.AT_BOUNDARY:
            return "\\b"
        if av is C.AT_NON_BOUNDARY:
            return "\\B"
    raise PatternRefused("invalid", f"unsupported element {op}")  # pragma: no cover


def _bracket(items) -> str:
    negate = False
    parts = []
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            parts.append(_char(av))
        elif op is C.RANGE:
            parts.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is C.CATEGORY:
            parts.append(_CATEGORY[av])
        else:  # pragma: no cover - the parser emits nothing else inside brackets
            raise PatternRefused("invalid", f"unsupported set element {op}")
    return "[" + ("^" if negate else "") + "".join(parts) + "]"
