"""The build and serve commands (``python -m pipeline build|serve``): their options and run.

Apart from the rest of the command line so that the benchmark can run the very command a
publisher runs (:func:`main`) without importing the command line, which starts the
benchmark: no import circle.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from pipeline.i18n import BOTH, both, message_langs, t
from pipeline.limits import DEFAULT_MAX_BYTES

# Exit codes of every command: 0 success/valid, 1 invalid data or failed build, 2 usage or
# configuration error.
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def iso_date(text: str) -> date:
    """An ``--reference-date`` value: a real calendar day written YYYY-MM-DD, or a usage
    error (exit 2) that says so in both languages."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(both("cli.bad_date", value=text[:40])) from None


def add_arguments(p: argparse.ArgumentParser, *, serve: bool = False, lang: str = BOTH) -> None:
    """The options of ``build`` (and ``serve``, which adds ``--port``), their help in ``lang``."""
    p.add_argument("--data", type=Path, default=Path("datapackages"), help=t("cli.help.build.data", lang))
    p.add_argument("--out", type=Path, default=Path("build/site"), help=t("cli.help.build.out", lang))
    p.add_argument("--reference-date", type=iso_date, default=None,
                   metavar="YYYY-MM-DD", help=t("cli.help.build.reference_date", lang))
    p.add_argument("--previous", type=Path, default=None, metavar="DIR",
                   help=t("cli.help.build.previous", lang))
    p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help=t("cli.help.build.cache", lang))
    p.add_argument("--no-cache", action="store_true", help=t("cli.help.build.no_cache", lang))
    p.add_argument("--config", type=Path, default=None, metavar="FILE",
                   help=t("cli.help.build.config", lang))
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, metavar="N",
                   help=t("cli.help.build.max_bytes", lang))
    if serve:
        p.add_argument("--port", type=int, default=8000, help=t("cli.help.serve.port", lang))


def main(argv: list[str]) -> int:
    """``python -m pipeline build ARGV`` (the options after the word ``build``)."""
    parser = argparse.ArgumentParser(prog="python -m pipeline build")
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.command = "build"
    return run(args)


def run(args) -> int:
    """Build (``args.command`` ``build``), then serve (``serve``); the exit code."""
    if args.max_bytes <= 0:
        print(both("cli.usage_error", detail="--max-bytes > 0"), file=sys.stderr)
        return EXIT_USAGE
    if args.previous is not None and not args.previous.is_dir():
        print(both("build.no_previous", path=args.previous), file=sys.stderr)
        return EXIT_USAGE
    # The cache sits beside the output by default (build/cache for build/site), so builds
    # into separate folders never share one by accident.
    cache = None if args.no_cache else (args.cache or Path(args.out).parent / "cache")
    if cache is not None and args.config is None and Path(args.data).exists() and _unchanged(args):
        # Checked before the stages are imported: importing them takes longer than the check.
        print(both("build.unchanged", path=args.out))
        return _serve(args)
    from pipeline.build import BuildLocked, Interrupted, InvalidData, build
    from pipeline.config import ConfigError, load_config
    from pipeline.export import ExportError
    from pipeline.load import LoadError
    from pipeline.pages.mkdocs_site import SiteError
    from pipeline.validate.report import render_text

    try:
        config = load_config(args.config)
        log = build(args.data, args.out, reference_date=args.reference_date,
                    previous=args.previous, cache=cache, config=config, max_bytes=args.max_bytes)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except LoadError as error:  # only usage errors get here: data errors become reports
        print(" / ".join(t("cli.usage_error", lang, detail=error.message(lang)) for lang in message_langs()),
              file=sys.stderr)
        return EXIT_USAGE
    except BuildLocked as locked:
        print(both("build.locked", path=locked.out, pid=locked.holder), file=sys.stderr)
        return EXIT_INVALID
    except InvalidData as invalid:
        sys.stdout.write(render_text(invalid.report))
        print(both("build.invalid"), file=sys.stderr)
        return EXIT_INVALID
    except (SiteError, ExportError) as error:  # e.g. changed rows without a new version
        print(both("build.failed", detail=error), file=sys.stderr)
        return EXIT_INVALID
    except OSError as error:  # a full disk, a read-only folder: the published site is intact
        print(both("build.io_error", detail=error), file=sys.stderr)
        return EXIT_INVALID
    except Interrupted as stop:
        print(both("build.interrupted", signal=stop), file=sys.stderr)
        return 128 + stop.signum
    for warning in log.warnings:
        print(both("build.warning", detail=warning), file=sys.stderr)
    print(both("build.unchanged" if log.skipped else "build.done", path=args.out))
    return _serve(args)


def _unchanged(args) -> bool:
    """Whether ``--out`` already holds the build of these inputs, code and options."""
    from pipeline.cache import up_to_date
    from pipeline.editions import editions_key, languages

    out = Path(args.out).resolve()
    previous = args.previous
    if previous is not None and Path(previous).resolve() == out:
        previous = None
    current, _ = up_to_date(args.data, out, reference_date=args.reference_date or date.today(),
                            lang=editions_key(languages()), previous=previous)
    return current


def _serve(args) -> int:
    if args.command == "serve":
        from pipeline.serve import serve

        serve(args.out, args.port)
    return EXIT_OK
