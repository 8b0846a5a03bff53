"""Each check of pipeline.sitecheck on tiny hand-made sites: a good site passes, and every
kind of fault is reported with the file it is in."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import load_config
from pipeline.pages.csp import (
    _STYLE_ATTR,
    _TAG,
    add_csp,
    inline_hashes,
    policy,
    styled_tags,
    with_policy,
)
from pipeline.sitecheck import check_site, main, parse_policy

PAGE = """<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{root}style.css">
<script>var x = 1;</script>
</head>
<body>
<h1 id="top">标题</h1>
{body}
</body>
</html>
"""
ROOT = Path(__file__).resolve().parent.parent
CSV = b"code,name\n320400,\xe5\xb8\xb8\xe5\xb7\x9e\xe5\xb8\x82\n"


def _write(site: Path, relative: str, text: str, *, csp: bool = True) -> None:
    path = site / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(with_policy(text) if csp else text, encoding="utf-8")


def _page(title="首页", body="", root=""):
    return PAGE.format(title=title, body=body, root=root)


@pytest.fixture
def site(tmp_path) -> Path:
    """A good site: two pages linking each other (with an anchor), a stylesheet, one download."""
    site = tmp_path / "site"
    _write(site, "index.html", _page(body='<a href="about/#team">关于</a> <a href="data/x.csv" download>下载</a>'
                                          ' <a href="https://creativecommons.org/licenses/by/4.0/">CC BY</a>'))
    _write(site, "about/index.html", _page("关于", '<h2 id="team">团队</h2><a href="../#top">返回</a>'
                                                   '<a href="../credit/#q=913204">查询</a>', root="../"))
    _write(site, "credit/index.html", _page("查询", root="../"))
    (site / "style.css").write_text("body{background:url(img/bg.png)}", encoding="utf-8")
    (site / "img").mkdir()
    (site / "img" / "bg.png").write_bytes(b"\x89PNG")
    (site / "data").mkdir()
    (site / "data" / "x.csv").write_bytes(CSV)
    manifest = {"files": [{"path": "data/x.csv", "bytes": len(CSV),
                           "sha256": hashlib.sha256(CSV).hexdigest()}]}
    (site / "data" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # a lookup shard is data, never parsed as a page even when it contains markup
    (site / "credit" / "shard-0.json").write_text('{"a": "<a href=\\"nowhere\\">"}', encoding="utf-8")
    return site


def _problems(site: Path) -> list[tuple[str, str]]:
    return sorted((p.file, p.what) for p in check_site(site))


def test_the_good_site_passes(site):
    assert check_site(site) == []


def test_a_broken_link_is_reported_with_its_file(site):
    _write(site, "about/index.html", _page("关于", '<h2 id="team">x</h2><a href="../missing/">x</a>', root="../"))
    assert _problems(site) == [("about/index.html", "broken-link")]


def test_a_missing_stylesheet_and_a_missing_css_image_are_reported(site):
    (site / "img" / "bg.png").unlink()
    assert _problems(site) == [("style.css", "broken-link")]
    (site / "style.css").unlink()
    assert ("index.html", "broken-link") in _problems(site)


def test_a_missing_anchor_is_reported(site):
    _write(site, "about/index.html", _page("关于", '<h2 id="people">团队</h2><a href="../#top">x</a>', root="../"))
    problems = check_site(site)
    assert [(p.file, p.what) for p in problems] == [("index.html", "missing-anchor")]
    assert "team" in problems[0].expected


def test_a_same_page_anchor_must_exist(site):
    _write(site, "credit/index.html", _page("查询", '<a href="#nowhere">x</a>', root="../"))
    assert _problems(site) == [("credit/index.html", "missing-anchor")]


@pytest.mark.parametrize("damage", ["content", "size", "gone"])
def test_a_download_with_a_wrong_checksum_size_or_missing_is_reported(site, damage):
    target = site / "data" / "x.csv"
    if damage == "content":
        target.write_bytes(CSV.replace(b"320400", b"320401"))  # same size, other bytes
    elif damage == "size":
        target.write_bytes(CSV + b"\n")
    else:
        target.unlink()
    problems = [(p.file, p.what) for p in check_site(site)]
    assert ("data/x.csv", "download") in problems


def test_the_manifest_object_of_the_export_is_accepted(site):
    from pipeline.export import Manifest, ManifestEntry

    manifest = Manifest(files=[ManifestEntry("data/x.csv", len(CSV), "0" * 64, None, None, "csv", None)])
    assert [(p.file, p.what) for p in check_site(site, manifest)] == [("data/x.csv", "download")]


def test_a_missing_or_empty_title_is_reported(site):
    _write(site, "credit/index.html", _page(" ", root="../"))
    assert _problems(site) == [("credit/index.html", "title")]
    _write(site, "credit/index.html", _page(root="../").replace("<title>首页</title>", ""))
    assert _problems(site) == [("credit/index.html", "title")]


@pytest.mark.parametrize("html_tag", ['<html>', '<html lang="en">', '<html lang="">'])
def test_a_page_without_chinese_lang_is_reported(site, html_tag):
    _write(site, "credit/index.html", _page("查询", root="../").replace('<html lang="zh">', html_tag))
    assert _problems(site) == [("credit/index.html", "lang")]


def test_zh_cn_counts_as_chinese(site):
    _write(site, "credit/index.html", _page("查询", root="../").replace('lang="zh"', 'lang="zh-CN"'))
    assert check_site(site) == []


@pytest.mark.parametrize("reference", [
    '<script src="https://cdn.example.com/lib.js"></script>',
    '<img src="//cdn.example.com/a.png" alt="">',
    '<img srcset="a.png 1x, http://example.com/b.png 2x" alt="">',
    '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
    '<iframe src="https://example.com/" title="x"></iframe>',
    '<form action="https://example.com/submit"></form>',
    '<meta http-equiv="refresh" content="0; url=https://example.com/">',
    '<div style="background:url(https://example.com/x.png)"></div>',
    '<svg><image href="https://example.com/x.png"/></svg>',
])
def test_a_reference_to_another_origin_is_reported(site, reference):
    _write(site, "credit/index.html", _page("查询", reference, root="../"))
    assert ("credit/index.html", "other-origin") in _problems(site)


def test_an_import_from_another_origin_in_css_is_reported(site):
    (site / "style.css").write_text('@import "https://fonts.example.com/x.css"; body{}', encoding="utf-8")
    assert _problems(site) == [("style.css", "other-origin")]


def test_a_missing_policy_is_reported(site):
    _write(site, "credit/index.html", _page("查询", root="../"), csp=False)
    assert _problems(site) == [("credit/index.html", "csp")]


def test_an_inline_script_not_in_the_policy_is_reported(site):
    # a script added after the policy was computed (as injected markup would be)
    text = (site / "credit" / "index.html").read_text(encoding="utf-8")
    (site / "credit" / "index.html").write_text(text.replace("</body>", "<script>alert(1)</script></body>"),
                                                encoding="utf-8")
    problems = check_site(site)
    assert [(p.file, p.what) for p in problems] == [("credit/index.html", "csp")]
    assert "script-src" in problems[0].detail


@pytest.mark.parametrize("source", ["'unsafe-inline'", "'unsafe-eval'", "https://cdn.example.com", "*"])
def test_a_policy_wider_than_the_own_origin_is_reported(site, source):
    page = site / "credit" / "index.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("script-src 'self'", f"script-src 'self' {source}"), encoding="utf-8")
    assert _problems(site) == [("credit/index.html", "csp")]


def test_a_policy_after_the_scripts_is_reported(site):
    text = _page("查询", root="../")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(text)}">'
    _write(site, "credit/index.html", text.replace("</head>", meta + "</head>"), csp=False)
    assert _problems(site) == [("credit/index.html", "csp")]


def test_the_policy_hashes_inline_scripts_and_styles_but_not_data_blocks():
    text = ('<html><head><meta charset="utf-8"><script>a()</script><script type="application/ld+json">{}'
            '</script><script type="application/json" id="c">{}</script><style>p{color:red}</style>'
            '</head><body><p style="color:blue">x</p></body></html>')
    scripts, styles, style_attrs = inline_hashes(text)
    assert len(scripts) == 1 and len(styles) == 1 and len(style_attrs) == 1
    directives = parse_policy(policy(text))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'", *scripts]
    assert "'unsafe-inline'" not in policy(text)
    assert directives["style-src-attr"] == ["'unsafe-hashes'", *style_attrs]
    # inserted right after the charset, and replaced (not doubled) when run again
    once = with_policy(text)
    assert once.index("Content-Security-Policy") < once.index("<script>")
    assert with_policy(once) == once


# markup made of the pieces that decide where a tag starts and ends and what it holds
_MARKUP = st.lists(st.sampled_from(["<", ">", "</", "<p", "<a", "<br/", "<1", " ", "\n", "style", "STYLE",
                                    "=", '"', "'", "x", "/", "color:red", "<p style=", " style =", "\u017ftyle",
                                    "Style", "İ", "\u212a", "\u3000"]),
                   max_size=40).map("".join)


@given(_MARKUP)
@settings(max_examples=2000)
def test_styled_tags_give_the_style_attributes_the_scan_of_every_tag_finds(markup):
    def attrs(tags):
        return [(tag, m.group(0)) for tag in tags for m in _STYLE_ATTR.finditer(tag)]

    assert attrs(styled_tags(markup)) == attrs(tag.group(0) for tag in _TAG.finditer(markup))


def test_the_letters_a_style_attribute_may_be_written_with_lower_case_to_those_looked_for():
    # styled_tags looks for "style" and "\u017ftyle" in the lower-cased page
    taken = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch("[style]", chr(c), re.IGNORECASE)]
    assert {c.lower() for c in taken} == {"s", "t", "y", "l", "e", "\u017f"}


def test_styled_tags_skip_style_written_as_text_and_in_unfinished_tags():
    markup = '<p> a style=1 </p><br/ style="a"><b style="c" title=" style=d">x style=e'
    assert styled_tags(markup) == ['<b style="c" title=" style=d">']


def test_add_csp_touches_only_html(site):
    shard = (site / "credit" / "shard-0.json").read_bytes()
    _write(site, "credit/index.html", _page("查询", root="../"), csp=False)
    assert add_csp(site) == 3
    assert (site / "credit" / "shard-0.json").read_bytes() == shard
    assert check_site(site) == []


def _chinese_only(tmp_path) -> Path:
    """portal.yml with the Chinese edition alone (the editions a site must have come from it)."""
    settings = yaml.safe_load((ROOT / "portal.yml").read_text(encoding="utf-8"))
    settings["site"]["languages"] = ["zh"]
    config = tmp_path / "portal.yml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return config


def test_the_command_exits_1_and_names_the_file(site, capsys, tmp_path):
    config = _chinese_only(tmp_path)
    _write(site, "about/index.html", _page("关于", '<a href="nowhere.html">x</a>', root="../"))
    assert main([str(site), "--config", str(config)]) == 1
    assert "about/index.html" in capsys.readouterr().err
    _write(site, "about/index.html", _page("关于", '<h2 id="team">x</h2>', root="../"))
    assert main([str(site), "--config", str(config)]) == 0


def test_the_command_wants_every_edition_of_the_configuration(site, capsys):
    assert load_config().site.languages[1:], "portal.yml names a second edition"
    assert main([str(site)]) == 1
    assert "index.html" in capsys.readouterr().err


# --- editions: each page in its edition's language, twins naming each other -------------------

ALTERNATES = ('<link rel="alternate" hreflang="zh" href="{zh}">'
              '<link rel="alternate" hreflang="en" href="{en}">'
              '<link rel="alternate" hreflang="x-default" href="{zh}">')


def _twin(lang: str, title: str, zh: str, en: str, root: str) -> str:
    page = _page(title, root=root).replace('<html lang="zh">', f'<html lang="{lang}">')
    return page.replace("</title>", "</title>" + ALTERNATES.format(zh=zh, en=en))


@pytest.fixture
def editions(tmp_path) -> Path:
    """A good site of two editions: a home page and an about page in each, naming their twins."""
    site = tmp_path / "two"
    _write(site, "index.html", _twin("zh", "首页", "./", "en/", ""))
    _write(site, "about/index.html", _twin("zh", "关于", "./", "../en/about/", "../"))
    _write(site, "en/index.html", _twin("en", "Home", "../", "./", "../"))
    _write(site, "en/about/index.html", _twin("en", "About", "../../about/", "./", "../../"))
    (site / "style.css").write_text("body{}", encoding="utf-8")
    (site / "data").mkdir()
    (site / "data" / "manifest.json").write_text('{"files": []}', encoding="utf-8")
    return site


def _edition_problems(site: Path) -> list[tuple[str, str]]:
    return sorted((p.file, p.what) for p in check_site(site, langs=("zh", "en")))


def test_two_editions_whose_pages_name_each_other_pass(editions):
    assert _edition_problems(editions) == []


def test_a_page_in_the_language_of_the_other_edition_is_reported(editions):
    page = editions / "en" / "about" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace('lang="en"', 'lang="zh"', 1), encoding="utf-8")
    assert ("en/about/index.html", "lang") in _edition_problems(editions)


def test_a_twin_that_does_not_name_the_page_back_is_reported(editions):
    _write(editions, "en/about/index.html", _twin("en", "About", "../../", "./", "../../"))
    problems = _edition_problems(editions)
    assert ("about/index.html", "hreflang") in problems
    assert ("en/about/index.html", "hreflang") in problems


def test_an_alternate_into_the_wrong_edition_or_nowhere_is_reported(editions):
    _write(editions, "about/index.html", _twin("zh", "关于", "./", "./", "../"))
    assert ("about/index.html", "hreflang") in _edition_problems(editions)
    _write(editions, "about/index.html", _twin("zh", "关于", "./", "../en/missing/", "../"))
    assert ("about/index.html", "hreflang") in _edition_problems(editions)


def test_a_page_without_alternates_is_reported_and_an_embed_needs_none(editions):
    _write(editions, "en/about/index.html", _page("About", root="../../").replace('lang="zh"', 'lang="en"'))
    assert ("en/about/index.html", "hreflang") in _edition_problems(editions)
    embed = _page("Chart", root="../../").replace('lang="zh"', 'lang="en"').replace(
        "</title>", '</title><meta name="robots" content="noindex">')
    _write(editions, "en/about/index.html", embed)
    assert ("en/about/index.html", "hreflang") not in _edition_problems(editions)


def test_every_release_folder_needs_a_page_in_every_edition(editions):
    """A citation gives a release folder's address: it must open a page, in each edition."""
    for folder in ("data/p/1.0.0", "data/p/1.1.0", "data/p/latest", "data/p/tables/t"):
        (editions / folder).mkdir(parents=True)
        (editions / folder / "datapackage.json").write_text("{}", encoding="utf-8")
    releases = [f"{edition}data/p/{folder}/" for folder in ("1.0.0", "1.1.0", "latest") for edition in ("", "en/")]
    assert _edition_problems(editions) == sorted((name, "release-page") for name in releases)
    for name in releases[:-2]:  # both editions' pages of latest/ left out
        depth = name.count("/")
        here = name.removeprefix("en/")
        _write(editions, f"{name}index.html",
               _twin("en" if name.startswith("en/") else "zh", "1.0.0", "../" * depth + here,
                     "../" * depth + "en/" + here, "../" * depth))
    assert _edition_problems(editions) == [("data/p/latest/", "release-page"),
                                           ("en/data/p/latest/", "release-page")]


