"""One table per stage of its numeric settings (range, step, help), read by the node, the
command line and validation alike, so the three never disagree."""

from typing import Mapping, NamedTuple, Optional

from .errors import BadInputError


class Spec(NamedTuple):
    low: float
    high: float
    step: float
    help: str
    only_for: Optional[str] = None   # the mode this setting applies to (extraction's sampling)


def check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise BadInputError(f"{name}: '{value}' is not one of {', '.join(allowed)}.")


def check_ranges(settings, specs: Mapping[str, Spec]) -> None:
    """Raise a message naming the field when a setting is outside its table's range."""
    for name, spec in specs.items():
        value = getattr(settings, name)
        if not (spec.low <= value <= spec.high):
            raise BadInputError(f"{name}: {value} is outside {spec.low}–{spec.high}.")
