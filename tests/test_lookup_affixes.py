"""The affixes people leave out of an enterprise's name when they type it are portal.yml's
(``site.name_affixes``), so a portal for another city names its own, and no module does."""

from __future__ import annotations

import yaml
from conftest import ROOT

from pipeline.config import DEFAULT, parse, use
from pipeline.pages.credit import _fragment


def _config(affixes):
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    data["site"]["name_affixes"] = affixes
    return parse(yaml.safe_dump(data, allow_unicode=True), DEFAULT)


def test_the_typed_fragment_drops_the_configured_affixes():
    with use(_config({"prefixes": ["苏州"], "suffixes": ["股份有限公司", "有限公司"]})):
        assert _fragment("苏州示例机械股份有限公司") == "示例机械"
        assert _fragment("常州示例机械有限公司") == "常州示例机械"
    with use(_config({"prefixes": [], "suffixes": []})):
        assert _fragment("常州示例机械有限公司") == "常州示例机械有限公司"
    with use(_config({"prefixes": ["示例"], "suffixes": ["示例"]})):
        assert _fragment("示例") == "示例"  # nothing left: the whole name is typed


def test_no_module_or_script_of_the_lookup_names_an_affix():
    affixes = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))["site"]["name_affixes"]
    words = [*affixes["prefixes"], *affixes["suffixes"]]
    assert words
    for path in [ROOT / "pipeline" / "pages" / "credit.py", ROOT / "pipeline" / "pages" / "lookup_index.py",
                 ROOT / "site" / "docs" / "assets" / "javascripts" / "lookup.js"]:
        code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith(("#", "//", "*")))
        # docstrings may name a stop gram as an example; quoted strings may not name an affix
        for word in words:
            assert f'"{word}"' not in code and f"'{word}'" not in code, (path.name, word)
