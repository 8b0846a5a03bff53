"""Command-line interface: a thin layer over the stage functions.

Exit codes: 0 success/valid, 1 invalid data or failed build, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.build_command import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from pipeline.build_command import add_arguments as build_arguments
from pipeline.i18n import both, t


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=t("cli.description"))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="validate data packages / 校验数据包")
    p.add_argument("paths", nargs="*", type=Path, default=[Path("datapackages")],
                   help="package folders, descriptors, or a folder of packages (default: datapackages)")
    from pipeline.validate.command import add_arguments

    add_arguments(p)

    p = sub.add_parser("synth", help="generate synthetic data / 生成合成数据")
    p.add_argument("--tier", choices=["sample", "city", "province", "national"], default="sample",
                   help="size: sample ≈ 8,000 enterprises (what datapackages/ ships), city ≈ "
                        "30,000, province ≈ 600,000 (≈ 2.5M ratings), national ≈ 11M rating rows")
    p.add_argument("--seed", type=int, default=20121030,
                   help="the same tier and seed always give byte-identical files (default %(default)s)")
    p.add_argument("--out", type=Path, required=True,
                   help="folder to write the four package folders into")
    p.add_argument("--real", type=Path, default=Path("datapackages"),
                   help="where the real (hand-edited) descriptors and tables are read from")

    p = sub.add_parser("bench", help="time and measure every stage per data tier / 性能基准")
    p.add_argument("--tiers", default="sample,city,province",
                   type=lambda text: [tier.strip() for tier in text.split(",") if tier.strip()],
                   help="comma-separated tiers (national is opt-in: --tiers national)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each short stage (median quoted)")
    p.add_argument("--out", type=Path, default=Path("build/bench"))
    p.add_argument("--seed", type=int, default=20121030)
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--record", action="store_true",
                   help="also write the results to benchmarks/results.json, which the site "
                        "publishes as its benchmark page (commit it)")

    p = sub.add_parser("fetch-published",
                       help="fetch and verify the downloads the live site serves / 下载并核对已发布的数据")
    p.add_argument("--url", required=True, help="the live site's base URL / 已发布站点的地址")
    p.add_argument("--out", type=Path, required=True,
                   help="an empty or new folder; pass it to build as --previous / 空文件夹")

    for name, text in (("build", "validate, export and build the site / 构建站点"),
                       ("serve", "build, then serve on localhost / 构建并本地预览")):
        build_arguments(sub.add_parser(name, help=text), serve=name == "serve")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
                     record=args.record)
    raise NotImplementedError(args.command)


def _fetch_published(args) -> int:
    from pipeline.published import FetchError, fetch_published

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        print(both("fetch.not_empty", path=args.out), file=sys.stderr)
        return EXIT_USAGE
    try:
        count = fetch_published(args.url, args.out)
    except FetchError as error:
        print(both("fetch.failed", detail=error), file=sys.stderr)
        return EXIT_INVALID
    print(both("fetch.done", count=count, path=args.out) if count else both("fetch.nothing", url=args.url))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
