"""The theme's search worker, with its segmentation of Chinese queries corrected.

A Chinese query has no spaces, so the worker cuts it into the words the index holds,
longest first (``segment`` in mkdocs-material's ``integrations/search/query/segment``).
Two bounds there are one short: the longest word tried at each position never reaches the
query's last character, and the cutting stops before a word that would start at the last
character. Whenever the query begins with a shorter word of the index the rest is dropped:
死亡率 was searched as 死亡 (so 死亡人数 came first), 事故调查 as 事故, 安全生产 as 安全.

The installed worker is copied with those two bounds corrected, under a name of its own
(``search.<digest>.min.js`` beside the theme's, so its language files are found as before),
and the pages' theme configuration names the copy. The correction is found by the shape of
the minified code; a theme whose worker does not have exactly that shape stops the build
with a message, rather than a site whose search silently loses words.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.pages.theme_files import corrected_file, theme_file, without_source_map

WORKERS = "assets/javascripts/workers"
THEME_WORKER = re.compile(r"search\.[0-9a-f]{8}\.min\.js")

# for(let j=i+1;j<q.length;j++)q.slice(i,j)in index   ->   j<=q.length
_LONGEST = re.compile(r"for\(let (?P<j>\w+)=(?P<i>\w+)\+1;(?P=j)(?P<bound><)(?P<q>\w+)\.length;"
                      r"(?P=j)\+\+\)(?P=q)\.slice\((?P=i),(?P=j)\)in ")
# cuts[a]&&a<q.length-1&&(stack[s++]=a)   ->   a<q.length
_NEXT = re.compile(r"(?P<cuts>\w+)\[(?P<a>\w+)\]&&(?P=a)<(?P<q>\w+)\.length(?P<bound>-1)&&"
                   r"\(\w+\[\w+\+\+\]=(?P=a)\)")


class WorkerShapeError(Exception):
    """The installed theme's worker is not the one this correction was written for."""


def corrected(source: str) -> str:
    """The worker's code with the two bounds of its query segmentation corrected."""
    for pattern, replacement in ((_LONGEST, "<="), (_NEXT, "")):
        found = list(pattern.finditer(source))
        if len(found) != 1:
            raise WorkerShapeError(
                f"主题的搜索脚本中找到 {len(found)} 处待修正的中文分词代码（应为 1 处）；"
                f"请检查 mkdocs-material 的版本 / the theme's search worker has {len(found)} "
                f"places matching {pattern.pattern!r} (expected 1): check the mkdocs-material "
                "version")
        match = found[0]
        start, end = match.span("bound")
        source = source[:start] + replacement + source[end:]
    return without_source_map(source)


def theme_worker(theme_dirs) -> Path:
    """The theme's search worker among the theme's folders."""
    return theme_file(theme_dirs, WORKERS, THEME_WORKER,
                      WorkerShapeError("主题中没有找到搜索脚本 / the theme has no search worker"))


def corrected_copy(theme_dirs) -> tuple[str, str, bytes]:
    """The theme worker's name, the corrected copy's name and the copy's bytes."""
    return corrected_file(theme_worker(theme_dirs), corrected, "search")
