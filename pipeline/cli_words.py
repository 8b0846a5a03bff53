"""argparse's own words (``usage:``, ``options``, its error messages) in the language of the
command line's ``--lang``.

argparse looks each word up when it uses it, through its module's ``_`` and ``ngettext``
(gettext's). Pointing those at a table while the command line is parsed translates them
without .mo files or a ``LANGUAGE`` variable, which would follow the machine, not
``--lang``. A word the table lacks stays English.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

from pipeline.i18n import BOTH, LANGS, messages

# argparse's msgids (its English words, exactly as in its source) and their Chinese, under
# the Python version that brought them; a test holds the table to the running argparse.
TABLE = Path(__file__).parent / "i18n" / "argparse.zh.json"


@cache
def chinese() -> dict[str, str]:
    """Every msgid of the table, of whichever version, and its Chinese."""
    sections = json.loads(TABLE.read_text(encoding="utf-8"))
    return {msgid: zh for words in sections.values() for msgid, zh in words.items()}


def word(msgid: str | None, lang: str) -> str | None:
    """argparse's ``msgid`` in ``lang``. ``both`` is for the help (an error is said in each
    language by :func:`parse`): the Chinese word, then the English one, whose colon ends
    the pair (``用法 / usage:``). A template stays English there: what it wraps is already
    said in both."""
    zh = chinese().get(msgid)  # None too for _(None), which add_subparsers asks for
    if zh is None or lang == "en":
        return msgid
    if lang == BOTH:
        return msgid if "%" in msgid else f"{zh.removesuffix('：')} / {msgid}"
    return zh


@contextlib.contextmanager
def words(lang: str):
    """argparse says its words in ``lang`` (``zh``, ``en`` or ``both``) while the block runs."""
    saved = argparse._, argparse.ngettext
    argparse._ = lambda msgid: word(msgid, lang)
    argparse.ngettext = lambda singular, plural, n: word(singular if n == 1 else plural, lang)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class Refused(Exception):
    """A usage error, raised where argparse would print it and exit."""

    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser = parser


class Parser(argparse.ArgumentParser):
    """A parser whose usage errors are raised (:class:`Refused`) for :func:`parse` to say in
    each language; its sub-parsers are of this class too (``add_subparsers`` takes the
    class of its parser)."""

    def error(self, message: str):
        raise Refused(self, message)


def parse(make: Callable[[str], argparse.ArgumentParser], argv: list[str] | None,
          lang: str) -> argparse.Namespace:
    """The arguments ``argv`` as the parser ``make(lang)`` reads them, argparse's words in
    ``lang``. A usage error prints the usage of the (sub-)command that refused, then the
    error in each language asked for, and exits with 2, as argparse does."""
    with words(lang):
        parser = make(lang)  # argparse names the option groups and -h as it makes a parser
        try:
            return parser.parse_args(argv)
        except Refused as refusal:
            usage = refusal.parser.format_usage()
    said = []
    # Parsed again in each language: an error is templates inside templates ("argument
    # --tier: invalid choice: …"), and a type's own message (a bad date) follows messages().
    for one in LANGS if lang == BOTH else (lang,):
        with messages(one), words(one):
            try:
                parser.parse_args(argv)
            except Refused as refusal:
                said.append(argparse._("%(prog)s: error: %(message)s\n")
                            % {"prog": refusal.parser.prog, "message": refusal})
    sys.stderr.write(usage + "".join(said))
    raise SystemExit(2)
