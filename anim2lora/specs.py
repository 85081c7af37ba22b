"""Every setting of a stage declared once, as a field of its settings record: name, type and
default (the field), and with ``setting(...)`` its help, range or choices.  The node's inputs
(nodes/comfy_types.py), the command line's options (anim2lora/cli/options.py) and validation
all read that one declaration, so adding a setting is one edit and the three never disagree.
The record's field order is the node's widget order: saved workflows keep widget values by
position, so a new setting goes last."""

from dataclasses import dataclass, field, fields
from typing import Any, Dict, Mapping, Optional, Tuple

from .errors import BadInputError

_KEY = "anim2lora.setting"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    low: Optional[float] = None                 # numbers: the range and the widget's step
    high: Optional[float] = None
    step: Optional[float] = None
    choices: Optional[Tuple[str, ...]] = None
    installed: bool = False                     # besides the choices, any installed model's name
    only_for: Optional[str] = None              # the mode this setting applies to (extraction's sampling)
    widget: Mapping[str, Any] = field(default_factory=dict)   # extra widget options (multiline, ...)
    optional: bool = False                      # a node input added after older widgets: optional there
    old_flags: Mapping[str, Any] = field(default_factory=dict)  # deprecated spellings -> the value they set

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def setting(default, help: str, **declared):
    """A settings record's field with its declaration (see ``Setting``)."""
    return field(default=default, metadata={_KEY: declared | {"help": help}})


def declared(record) -> Dict[str, Setting]:
    """The declared settings of a record (class or instance), in field order."""
    out = {}
    for f in fields(record):
        if _KEY in f.metadata:
            out[f.name] = Setting(f.name, f.default, **f.metadata[_KEY])
    return out


def check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise BadInputError(f"{name}: '{value}' is not one of {', '.join(allowed)}.")


def check_declared(settings) -> None:
    """Raise a message naming the field when a setting is outside its declared range or choices."""
    for name, spec in declared(settings).items():
        value = getattr(settings, name)
        if spec.choices is not None and not spec.installed:
            check_choice(name, value, spec.choices)
        if spec.low is not None and not (spec.low <= value <= spec.high):
            raise BadInputError(f"{name}: {value} is outside {spec.low}–{spec.high}.")
