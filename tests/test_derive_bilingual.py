"""The derived package speaks both languages as the source packages do: Chinese in ``title``
and ``description``, English in ``x-en``, for the package, every resource and every field;
the package's own texts come from the catalogs (``derived.*``), not from literals."""

from __future__ import annotations

import re
from datetime import date

import pytest

from pipeline.derive import schemas
from pipeline.derive.package import package_descriptor, resource_descriptor
from pipeline.i18n import t

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff60]")


def _bilingual(node: dict, where: str) -> None:
    for key in ("title", "description"):
        zh, en = node.get(key), (node.get("x-en") or {}).get(key)
        assert zh and CJK.search(zh), f"{where}: {key} is not Chinese: {zh!r}"
        assert en and not CJK.search(en), f"{where}: x-en.{key} is not English: {en!r}"


@pytest.mark.parametrize("name", schemas.names())
def test_every_schema_file_is_bilingual(name):
    spec = schemas.spec(name)
    _bilingual(spec, name)
    for field in spec["fields"]:
        _bilingual(field, f"{name}.{field['name']}")


class _Package:
    def __init__(self, name, title, title_en):
        self.name = name
        self.synthetic = True
        self.descriptor = {"title": title, "x-en": {"title": title_en}, "version": "1.0.0",
                           "created": "2026-11-29T00:00:00Z", "synthetic": True}


class _Catalog:
    """The two source tables a derived resource needs, both synthetic."""

    def __init__(self):
        self.packages = {"accident-outcomes": _Package("accident-outcomes", "事故", "Accidents")}

    def resource(self, package, name):
        return type("R", (), {"descriptor": {"synthetic": True}})()


def test_the_package_texts_come_from_the_catalogs_in_both_languages():
    from pipeline.config import load_config

    config = load_config()
    city = config.site.city_name
    catalog = _Catalog()
    resources = [resource_descriptor(catalog, name, date(2016, 1, 1), config=config,
                                     sources=(("accident-outcomes", "annual_outcomes"),))
                 for name in ("rates", "accident_statistics")]
    package = package_descriptor(catalog, resources, date(2016, 1, 1), config=config)
    _bilingual(package, "derived")
    assert package["title"] == t("derived.title", "zh", city=city["zh"])
    assert package["x-en"]["title"] == t("derived.title", "en", city=city["en"])
    # every resource is named in the description of its language, with the synthetic note
    for r in resources:
        _bilingual(r, r["name"])
        assert r["title"] in package["description"]
        assert r["x-en"]["title"] in package["x-en"]["description"]
        assert r["description"].endswith(t("derived.synthetic_note", "zh"))
        assert r["x-en"]["description"].endswith(t("derived.synthetic_note", "en"))
    assert package["description"].endswith(t("derived.synthetic_note", "zh"))
    assert city["zh"] in package["keywords"] and city["en"] in package["keywords"]
