"""``python -m pipeline --lang zh|en|both``: the command line's help and messages in the
language asked for, both by default (CI logs are read by publishers and maintainers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.i18n import message_lang, t

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff60]")


def _not_empty(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "file").write_text("x")
    return out


@pytest.mark.parametrize("lang", ["zh", "en", "both", None])
def test_a_refusal_is_in_the_language_asked_for(tmp_path, capsys, lang):
    out = _not_empty(tmp_path)
    words = ([] if lang is None else ["--lang", lang]) + ["fetch-published", "--url", "x", "--out", str(out)]
    assert main(words) == 2
    err = capsys.readouterr().err.strip()
    zh, en = t("fetch.not_empty", "zh", path=out), t("fetch.not_empty", "en", path=out)
    expected = {"zh": zh, "en": en, "both": f"{zh} / {en}", None: f"{zh} / {en}"}[lang]
    assert err == expected
    assert message_lang() == "both"  # the choice lasts one command


def test_an_error_raised_deep_in_the_build_is_in_english_alone(tmp_path, capsys):
    """The configuration error is made where portal.yml is read, far from the command line."""
    config = tmp_path / "portal.yml"
    config.write_text("site: [unclosed\n", encoding="utf-8")
    code = main(["--lang", "en", "build", "--out", str(tmp_path / "site"), "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2
    assert "portal.yml" in err or "YAML" in err or "yaml" in err.lower(), err
    assert not CJK.search(err), err


@pytest.mark.parametrize("command", ["build", "serve", "synth", "bench", "fetch-published"])
def test_the_help_is_in_the_language_asked_for(capsys, command):
    for lang in ("en", "zh", "both"):
        with pytest.raises(SystemExit) as stop:
            main(["--lang", lang, command, "--help"])
        assert stop.value.code == 0
        shown = capsys.readouterr().out
        key = {"build": "cli.help.build.no_cache", "serve": "cli.help.serve.port",
               "synth": "cli.help.synth.out", "bench": "cli.help.bench.repeat",
               "fetch-published": "cli.help.fetch.url"}[command]
        text = t(key, "en").split(" (")[0] if lang == "en" else t(key, "zh").split("（")[0]
        assert " ".join(text.split()) in " ".join(shown.split()), (lang, shown)
        if lang == "en":
            assert not CJK.search(shown), shown
        else:
            assert CJK.search(shown)


def test_an_unknown_language_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "fr", "build"])
    assert stop.value.code == 2
    assert "--lang" in capsys.readouterr().err


def test_the_download_readme_stays_bilingual_whatever_the_command_line_speaks():
    """--lang chooses the messages printed, never the language of the files a build writes."""
    from pipeline.export.documents import _environment
    from pipeline.i18n import messages

    template = _environment().from_string('{{ both("export.readme.release") }}')
    with messages("en"):
        text = template.render()
    assert text == f'{t("export.readme.release", "zh")} / {t("export.readme.release", "en")}'


# --- argparse's own words -------------------------------------------------------------------

def _argparse_msgids() -> set[str]:
    """The words the running Python's argparse looks up: the literals of its ``_()`` and
    ``ngettext()`` calls."""
    import argparse
    import ast
    from pathlib import Path

    tree = ast.parse(Path(argparse.__file__).read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext")]
    return {arg.value for call in calls for arg in call.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}


def test_the_argparse_table_has_the_words_of_this_python_exactly():
    """A Python that changes argparse's words fails here, instead of leaving them English."""
    import json
    import sys

    from pipeline.cli_words import TABLE

    sections = json.loads(TABLE.read_text(encoding="utf-8"))
    assert all(CJK.search(zh) for words in sections.values() for zh in words.values())
    ours = {msgid for since, words in sections.items()
            if tuple(map(int, since.split("."))) <= sys.version_info[:2] for msgid in words}
    real = _argparse_msgids()
    assert sorted(ours - real) == [], "words this Python's argparse no longer has"
    assert sorted(real - ours) == [], "words of this Python's argparse the table lacks"


