"""``compose GROUPS_DIR --ref NAME=IMAGE…``: PairCompose, composed two-character pictures from
clean solo frames beside each pair group's real frames, and each character's own stills."""

from pathlib import Path

from .common import TerminalProgress, add_device_option, add_groups_argument, read_refs, write_outputs
from .options import add_options, settings_from

STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


def add_parser(sub) -> None:
    from ..compose.settings import ComposeSettings

    p = sub.add_parser("compose", help="PairCompose: GroupSplit's folder + reference stills -> the same groups "
                       "with composed pairs and stills")
    add_groups_argument(p)
    p.add_argument("--ref", action="append", required=True, metavar="NAME=IMAGE",
                   help="the reference stills GroupSplit named the characters with; repeat")
    p.add_argument("--stills", action="append", default=[], metavar="NAME=PATH",
                   help="your own drawn stills of one character alone: an image or a folder of them; repeat")
    add_options(p, ComposeSettings)
    p.add_argument("--recheck", action="store_true",
                   help="judge the saved composed pictures again with the verdict's analyzers (held-out check)")
    p.add_argument("--detect-models", default=None, help="ComfyUI's models/anime_detect folder (default: none)")
    p.add_argument("--embed-models", default=None, help="ComfyUI's models/ccip folder (default: none)")
    add_device_option(p)
    p.set_defaults(run=run)


def read_stills(pairs) -> dict:
    """NAME=PATH pairs (an image, or a folder whose images are read in name order) as character
    name -> BGR stills."""
    from ..errors import BadInputError

    files = []
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise BadInputError(f"--stills '{pair}': write NAME=PATH, e.g. --stills A=drawn/A.")
        folder = Path(path)
        if folder.is_dir():
            found = sorted(p for p in folder.iterdir() if p.suffix.lower() in STILL_SUFFIXES and p.is_file())
            if not found:
                raise BadInputError(f"--stills {name}: {folder} holds no picture ({', '.join(STILL_SUFFIXES)}).")
            files += [f"{name}={p}" for p in found]
        else:
            files.append(pair)
    return read_refs(files, "--stills")


def recheck(groups, stills, device: str, detect_models, embed_models) -> dict:
    """The saved composed pictures judged again, file by file, by the verdict (the same detector,
    rules and embedder, its own reading of the files): how many it labels as their group."""
    from ..verdict.run import judge, read_pictures

    out = {}
    for g, s in groups.composed.items():
        verdict = judge(read_pictures([s.image_path(r) for r in s.kept]), stills, g, device=device,
                        detect_models=detect_models, embed_models=embed_models)
        agree = sum(1 for image in verdict.images if image["drawn"] == g)
        out[g] = {"pictures": len(verdict.images), "as_asked": agree,
                  "agree": round(agree / len(verdict.images), 4) if verdict.images else 0.0}
    return out


def run(args) -> dict:
    from ..compose.report import compose_report, compose_sheet
    from ..compose.run import compose
    from ..compose.settings import ComposeSettings
    from ..people.export import load_groups

    stills = read_refs(args.ref)
    device = args.device
    result = compose(load_groups(args.groups), stills, Path(args.out), settings_from(args, ComposeSettings),
                     TerminalProgress(), drawn=read_stills(args.stills), device=device,
                     detect_models=args.detect_models, embed_models=args.embed_models)
    report = compose_report(result)
    checked = recheck(result.groups, stills, device, args.detect_models, args.embed_models) if args.recheck else None
    if checked is not None:
        report += "\n" + "\n".join(f"held-out check of the saved files: {g}: {c['as_asked']} of {c['pictures']} "
                                   f"judged {g} by the verdict ({c['agree']:.0%})" for g, c in checked.items())
    preview = write_outputs(args, "compose", report, "compose_preview.png", compose_sheet(result),
                            "real and composed pairs")
    return {**result.summary, "preview": preview, **({"recheck": checked} if checked is not None else {})}
