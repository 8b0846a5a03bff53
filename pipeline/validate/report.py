"""Reports for people and CI: text, frictionless-shaped JSON, GitHub workflow annotations.

Text and annotations point at the *physical* line of the file (where an editor puts the
cursor), not the logical row number, because quoted newlines make the two differ.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pipeline.i18n import t

if TYPE_CHECKING:  # the command's options list the formats without importing the checks
    from pipeline.validate.catalog import Report, Task
    from pipeline.validate.errors import ValidationError


def _where(task: Task, error: ValidationError) -> str:
    return f"{task.path}:{error.line}" if error.line else task.path


def _counts(task: Task) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(task.counts.items()))


def render_text(report: Report, lang: str = "zh", limit: int | None = None) -> str:
    lines: list[str] = []
    bad = [task for task in report.tasks if not task.valid]
    for task in bad:
        lines.append(t("report.file", lang, file=task.path, package=task.package,
                       resource=task.resource, errors=task.error_count))
        for error in task.errors:
            field = error.fieldName or (", ".join(error.fieldNames) if error.fieldNames else "")
            prefix = f"{_where(task, error)}: {field}: " if field else f"{_where(task, error)}: "
            lines.append(f"  {prefix}{error.message(lang)} [{error.type}]")
        if task.dropped:
            lines.append("  " + t("report.more", lang, count=task.dropped, limit=limit or len(task.errors),
                                  counts=_counts(task)))
    for warning in report.warnings:
        lines.append(t("report.warning", lang, text=warning))
    if report.valid:
        lines.append(t("report.valid", lang, tasks=len(report.tasks),
                       rows=sum(task.rows for task in report.tasks)))
    else:
        lines.append(t("report.invalid", lang, errors=report.error_count, tasks=len(bad)))
    return "\n".join(lines) + "\n"


def to_dict(report: Report, lang: str = "zh") -> dict:
    """The report in frictionless's shape (``valid``, ``stats``, ``tasks[].errors[]``)."""
    tasks = []
    for task in report.tasks:
        tasks.append({
            "name": task.resource, "type": "table", "valid": task.valid, "place": task.path,
            "package": task.package, "labels": [],
            "stats": {"errors": task.error_count, "warnings": len(task.warnings),
                      "seconds": round(task.seconds, 3), "md5": task.digests.get("md5"),
                      "sha256": task.digests.get("sha256"), "bytes": task.byte_count,
                      "fields": task.fields, "rows": task.rows},
            "warnings": task.warnings + ([(f"reached error limit: {len(task.errors)}; "
                                           f"{task.dropped} more not listed")] if task.dropped else []),
            "errorCounts": dict(sorted(task.counts.items())),
            "errors": [e.to_dict(lang) for e in task.errors],
        })
    return {"valid": report.valid,
            "stats": {"tasks": len(report.tasks), "errors": report.error_count,
                      "warnings": len(report.warnings), "seconds": round(report.seconds, 3)},
            "warnings": report.warnings, "errors": [], "tasks": tasks}


def render_json(report: Report, lang: str = "zh") -> str:
    return json.dumps(to_dict(report, lang), ensure_ascii=False, indent=2) + "\n"


def _escape(text: str, *, property: bool = False) -> str:
    # GitHub's workflow-command escaping; properties also escape ':' and ','.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: Report, lang: str = "zh") -> str:
    lines = []
    for task in report.tasks:
        for error in task.errors:
            props = [f"file={_escape(task.path, property=True)}"]
            if error.line:
                props.append(f"line={error.line}")
            title = f"{error.type}" + (f" {error.fieldName}" if error.fieldName else "")
            props.append(f"title={_escape(title, property=True)}")
            lines.append(f"::error {','.join(props)}::{_escape(error.message(lang))}")
        if task.dropped:
            text = t("report.more", lang, count=task.dropped, limit=len(task.errors), counts=_counts(task))
            lines.append(f"::error file={_escape(task.path, property=True)},"
                         f"title={_escape(task.resource, property=True)}::{_escape(text)}")
    summary = (t("report.valid", lang, tasks=len(report.tasks), rows=sum(x.rows for x in report.tasks))
               if report.valid else
               t("report.invalid", lang, errors=report.error_count,
                 tasks=sum(1 for x in report.tasks if not x.valid)))
    lines.append(("::notice::" if report.valid else "::error::") + _escape(summary))
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}