def test_a_word_missing_from_the_table_stays_english():
    from pipeline.cli_words import word

    assert word("a word argparse may say one day", "zh") == "a word argparse may say one day"
    assert word("a word argparse may say one day", "both") == "a word argparse may say one day"
    assert word(None, "zh") is None
    assert word("usage: ", "both") == "用法 / usage: "


def _bad_tier(capsys, lang: str | None) -> str:
    words = ([] if lang is None else ["--lang", lang]) + ["synth", "--tier", "x", "--out", "y"]
    with pytest.raises(SystemExit) as stop:
        main(words)
    assert stop.value.code == 2
    return capsys.readouterr().err


def test_a_usage_error_in_chinese_has_no_english_word(capsys):
    err = _bad_tier(capsys, "zh")
    assert "无效的选择" in err and "--tier" in err and "'x'" in err
    # what may stay: the command, option names, metavars and values
    rest = re.sub(r"python -m pipeline synth|--?[a-z-]+|\b[A-Z]+\b|'[^']*'|\{[^}]*\}", "", err)
    assert not re.search(r"[A-Za-z]", rest), rest
    # the usage once, then the error on one line of its own
    *usage, error, end = err.split("\n")
    assert usage[0].startswith("用法：") and end == "" and err.count("用法") == 1, err
    assert error.startswith("python -m pipeline synth：错误："), err


def test_a_usage_error_in_english_is_argparse_s_own(capsys):
    err = _bad_tier(capsys, "en")
    assert "usage: python -m pipeline synth" in err
    assert "error: argument --tier: invalid choice: 'x'" in err
    assert not CJK.search(err), err


@pytest.mark.parametrize("lang", ["both", None])
def test_a_usage_error_is_said_in_both_languages_by_default(capsys, lang):
    err = _bad_tier(capsys, lang)
    assert err.count("用法 / usage: ") == 1, err
    chinese, english = err.splitlines()[-2:]
    assert "无效的选择" in chinese and not re.search(r"invalid|choice|error", chinese), chinese
    assert "invalid choice: 'x'" in english and not CJK.search(english), english


def test_validate_s_help_in_chinese_has_no_english_sentence(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "zh", "validate", "--help"])
    assert stop.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for key in ("format", "lang", "max_errors", "max_bytes", "config"):
        assert " ".join(t(f"cli.help.validate.{key}", "zh").split()) in shown, key
        assert t(f"cli.help.validate.{key}", "en")[:20] not in shown, key
    for english in ("usage", "positional arguments", "options", "show this help message"):
        assert not re.search(rf"\b{english}\b", shown), english


def test_validate_s_help_in_english_has_no_chinese(capsys):
    with pytest.raises(SystemExit):
        main(["--lang", "en", "validate", "--help"])
    shown = capsys.readouterr().out
    assert "usage: python -m pipeline validate" in shown and "report format" in shown
    assert not CJK.search(shown), shown


def test_argparse_speaks_english_again_after_the_command(capsys):
    import argparse

    _bad_tier(capsys, "zh")
    assert argparse._("usage: ") == "usage: "
    assert argparse.ArgumentParser(prog="x").format_usage() == "usage: x [-h]\n"


@pytest.mark.parametrize("words, chinese", [(["--lang", "en", "validate"], False), (["validate"], True),
                                            (["--lang", "en", "validate", "--lang", "zh"], True),
                                            (["--lang", "zh", "validate"], True)])
def test_the_validation_report_follows_the_command_lines_language_unless_validate_names_its_own(
        capsys, words, chinese):
    case = Path(__file__).parent / "corpus" / "descriptor-field-unit-unknown"
    assert main([*words, "--format", "text", str(case)]) == 1
    out = capsys.readouterr().out
    assert "furlongs" in out
    assert bool(CJK.search(out)) is chinese, out
