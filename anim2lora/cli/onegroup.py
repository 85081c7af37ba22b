"""``onegroup FRAMESET``: SingleGroup, every frame as one group with no one named (v1)."""

from pathlib import Path

from .common import add_frameset_argument
from .options import add_options


def add_parser(sub) -> None:
    from ..people.single_group import SingleGroupSettings

    p = sub.add_parser("onegroup", help="SingleGroup: frame set -> the same frames as one group (no names; v1)")
    add_frameset_argument(p)
    add_options(p, SingleGroupSettings)
    p.set_defaults(run=run)


def run(args) -> dict:
    from ..frameset import load
    from ..people.single_group import single_group, single_group_report

    groups = single_group(load(args.frameset), args.name, Path(args.out))
    if not args.json:
        print(single_group_report(groups))
    return {"groups": {g: len(s) for g, s in groups.groups.items()}, "folder": str(groups.folder)}
