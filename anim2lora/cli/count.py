"""``count FRAMESET``: PersonCountFilter, the frames with min..max characters."""

from .common import TerminalProgress, add_device_option, add_frameset_argument, filtered
from .options import add_options, settings_from


def add_count_options(p, skip=()) -> None:
    """The count settings and the detector's folder (the groups command takes them too)."""
    from ..people.settings import CountSettings

    add_options(p, CountSettings, skip)
    p.add_argument("--detect-models", default=None,
                   help="folder with the ONNX detector files (ComfyUI's models/anime_detect; default: none, "
                        "so 'auto' uses the ink detector)")


def add_parser(sub) -> None:
    p = sub.add_parser("count", help="PersonCountFilter: frame set -> frames with min..max characters")
    add_frameset_argument(p)
    add_count_options(p)
    add_device_option(p)
    p.set_defaults(run=run)


def run(args) -> dict:
    from ..frameset import load
    from ..people.report import count_report, count_sheet
    from ..people.run import count_people
    from ..people.settings import CountSettings

    result = count_people(load(args.frameset), settings_from(args, CountSettings), TerminalProgress(),
                          device=args.device, models_dir=args.detect_models)
    return filtered(args, "count", result, count_report(result), "count_preview.png", count_sheet(result.kept),
                    "preview with labelled boxes")
