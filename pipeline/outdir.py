"""Where a build may write: output folders it owns, and paths that stay inside them.

A build replaces its output folder as a whole (``pipeline.build``: a fresh folder is swapped
in), so ``--out`` must be a folder that holds nothing but an earlier build's output. It may
not be the current folder, the repository, the data folder (or a folder inside it or
holding it), a folder holding ``.git`` or a ``datapackage.json``, or an existing non-empty
folder no build made. A finished build leaves :data:`MARKER` in the site so the next build
recognises its own output. :func:`check_out` refuses the others before anything is
written, with a message in Chinese and English (exit 2 on the command line).

:func:`inside` is the export's defence in depth beside the name checks of
:mod:`pipeline.descriptors`: every output path built from a package, version or resource
name is resolved and must stay inside the output folder.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.load import DESCRIPTOR, LoadError

MARKER = ".portal-site"
# Same bytes in every build (the output is reproducible); the text says what the file is for.
MARKER_TEXT = ("This folder was written by `python -m pipeline build`; the next build replaces it "
               "as a whole.\n本文件夹由 `python -m pipeline build` 生成，下一次构建会整个替换它。\n")
LEGACY_MARKER = ".build-key"  # pipeline.cache.RECORD: written by a build that used a cache
CODE_ROOT = Path(__file__).resolve().parent.parent  # the repository when run from a checkout


def check_out(out: Path, data: Path | None = None) -> None:
    """Raise :class:`LoadError` (``usage-error``, key ``build.out.*``) unless a build may
    replace ``out`` as a whole. Reads only; writes nothing."""
    target = Path(out).resolve()
    shown = str(out)

    def refuse(kind: str, **values) -> None:
        raise LoadError("usage-error", f"build.out.{kind}", file=shown, path=shown, **values)

    def holds(folder: Path, other: Path) -> bool:  # ``other`` is ``folder`` or inside it
        return other == folder or folder in other.parents

    if holds(target, Path.cwd().resolve()):
        refuse("cwd")
    if holds(target, CODE_ROOT):
        refuse("repository")
    if data is not None:
        source = Path(data).resolve()
        if holds(target, source) or holds(source, target):
            refuse("data", data=str(data))
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        refuse("not_folder")
    if (target / ".git").exists() or (target / ".git").is_symlink():
        refuse("git")
    if (target / DESCRIPTOR).exists():
        refuse("package")
    if not (target / MARKER).is_file() and not (target / LEGACY_MARKER).is_file() \
            and any(target.iterdir()):
        refuse("foreign", marker=MARKER)


# What a build keeps in its cache folder (pipeline.cache, pipeline.sitecheck).
CACHE_FOLDERS = frozenset({"export", "pages", "sitecheck"})


def check_cache(cache: Path, out: Path, data: Path | None = None) -> None:
    """Raise :class:`LoadError` (key ``build.cache.*``) unless ``cache`` may be a build's
    cache: the build writes and replaces entries there, so it must not be (or hold, or lie
    inside) the site, the data or the repository, and a non-empty folder must hold nothing
    but what a cache holds. Reads only; writes nothing."""
    target = Path(cache).resolve()
    shown = str(cache)

    def refuse(kind: str, **values) -> None:
        raise LoadError("usage-error", f"build.cache.{kind}", file=shown, path=shown, **values)

    def overlap(a: Path, b: Path) -> bool:
        return a == b or a in b.parents or b in a.parents

    if overlap(target, Path(out).resolve()):
        refuse("out", out=str(out))
    if data is not None and overlap(target, Path(data).resolve()):
        refuse("data", data=str(data))
    if target == Path.cwd().resolve() or target in Path.cwd().resolve().parents \
            or target == CODE_ROOT or target in CODE_ROOT.parents:
        refuse("repository")
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        refuse("not_folder")
    foreign = sorted(p.name for p in target.iterdir() if p.name not in CACHE_FOLDERS)
    if foreign:
        refuse("foreign", found=", ".join(foreign[:5]), expected=", ".join(sorted(CACHE_FOLDERS)))


def mark(site: Path) -> None:
    """Mark ``site`` as a build's output (before it is checked and swapped in)."""
    (Path(site) / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


class OutsideOutput(ValueError):
    """An output path that would leave its folder (a bug or a name that got through)."""


def inside(root: Path, *parts: str) -> Path:
    """``root / parts…`` if every part is one plain name and the result resolves inside
    ``root``; raises :class:`OutsideOutput` otherwise."""
    for part in parts:
        if not isinstance(part, str) or not part or part in (".", "..") or "/" in part \
                or "\\" in part or "\x00" in part:
            raise OutsideOutput(f"{part!r} is not a plain file or folder name (under {root})")
    path = Path(root).joinpath(*parts)
    base = Path(root).resolve()
    if not path.resolve().is_relative_to(base) or path.resolve() == base and parts:
        raise OutsideOutput(f"{path} leaves {root}")
    return path
