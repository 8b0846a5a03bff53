"""Descriptor problems (:class:`pipeline.descriptors.Problem`) as report findings.

One task per descriptor file; each finding carries the JSON path (``jsonPath`` in the JSON
report, and first in the message) and the line of the file where the value starts, so a
GitHub annotation lands on that line of ``datapackage.json``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pipeline.validate import Report, Task
from pipeline.validate.errors import ValidationError


@dataclass
class DescriptorFinding(ValidationError):
    json_path: str = ""
    problem: object = None

    def message(self, lang: str = "zh") -> str:
        return self.problem.message(lang)

    def to_dict(self, lang: str = "zh") -> dict:
        out = super().to_dict(lang)
        out["jsonPath"] = self.json_path
        return out


def report_from_problems(problems) -> Report:
    tasks: dict[str, Task] = {}
    for problem in problems:
        task = tasks.get(problem.file)
        if task is None:
            task = tasks[problem.file] = Task(package="", resource="", path=problem.file, errors=[],
                                              counts=Counter())
        task.errors.append(DescriptorFinding(
            type=problem.type, key=problem.key, values=dict(problem.values), line=problem.line,
            note=problem.message("en"), json_path=problem.path, problem=problem))
        task.counts[problem.type] += 1
    return Report(tasks=list(tasks.values()))
