"""``verdict IMAGE…``: LineArtVerdict, the write-up's failures measured on generated pictures."""

import json
from pathlib import Path

from .common import TerminalProgress, add_device_option, read_refs, write_rgb
from .options import add_options, settings_from


def add_parser(sub) -> None:
    from ..verdict.settings import VerdictSettings

    p = sub.add_parser("verdict", help="the verdict: generated pictures -> the write-up's failures measured")
    p.add_argument("images", nargs="+", help="the generated pictures (PNG or JPEG)")
    p.add_argument("--refs", nargs="+", action="extend", default=[], metavar="NAME=IMAGE",
                   help="reference stills of each character alone (1-5 per character): resemblance is measured "
                        "against them")
    add_options(p, VerdictSettings)
    p.add_argument("--dataset", default=None, help="the caption stage's --out folder (it holds dataset.json): its "
                   "pictures' median stroke width is the reference line width")
    p.add_argument("--compare", default=None, metavar="VERDICT.json",
                   help="an earlier run's verdict.json: print both side by side")
    p.add_argument("--detect-models", default=None, help="ComfyUI's models/anime_detect folder (default: none, so "
                   "characters are counted with the ink detector)")
    p.add_argument("--embed-models", default=None, help="ComfyUI's models/ccip folder (default: none, so "
                   "resemblance uses the offline features)")
    add_device_option(p)
    p.set_defaults(run=run)


def run_label(path: Path) -> str:
    """What to call an earlier verdict file: every run writes verdict.json (often into a folder
    named verdict), so the nearest other folder name says which run it was (v1/verdict/verdict.json
    is v1)."""
    if path.stem != "verdict":
        return path.stem
    absolute = path.absolute()
    return next((p.name for p in absolute.parents if p.name and p.name != "verdict"), "earlier")


def _earlier(path: str) -> dict:
    from ..errors import BadInputError
    from ..verdict.report import compare

    try:
        earlier = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(earlier, dict) or not {"images", "summary"} <= set(earlier):
            raise ValueError("it has no images and summary")
        compare(earlier, earlier)      # every number the side-by-side reads, checked before judging
    except (OSError, ValueError, LookupError, TypeError, AttributeError, ArithmeticError) as e:
        raise BadInputError(f"--compare {path}: cannot read it as a verdict ({e}).",
                            hint="Give the verdict.json an earlier verdict run wrote.") from None
    return earlier


def run(args) -> dict:
    from ..verdict.report import compare, markdown
    from ..verdict.run import dataset_line_width, judge, read_pictures
    from ..verdict.settings import VerdictSettings

    earlier = _earlier(args.compare) if args.compare else None
    settings = settings_from(args, VerdictSettings)
    width = settings.line_width or (dataset_line_width(args.dataset) if args.dataset else None)
    verdict = judge(read_pictures(args.images), read_refs(args.refs, "--refs"), settings.ask, width,
                    TerminalProgress(), device=args.device, detect_models=args.detect_models,
                    embed_models=args.embed_models)
    result = verdict.to_json()
    report = markdown(result)
    if earlier is not None:
        result["compare"] = compare(earlier, result, (run_label(Path(args.compare)), "this run"))
        report += "\n\n" + result["compare"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_verdict(out, "verdict", verdict)
    (out / "verdict.md").write_text(report + "\n", encoding="utf-8")
    if not args.json:
        print(report)
        print(f"annotated pictures: {out / 'verdict.png'}")
    return {**result, "grid": str(out / "verdict.png"), "report": str(out / "verdict.md")}


def write_verdict(out: Path, stem: str, verdict) -> dict:
    """``<stem>.json`` (what ``verdict --compare`` reads) and ``<stem>.png`` (the annotated grid);
    the JSON written."""
    from ..verdict.report import grid

    data = verdict.to_json()
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    write_rgb(out / f"{stem}.png", grid(verdict))
    return data
