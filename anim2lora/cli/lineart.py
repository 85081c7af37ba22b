"""``lineart GROUPS_DIR``: LineArtPrep, the same groups as clean lines on white."""

from pathlib import Path

from .common import TerminalProgress, add_device_option, add_groups_argument, write_outputs
from .options import add_options, settings_from


def add_parser(sub) -> None:
    from ..lineart.run import LineArtSettings

    p = sub.add_parser("lineart", help="LineArtPrep: GroupSplit's folder -> the same groups as line art")
    add_groups_argument(p)
    add_options(p, LineArtSettings)
    p.add_argument("--lineart-models", default=None, help="ComfyUI's models/lineart folder (default: none)")
    add_device_option(p)
    p.set_defaults(run=run)


def run(args) -> dict:
    from ..lineart.run import LineArtSettings, lineart_report, lineart_sheet, prep_lineart
    from ..people.export import load_groups

    result = prep_lineart(load_groups(args.groups), Path(args.out), settings_from(args, LineArtSettings),
                          TerminalProgress(), device=args.device, models_dir=args.lineart_models)
    preview = write_outputs(args, "lineart", lineart_report(result), "lineart_preview.png", lineart_sheet(result),
                            "before and after")
    return {"groups": {g: [r["index"] for r in s.kept] for g, s in result.groups.groups.items()},
            "folder": str(result.groups.folder), "method": result.method, "preview": preview,
            "stroke_width": {k: (round(float(sorted(v)[len(v) // 2]), 2) if v else 0.0)
                             for k, v in result.strokes.items()}}
