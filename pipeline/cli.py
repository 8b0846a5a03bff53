"""Command-line interface: a thin layer over the stage functions.

Exit codes: 0 success/valid, 1 invalid data or failed build, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.build_command import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from pipeline.build_command import add_arguments as build_arguments
from pipeline.cli_words import Parser, Refused, parse
from pipeline.i18n import BOTH, MESSAGE_LANGS, both, message_langs, messages, t


def _copies(text: str) -> tuple[int, ...]:
    """A ``--third-party-copies`` value: copy counts from 1 to 1000, comma-separated
    (empty: none)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() and 1 <= int(part) <= 1000 for part in parts):
        raise argparse.ArgumentTypeError(both("cli.bad_copies", value=text[:40]))
    return tuple(int(part) for part in parts)


def _parser(lang: str = BOTH) -> argparse.ArgumentParser:
    """The parser, its help in ``lang`` (``zh``, ``en`` or ``both``)."""
    def say(key: str) -> str:
        return t(key, lang)

    parser = Parser(prog="python -m pipeline", description=say("cli.description"))
    # Before the command (``python -m pipeline --lang en build``): validate's own --lang is
    # the language of its report.
    parser.add_argument("--lang", dest="messages", choices=MESSAGE_LANGS, default=BOTH,
                        help=say("cli.help.lang"))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help=say("cli.help.validate"))
    p.add_argument("paths", nargs="*", type=Path, default=[Path("datapackages")],
                   help=say("cli.help.validate.paths"))
    from pipeline.validate.command import add_arguments

    add_arguments(p, lang=lang)

    p = sub.add_parser("synth", help=say("cli.help.synth"))
    p.add_argument("--tier", choices=["sample", "city", "province", "national", "national5"], default="sample",
                   help=say("cli.help.synth.tier"))
    p.add_argument("--seed", type=int, default=20121030, help=say("cli.help.synth.seed"))
    p.add_argument("--out", type=Path, required=True, help=say("cli.help.synth.out"))
    p.add_argument("--real", type=Path, default=Path("datapackages"), help=say("cli.help.synth.real"))

    p = sub.add_parser("bench", help=say("cli.help.bench"))
    p.add_argument("--tiers", default="sample,city,province",
                   type=lambda text: [tier.strip() for tier in text.split(",") if tier.strip()],
                   help=say("cli.help.bench.tiers"))
    p.add_argument("--repeat", type=int, default=3, help=say("cli.help.bench.repeat"))
    p.add_argument("--out", type=Path, default=Path("build/bench"), help=say("cli.help.bench.out"))
    p.add_argument("--seed", type=int, default=20121030, help=say("cli.help.bench.seed"))
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help=say("cli.help.bench.lang"))
    p.add_argument("--record", action="store_true", help=say("cli.help.bench.record"))
    p.add_argument("--resource-rows", type=int, default=1_000_000,
                   help=say("cli.help.bench.resource_rows"))
    p.add_argument("--stages", default=None,
                   type=lambda text: [stage.strip() for stage in text.split(",") if stage.strip()],
                   help=say("cli.help.bench.stages"))
    p.add_argument("--third-party-copies", default=(1, 30), type=_copies,
                   help=say("cli.help.bench.third_party_copies"))

    p = sub.add_parser("fetch-published", help=say("cli.help.fetch"))
    p.add_argument("--url", required=True, help=say("cli.help.fetch.url"))
    p.add_argument("--out", type=Path, required=True, help=say("cli.help.fetch.out"))

    for name, key in (("build", "cli.help.build"), ("serve", "cli.help.serve")):
        build_arguments(sub.add_parser(name, help=say(key)), serve=name == "serve", lang=lang)
    return parser


def _message_lang(argv: list[str] | None) -> str:
    """The --lang given before the command, read before the parser is made (its help is in
    that language); ``both`` when absent or not a language (the parser then says so)."""
    early = Parser(add_help=False)
    early.add_argument("--lang", dest="messages", default=BOTH)
    args = sys.argv[1:] if argv is None else argv
    words = args[: next((i for i, a in enumerate(args) if not a.startswith("-")
                         and (i == 0 or args[i - 1] != "--lang")), len(args))]
    try:
        lang = early.parse_known_args(words)[0].messages
    except Refused:  # --lang without a word: the parser says so
        return BOTH
    return lang if lang in MESSAGE_LANGS else BOTH


def main(argv: list[str] | None = None) -> int:
    lang = _message_lang(argv)
    with messages(lang):
        args = parse(_parser, argv, lang)
        if argv is None and args.command == "validate":  # this process is the command
            from pipeline.without_pandas import refuse_pandas

            refuse_pandas()  # pyarrow would import it to find no pandas object (0.2-0.6 s)
        return _run(args)


def _run(args) -> int:
    if args.command == "validate":
        from pipeline.validate.command import run

        return run(args)
    if args.command == "synth":
        from pipeline.synth import generate

        generate(args.tier, args.seed, args.out, real=args.real)
        return EXIT_OK
    if args.command in ("build", "serve"):
        from pipeline.build_command import run as build_and_serve

        return build_and_serve(args)
    if args.command == "fetch-published":
        return _fetch_published(args)
    if args.command == "bench":
        from pipeline.bench import main as bench

        return bench(args.tiers, repeat=args.repeat, out=args.out, seed=args.seed, lang=args.lang,
                     record=args.record, resource_rows=args.resource_rows,
                     stages=args.stages, copies=args.third_party_copies)
    raise NotImplementedError(args.command)


def _fetch_published(args) -> int:
    from pipeline.published import FetchError, fetch_published

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        print(both("fetch.not_empty", path=args.out), file=sys.stderr)
        return EXIT_USAGE
    try:
        count = fetch_published(args.url, args.out)
    except FetchError as error:  # its detail in the language of the sentence around it
        print(" / ".join(t("fetch.failed", lang, detail=error.message(lang)) for lang in message_langs()),
              file=sys.stderr)
        return EXIT_INVALID
    print(both("fetch.done", count=count, path=args.out) if count else both("fetch.nothing", url=args.url))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
