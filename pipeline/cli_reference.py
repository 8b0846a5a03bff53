"""The command line described as data: the site's reference page is made from this file.

``python -m pipeline.cli_reference`` writes every subcommand of ``python -m pipeline`` with
every option, read from the parser, to ``site/reference/cli.json`` once per language (the help
comes from the message catalogs); each edition's methodology section renders its own. Pages read it instead of importing the command line (which imports the
build, which renders the pages: an import circle). A test compares the committed file
with the parser, so a changed option fails the tests until the file is written again.
"""

from __future__ import annotations

import argparse
import json

from pipeline.pages.methodology import CLI_REFERENCE


def describe(parser: argparse.ArgumentParser | None = None) -> dict:
    """The description and every subcommand (name, help, usage, options) of ``parser``
    (default: the one of ``python -m pipeline``)."""
    if parser is None:
        from pipeline.cli import _parser

        parser = _parser()
    commands = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: str(choice.help or "") for choice in action._choices_actions}
        for name, sub in action.choices.items():
            options = []
            for opt in sub._actions:
                if isinstance(opt, argparse._HelpAction):
                    continue
                default = opt.default
                shown_default = "" if default in (None, argparse.SUPPRESS) or opt.required else (
                    ", ".join(str(d) for d in default) if isinstance(default, list) else str(default))
                if isinstance(default, bool) and not opt.option_strings:
                    shown_default = ""
                metavar = opt.metavar or ("" if opt.nargs == 0 else opt.dest.upper())
                options.append({
                    "names": ", ".join(opt.option_strings) or opt.dest,
                    "metavar": str(metavar) if opt.option_strings else "",
                    "default": shown_default,
                    "help": str(opt.help or "").replace("%(default)s", shown_default),
                    "choices": ", ".join(str(c) for c in opt.choices) if opt.choices else "",
                })
            usage = " ".join(sub.format_usage().split()).removeprefix("usage: ")
            commands.append({"name": name, "help": helps.get(name, ""), "usage": usage,
                             "options": options})
    return {"generated_by": "python -m pipeline.cli_reference",
            "description": str(parser.description or ""), "commands": commands}


def text() -> str:
    """The file's content: :func:`describe` of the parser with its help in each language
    (``{"zh": …, "en": …}``, one per edition of the site), as indented JSON."""
    from pipeline.cli import _parser
    from pipeline.i18n import LANGS

    return json.dumps({lang: describe(_parser(lang)) for lang in LANGS},
                      ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    CLI_REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    CLI_REFERENCE.write_text(text(), encoding="utf-8")
    print(CLI_REFERENCE)
