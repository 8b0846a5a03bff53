"""Command-line interface: a thin layer over the stage functions.

Exit codes: 0 success/valid, 1 invalid data or failed build, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from pipeline.i18n import both, t

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


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
        p = sub.add_parser(name, help=text)
        p.add_argument("--data", type=Path, default=Path("datapackages"))
        p.add_argument("--out", type=Path, default=Path("build/site"))
        p.add_argument("--reference-date", type=date.fromisoformat, default=None,
                       metavar="YYYY-MM-DD",
                       help="the day the build speaks for (active listings, current "
                            "certificates); default today. Fix it for reproducible output")
        p.add_argument("--previous", type=Path, default=None, metavar="DIR",
                       help="the site published now (base of the changelog, source of older "
                            "releases); default: the --out folder as it is / 当前已发布的站点")
        p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                       help="build cache keyed by content hashes (default: the folder 'cache' "
                            "beside --out, e.g. build/cache) / 增量构建缓存目录")
        p.add_argument("--no-cache", action="store_true",
                       help="rebuild everything and record nothing / 不使用缓存，完整构建")
        p.add_argument("--config", type=Path, default=None, metavar="FILE",
                       help="the portal's configuration: packages, what is withheld, where rules "
                            "apply (default: portal.yml of the repository) / 门户配置文件")
        if name == "serve":
            p.add_argument("--port", type=int, default=8000)
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
        return _build_and_serve(args)
    if args.command == "fetch-published":
        return _fetch_published(args)
    if args.command == "bench":
        from pipeline.bench import main as bench

        return bench(args.tiers, repeat=args.repeat, out=args.out, seed=args.seed, lang=args.lang,
                     record=args.record)
    raise NotImplementedError(args.command)


def _build_and_serve(args) -> int:
    if args.previous is not None and not args.previous.is_dir():
        print(t("build.no_previous", path=args.previous), file=sys.stderr)
        return EXIT_USAGE
    # The cache sits beside the output by default (build/cache for build/site), so builds
    # into separate folders never share one by accident.
    cache = None if args.no_cache else (args.cache or Path(args.out).parent / "cache")
    if cache is not None and args.config is None and Path(args.data).exists() and _unchanged(args):
        # Checked before the stages are imported: importing them takes longer than the check.
        print(t("build.unchanged", path=args.out))
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
                    previous=args.previous, cache=cache, config=config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except LoadError as error:  # only usage errors get here: data errors become reports
        print(" / ".join(t("cli.usage_error", lang, detail=error.message(lang)) for lang in ("zh", "en")),
              file=sys.stderr)
        return EXIT_USAGE
    except BuildLocked as locked:
        print(both("build.locked", path=locked.out, pid=locked.holder), file=sys.stderr)
        return EXIT_INVALID
    except InvalidData as invalid:
        sys.stdout.write(render_text(invalid.report))
        print(t("build.invalid"), file=sys.stderr)
        return EXIT_INVALID
    except (SiteError, ExportError) as error:  # e.g. changed rows without a new version
        print(t("build.failed", detail=error), file=sys.stderr)
        return EXIT_INVALID
    except OSError as error:  # a full disk, a read-only folder: the published site is intact
        print(t("build.io_error", detail=error), file=sys.stderr)
        return EXIT_INVALID
    except Interrupted as stop:
        print(t("build.interrupted", signal=stop), file=sys.stderr)
        return 128 + stop.signum
    for warning in log.warnings:
        print(t("build.warning", detail=warning), file=sys.stderr)
    print(t("build.unchanged" if log.skipped else "build.done", path=args.out))
    return _serve(args)


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


def _unchanged(args) -> bool:
    """Whether ``--out`` already holds the build of these inputs, code and options."""
    from pipeline.cache import up_to_date

    out = Path(args.out).resolve()
    previous = args.previous
    if previous is not None and Path(previous).resolve() == out:
        previous = None
    current, _ = up_to_date(args.data, out, reference_date=args.reference_date or date.today(),
                            lang="zh", previous=previous)
    return current


def _serve(args) -> int:
    if args.command == "serve":
        from pipeline.serve import serve

        serve(args.out, args.port)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