def test_a_missing_edition_is_reported(editions):
    for page in sorted((editions / "en").rglob("*.html")):
        page.unlink()
    assert ("en/index.html", "edition") in _edition_problems(editions)


def test_stored_parses_give_the_same_findings_and_a_changed_page_is_read_again(site, tmp_path):
    parsed = tmp_path / "parsed"
    assert check_site(site, parsed=parsed) == []
    assert len(list(parsed.rglob("*.json"))) == 3  # one entry per page, keyed by its bytes
    assert check_site(site, parsed=parsed) == []  # from the stored entries
    # the anchor target disappears and an inline script appears: new bytes, parsed afresh
    _write(site, "about/index.html", _page("关于", '<h2 id="other">x</h2><script>alert(1)</script>',
                                            root="../"), csp=False)
    assert sorted((p.file, p.what) for p in check_site(site, parsed=parsed)) == \
        [("about/index.html", "csp"), ("index.html", "missing-anchor")]


def test_a_damaged_stored_parse_is_parsed_again(site, tmp_path):
    parsed = tmp_path / "parsed"
    check_site(site, parsed=parsed)
    for entry in parsed.rglob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    _write(site, "about/index.html", _page("关于", '<a href="../missing/">x</a>', root="../"))
    assert ("about/index.html", "broken-link") in {(p.file, p.what) for p in check_site(site, parsed=parsed)}
    assert check_site(site) == check_site(site, parsed=parsed)
