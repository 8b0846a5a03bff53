"""``python -m pipeline --lang zh|en|both``: the command line's help and messages in the
language asked for, both by default (CI logs are read by publishers and maintainers)."""

from __future__ import annotations

import re

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
