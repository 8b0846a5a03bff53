"""Every routine task, the same for a person and for CI: `nox -s <session>`."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYTHON = "3.11"


def _install(session: nox.Session, extras: str = "") -> None:
    target = f".[{extras}]" if extras else "."
    session.install("-e", target)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, differential, bad-input and browser tests (installs Chromium and CJK fonts if missing)."""
    session.run("bash", "scripts/install-system-packages.sh", external=True)
    _install(session, "test")
    session.run("pytest", "-m", "not slow", "-n", os.environ.get("PYTEST_WORKERS", "2"),
                *session.posargs)


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
def bench(session: nox.Session) -> None:
    """Time and measure every stage per data tier into build/bench (national: --tiers national)."""
    _install(session, "test")  # the validation figures are compared with frictionless
    session.run("python", "-m", "pipeline", "bench", *session.posargs)


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Build, then serve the portal on http://127.0.0.1:8000/."""
    _install(session)
    session.run("python", "-m", "pipeline", "serve", *session.posargs)
