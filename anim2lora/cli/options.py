"""A settings record's command-line options, generated from its one declaration
(anim2lora/specs.py): each flag is the setting's own name, a switch has its --no- form, and the
help and default are the node's."""

import argparse

from ..specs import declared

_SHORT_DEFAULT = 40          # longer defaults (a blacklist, a negative prompt) are not repeated in --help


def _help(text: str, default=None) -> str:
    shown = f" (default: {default})" if default is not None and len(str(default)) <= _SHORT_DEFAULT else ""
    return (text + shown).replace("%", "%%")


def add_options(parser: argparse.ArgumentParser, record, skip=()) -> None:
    """One option per declared setting of ``record`` (but those in ``skip``)."""
    for name, spec in declared(record).items():
        if name in skip:
            continue
        if spec.kind is bool:
            parser.add_argument(spec.flag, dest=name, action=argparse.BooleanOptionalAction, default=spec.default,
                                help=_help(spec.help, "on" if spec.default else "off"))
        elif spec.choices is not None and not spec.installed:
            parser.add_argument(spec.flag, dest=name, choices=spec.choices, default=spec.default,
                                help=_help(spec.help, spec.default))
        else:
            parser.add_argument(spec.flag, dest=name, type=spec.kind, default=spec.default,
                                help=_help(spec.help, spec.default))
        for old, value in spec.old_flags.items():       # kept for scripts written before; not in --help
            parser.add_argument(old, dest=name, action="store_const", const=value, help=argparse.SUPPRESS)


def settings_from(args: argparse.Namespace, record, **given):
    """``record`` built from the parsed options (``given`` overrides)."""
    values = {name: getattr(args, name) for name in declared(record) if hasattr(args, name)}
    return record(**{**values, **given})
