"""``python -m pipeline validate``: load, validate, print the report, return the exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline.i18n import BOTH, DEFAULT_LANG, LANGS, message_lang, t
from pipeline.limits import DEFAULT_MAX_BYTES
from pipeline.validate import DEFAULT_MAX_ERRORS
from pipeline.validate.report import RENDERERS

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
# Files larger than this are checked batch by batch (pipeline.validate.batched): the command
# needs no typed table afterwards, so its memory grows with the key columns only.
STREAM_ABOVE = 32 << 20


def add_arguments(parser: argparse.ArgumentParser, *, lang: str = BOTH) -> None:
    """The options of ``validate``, their help in ``lang``; its ``--lang`` is the report's."""
    interactive = sys.stdout.isatty()
    parser.add_argument("--format", choices=sorted(RENDERERS), default="text" if interactive else None,
                        help=t("cli.help.validate.format", lang))
    parser.add_argument("--lang", choices=["zh", "en"], default=None, help=t("cli.help.validate.lang", lang))
    parser.add_argument("--max-errors", type=int, default=DEFAULT_MAX_ERRORS,
                        help=t("cli.help.validate.max_errors", lang))
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help=t("cli.help.validate.max_bytes", lang))
    parser.add_argument("--config", type=Path, default=None, help=t("cli.help.validate.config", lang))


def _progress_enabled() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def report_lang(asked: str | None) -> str:
    """The report's language: validate's own --lang, else the command line's when it named
    one language (``python -m pipeline --lang en validate``), else Chinese."""
    return asked or (message_lang() if message_lang() in LANGS else DEFAULT_LANG)


def run(args: argparse.Namespace) -> int:
    args.lang = report_lang(args.lang)
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") else "text")
    if args.max_errors < 0 or args.max_bytes <= 0:
        print(t("cli.usage_error", args.lang, detail="--max-errors >= 0, --max-bytes > 0"), file=sys.stderr)
        return EXIT_USAGE
    progress = None
    if _progress_enabled():
        def progress(name, step, total):
            print("\r\033[K" + t("report.progress", args.lang, name=name, step=step, total=total),
                  end="", file=sys.stderr, flush=True)
    from pipeline.config import ConfigError, load_config
    from pipeline.load import LoadError, load_catalog
    from pipeline.validate.catalog import report_from_load_error, validate_catalog

    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    try:
        catalog = load_catalog([Path(p) for p in args.paths], max_bytes=args.max_bytes,
                               stream_above=STREAM_ABOVE)
    except LoadError as error:
        if error.type == "usage-error":
            print(t("cli.usage_error", args.lang, detail=error.message(args.lang)), file=sys.stderr)
            return EXIT_USAGE
        report = report_from_load_error(error)
    else:
        report = validate_catalog(catalog, max_errors=args.max_errors or None, progress=progress,
                                  config=config)
        if progress:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    render = RENDERERS[fmt]
    text = render(report, args.lang) if fmt != "text" else render(report, args.lang, args.max_errors)
    sys.stdout.write(text)
    if any(task.counts.get("not-supported") for task in report.tasks):
        return EXIT_USAGE  # a schema feature the portal refuses by name (see divergences.py)
    return EXIT_OK if report.valid else EXIT_INVALID
