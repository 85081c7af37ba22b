"""``caption GROUPS_DIR``: CaptionWithKeepTokens, a kohya dataset with pinned names."""

from pathlib import Path

from .common import TerminalProgress, add_device_option, add_groups_argument
from .options import add_options, settings_from


def add_parser(sub) -> None:
    from ..dataset.settings import CaptionSettings

    p = sub.add_parser("caption", help="CaptionWithKeepTokens: GroupSplit's folder -> kohya dataset")
    add_groups_argument(p)
    add_options(p, CaptionSettings)
    p.add_argument("--tagger-models", default=None, help="ComfyUI's models/wd14_tagger folder (default: none, "
                   "so 'auto' captions offline)")
    add_device_option(p)
    p.set_defaults(run=run)


def run(args) -> dict:
    from ..dataset.report import caption_report
    from ..dataset.run import build_dataset
    from ..dataset.settings import CaptionSettings
    from ..people.export import load_groups

    result = build_dataset(load_groups(args.groups), Path(args.out), settings_from(args, CaptionSettings),
                           TerminalProgress(), device=args.device, models_dir=args.tagger_models)
    report = caption_report(result)
    (Path(args.out) / "caption_report.txt").write_text(report + "\n", encoding="utf-8")
    if not args.json:
        print(report)
    return {**result.dataset.summary, "warnings": result.warnings}
