"""The derived figures, one step per module of this package, found by :func:`discover`.

A step module declares:

- ``INPUTS``: the (package, resource) pairs it reads, typed tables of the validated catalog;
- ``OUTPUTS``: the derived resources it makes, each with its Table Schema in
  ``pipeline/derive/schemas/<resource>.json``;
- ``ORDER``: where its tables stand in the derived package (smaller first);
- ``run(inputs, *, reference_date, config)``: ``inputs`` maps each pair of ``INPUTS`` to its
  Arrow table, ``config`` is the portal's configuration; it returns one table (Arrow or pandas)
  per name of ``OUTPUTS``, which the derive stage conforms to the schema.

A step runs when the catalog holds every one of its inputs, whatever the other steps need: a
catalog without ``enterprise-credit`` still gets the rates. Adding a derived table is a module
here and a schema file, nothing else to register.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from pipeline.derive import schemas


@dataclass(frozen=True)
class Step:
    name: str  # the module's name
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[str, ...]
    order: int
    run: Callable

    def missing(self, catalog) -> list[str]:
        """Inputs of this step that ``catalog`` does not hold, as ``package/resource``."""
        return [f"{package}/{resource}" for package, resource in self.inputs
                if resource not in getattr(catalog.packages.get(package), "resources", {})]


def _step(module) -> Step:
    where = module.__name__
    inputs = tuple(tuple(pair) for pair in module.INPUTS)
    outputs = tuple(module.OUTPUTS)
    if not inputs or not all(len(pair) == 2 and all(isinstance(part, str) for part in pair)
                             for pair in inputs):
        raise TypeError(f"{where}.INPUTS must be (package, resource) pairs")
    if not outputs or not all(isinstance(name, str) for name in outputs):
        raise TypeError(f"{where}.OUTPUTS must name at least one resource")
    for name in outputs:
        schemas.spec(name)  # KeyError if the schema file is missing
    if not isinstance(module.ORDER, int) or not callable(module.run):
        raise TypeError(f"{where} needs an integer ORDER and a run() function")
    return Step(name=where.rsplit(".", 1)[1], inputs=inputs, outputs=outputs,
                order=module.ORDER, run=module.run)


@cache
def discover() -> tuple[Step, ...]:
    """Every step of this package, by ``ORDER`` then name; each output made by one step only."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            found.append(_step(importlib.import_module(f"{__name__}.{info.name}")))
    found.sort(key=lambda step: (step.order, step.name))
    seen = {}
    for step in found:
        for name in step.outputs:
            if name in seen:
                raise ValueError(f"derived resource {name!r} is made by both {seen[name]} and "
                                 f"{step.name}")
            seen[name] = step.name
    return tuple(found)
