"""Every routine task, the same for a person and for CI: `nox -s <session>`."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYTHON = "3.11"
# Every dependency (with the test and dev extras) pinned with its hashes: a person, CI and a
# build next year install the same packages. Regenerate with `nox -s lock`.
LOCK = Path("requirements/lock.txt")


def _install(session: nox.Session, extras: str = "") -> None:
    if LOCK.is_file():
        # hashes in the file make pip refuse anything unpinned or altered
        session.install("-r", str(LOCK))
        session.install("--no-deps", "-e", ".")
        return
    target = f".[{extras}]" if extras else "."
    session.install("-e", target)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, differential, bad-input and browser tests (installs Chromium and CJK fonts if missing)."""
    session.run("bash", "scripts/install-system-packages.sh", external=True)
    _install(session, "test")
    # the slowest tests are named at the end of every run: CI has a time limit to keep within
    session.run("pytest", "-m", "not slow", "-n", os.environ.get("PYTEST_WORKERS", "2"),
                "--durations=30", *session.posargs)


@nox.session(python=PYTHON)
def slow(session: nox.Session) -> None:
    """Tests at larger tiers and long property-based runs."""
    _install(session, "test")
    session.run("pytest", "-m", "slow", *session.posargs,
                env={"HYPOTHESIS_PROFILE": "long"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6,<1")
    session.run("ruff", "check", "pipeline", "tests", "noxfile.py")


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """Validate the committed data packages (what a publisher's pull request runs)."""
    _install(session)
    session.run("python", "-m", "pipeline", "validate", *(session.posargs or ["datapackages"]))


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build the whole portal from the committed data into build/site."""
    _install(session)
    session.run("python", "-m", "pipeline", "build", *session.posargs)


@nox.session(python=PYTHON)
def checksite(session: nox.Session) -> None:
    """Check a built site, every edition (links, anchors, downloads and checksums, titles, language and
    hreflang twins, CSP): build/site by default."""
    _install(session)
    session.run("python", "-m", "pipeline.sitecheck", *(session.posargs or ["build/site"]))


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Regenerate requirements/lock.txt from pyproject.toml (add --upgrade to take newer versions)."""
    session.install("pip-tools>=7.4,<8")
    session.run("pip-compile", "--quiet", "--generate-hashes", "--allow-unsafe", "--strip-extras",
                "--no-emit-index-url", "--no-emit-find-links", "--extra", "test", "--extra", "dev",
                "--output-file", str(LOCK), "pyproject.toml", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Time and measure every stage per data tier into build/bench (national: --tiers national)."""
    _install(session, "test")  # the validation figures are compared with frictionless
    session.run("python", "-m", "pipeline", "bench", *session.posargs)


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Build, then serve the portal on http://127.0.0.1:8000/."""
    _install(session)
    session.run("python", "-m", "pipeline", "serve", *session.posargs)


@nox.session(python=PYTHON)
def screenshots(session: nox.Session) -> None:
    """Build the portal, then take the first screen of every page type at phone and desktop size
    into docs/screenshots (or the folder given first; then the editions, default all)."""
    session.run("bash", "scripts/install-system-packages.sh", external=True)
    _install(session, "test")
    out, *editions = session.posargs or ["docs/screenshots"]
    session.run("python", "-m", "pipeline", "build", "--out", "build/site")
    session.run("python", "tests/screenshots.py", "build/site", out, *editions)
