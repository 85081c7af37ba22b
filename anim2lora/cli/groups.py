"""``groups FRAMESET --ref NAME=IMAGE…``: GroupSplit, one set per group of characters."""

from pathlib import Path

from .common import TerminalProgress, add_device_option, read_refs, write_outputs
from .count import add_count_options
from .options import add_options, settings_from


def add_parser(sub) -> None:
    from ..people.groups import GroupSettings

    p = sub.add_parser("groups", help="GroupSplit: frame set + reference stills -> one set per group")
    p.add_argument("frameset", help="a frame-set manifest, best from the count stage (its settings are reused)")
    p.add_argument("--ref", action="append", required=True, metavar="NAME=IMAGE",
                   help="a reference still of one character alone; repeat (1-5 per character, any number of characters)")
    add_options(p, GroupSettings)
    p.add_argument("--embed-models", default=None,
                   help="folder with the CCIP model folder (ComfyUI's models/ccip; default: none, so 'auto' "
                        "uses the offline features)")
    p.add_argument("--recount", action="store_true",
                   help="count again with the count options given here (--detector, --min-count, ...) instead of "
                        "taking the count stage's judgement; frames outside the range are rejected")
    add_count_options(p, skip=("allow_download",))        # one --allow-download serves both models
    add_device_option(p)
    p.set_defaults(run=run)


def run(args) -> dict:
    from ..frameset import load
    from ..people.export import export_groups
    from ..people.group_report import group_report, group_sheet
    from ..people.groups import GroupSettings, group_split
    from ..people.settings import CountSettings

    stills = read_refs(args.ref)
    settings = settings_from(args, GroupSettings)
    count_settings = settings_from(args, CountSettings) if args.recount else None
    result = group_split(load(args.frameset), stills, settings, count_settings, TerminalProgress(),
                         device=args.device, detect_models=args.detect_models, embed_models=args.embed_models)
    folders = export_groups(result.groups, result.crops, Path(args.out))
    preview = write_outputs(args, "groups", group_report(result), "groups_preview.png", group_sheet(result),
                            f"group folders: {args.out}; preview")
    return {**result.summary, "folders": folders, "preview": preview}
