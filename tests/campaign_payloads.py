"""Hostile text for the bad-input campaign (tests/test_campaign.py).

Every payload contains 示例, so it may stand as a synthetic enterprise's name too (the
synthetic-name rule), and none contains a line break (a name's pattern is matched line by
line) or a character the text-safety rule refuses: those are published, and must be inert.
Each payload carries a marker of its own (``P01`` …) so a finding names the payload.
"""

from __future__ import annotations

# Jinja would render {{ 7*7777 }} as this number; it must never appear next to the marker.
JINJA_PRODUCT = str(7 * 7777)
LONG_NAME_CHARS = 3500  # CJK characters: 3 bytes each in UTF-8, over 10 kB

PAYLOADS: dict[str, str] = {
    "script": 'P01示例<script>alert("p01")</script>',
    "img": "P02示例<img src=x onerror=alert(2)>",
    "handler_double": 'P03示例" onmouseover="alert(3)" x="',
    "handler_single": "P04示例' onclick='alert(4)' x='",
    "javascript_md_link": "P05示例[点我](javascript:alert(5))",
    "javascript_html_link": 'P06示例<a href="javascript:alert(6)">链接</a>',
    "markdown": "P07示例 **粗体** _斜体_ `代码` # 标题 | 表 | - 列表 > 引用 ![图](x.png)",
    "attr_list": 'P08示例 {: onclick="alert(8)" #pwned .pwned }',
    "jinja": "P09示例 {{ 7*7777 }} {% raw %} {# c #} {{ config }}",
    "snippet": 'P10示例 --8<-- "mkdocs.yml" ;--8<-- "README.md"',
    "html_breakout": "P11示例</textarea></title></script><!-- --><style>*{display:none}</style>",
    "entities": "P12示例 &amp; &lt;b&gt; &#60;i&#62; &#x3C;",
    "formula_eq": '=HYPERLINK("http://example.invalid","P13示例")',
    "formula_plus": "+P14示例+1",
    "formula_minus": "-2+3 P15示例",
    "formula_at": "@SUM(1) P16示例",
    "quote": "'P17示例 \"quoted\" ,comma",
    "long": "P18示例有限公司" + "长" * LONG_NAME_CHARS,
}

# What a payload would have produced had it been interpreted as markup.
FORBIDDEN_ATTRIBUTE_PREFIX = "on"
FORBIDDEN_IDS = {"pwned"}
FORBIDDEN_CLASSES = {"pwned"}
FORMULA_PAYLOADS = ("formula_eq", "formula_plus", "formula_minus", "formula_at", "quote")
