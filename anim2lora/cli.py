"""``python -m anim2lora STAGE INPUT… --out DIR [--json]``: every stage, headless.

Each stage reads what the previous one wrote (a frame-set manifest) and prints either a report
or, with ``--json``, a machine-readable summary on stdout.  Errors print one line to stderr and
exit with status 2; a cancel (Ctrl-C) exits with 130 and leaves no half-written set behind.
"""

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from .errors import Anim2LoRAError, CancelledError
from .progress import Progress


class _TerminalProgress(Progress):
    def report(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            pct = f"{100 * done / total:5.1f}%" if total else ""
            print(f"\r  {done}/{total} frames {pct}", end="", file=sys.stderr, flush=True)


def _add_extract_options(p: argparse.ArgumentParser) -> None:
    from .extract.settings import SAMPLING_HELP, SAMPLING_MODES, SPECS, ExtractSettings

    defaults = ExtractSettings()
    p.add_argument("--sampling", choices=SAMPLING_MODES, default=defaults.sampling,
                   help=f"{SAMPLING_HELP} (default: {defaults.sampling})")
    _add_number_options(p, SPECS, defaults)


def _extract_settings(args):
    from .extract.settings import ExtractSettings

    return ExtractSettings(**{f.name: getattr(args, f.name) for f in fields(ExtractSettings)})


def cmd_extract(args) -> dict:
    from .extract.report import text_report
    from .extract.run import extract

    result = extract(Path(args.video), Path(args.out), _extract_settings(args), _TerminalProgress())
    if not args.json:
        print(text_report(result.frames, result.cached))
    return result.summary


def _add_device_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")


def _add_number_options(p: argparse.ArgumentParser, specs, defaults) -> None:
    for name, spec in specs.items():
        default = getattr(defaults, name)
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, type=type(default), default=default,
                       help=f"{spec.help} (default: {default})".replace("%", "%%"))


def _add_text_options(p: argparse.ArgumentParser) -> None:
    from .text.backends import BACKEND_NAMES
    from .text.settings import ACTION_HELP, ACTIONS, BACKEND_HELP, DOWNLOAD_HELP, SPECS, TextSettings

    d = TextSettings()
    p.add_argument("--backend", choices=BACKEND_NAMES, default=d.backend, help=BACKEND_HELP)
    p.add_argument("--action", choices=ACTIONS, default=d.action, help=ACTION_HELP.replace("%", "%%"))
    _add_number_options(p, SPECS, d)
    p.add_argument("--full", dest="fast", action="store_false",
                   help="Read every full frame instead of the quick look (slow; for checking).")
    p.add_argument("--allow-download", action="store_true", help=DOWNLOAD_HELP)
    p.add_argument("--models-dir", default=None,
                   help="folder with easyocr's model files (default: easyocr's own ~/.EasyOCR/model)")
    _add_device_option(p)


def cmd_text(args) -> dict:
    from .frameset import load
    from .text.report import rejected_sheet, text_report
    from .text.run import text_filter
    from .text.settings import TextSettings

    names = TextSettings.__dataclass_fields__
    settings = TextSettings(**{k: v for k, v in vars(args).items() if k in names})
    result = text_filter(load(args.frameset), settings, _TerminalProgress(), device=args.device,
                         models_dir=args.models_dir)
    preview = _write_outputs(args, "text", text_report(result), "text_rejected.png", rejected_sheet(result.rejected),
                             "preview of frames with text")
    return {**result.summary, "preview": preview}


def _write_rgb(path: Path, rgb) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def _write_outputs(args, stage: str, report: str, preview_name: str, preview, what: str) -> str:
    """A stage's report (``<stage>_report.txt``) and preview picture in ``--out``; the report is
    printed unless ``--json``.  Returns the preview's path."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stage}_report.txt").write_text(report + "\n", encoding="utf-8")
    _write_rgb(out / preview_name, preview)
    if not args.json:
        print(report)
        print(f"{what}: {out / preview_name}")
    return str(out / preview_name)


def _add_count_options(p: argparse.ArgumentParser) -> None:
    from .people.detectors import DETECTOR_NAMES
    from .people.settings import (DETECTOR_HELP, DOWNLOAD_HELP, FRAMING_CHOICES, FRAMINGS_HELP, OVERLAP_HELP, SPECS,
                                  CountSettings)

    d = CountSettings()
    p.add_argument("--detector", choices=DETECTOR_NAMES, default=d.detector, help=DETECTOR_HELP)
    _add_number_options(p, SPECS, d)
    p.add_argument("--keep-overlap", action="store_true", help=OVERLAP_HELP)
    p.add_argument("--framings", choices=FRAMING_CHOICES, default=d.framings, help=FRAMINGS_HELP)
    p.add_argument("--allow-download", action="store_true", help=DOWNLOAD_HELP)
    p.add_argument("--detect-models", default=None,
                   help="folder with the ONNX detector files (ComfyUI's models/anime_detect; default: none, "
                        "so 'auto' uses the ink detector)")
    _add_device_option(p)


def _count_settings(args):
    from .people.settings import CountSettings

    names = CountSettings.__dataclass_fields__
    return CountSettings(**{k: v for k, v in vars(args).items() if k in names})


def _add_group_options(p: argparse.ArgumentParser) -> None:
    from .people.groups import EMBEDDER_HELP, SPECS, GroupSettings
    from .people.identity import EMBEDDER_NAMES

    d = GroupSettings()
    p.add_argument("--embedder", choices=EMBEDDER_NAMES, default=d.embedder, help=EMBEDDER_HELP)
    _add_number_options(p, SPECS, d)
    p.add_argument("--no-crops", dest="crops", action="store_false", help="do not cut out per-character crops")
    p.add_argument("--embed-models", default=None,
                   help="folder with the CCIP model folder (ComfyUI's models/ccip; default: none, so 'auto' "
                        "uses the offline features)")
    p.add_argument("--recount", action="store_true",
                   help="count again with the count options given here (--detector, --min-count, ...) instead of "
                        "taking the count stage's judgement; frames outside the range are rejected")
    _add_count_options(p)


def cmd_count(args) -> dict:
    from .frameset import load
    from .people.report import count_report, count_sheet
    from .people.run import count_people

    result = count_people(load(args.frameset), _count_settings(args), _TerminalProgress(), device=args.device,
                          models_dir=args.detect_models)
    preview = _write_outputs(args, "count", count_report(result), "count_preview.png", count_sheet(result.kept),
                             "preview with labelled boxes")
    return {**result.summary, "preview": preview}


def _read_refs(pairs, flag: str = "--ref") -> dict:
    import cv2

    from .errors import BadInputError
    from .images import check_reference, read_image

    stills: dict = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise BadInputError(f"{flag} '{pair}': write NAME=IMAGE, e.g. {flag} A=a1.png.")
        img = read_image(path, cv2.IMREAD_UNCHANGED, f"{flag} {name}: the image", hint="Give a PNG or JPEG still.")
        check_reference(img, f"{flag} {name}: {path}")
        stills.setdefault(name.strip(), []).append(img)
    return stills


def cmd_groups(args) -> dict:
    from .frameset import load
    from .people.export import export_groups
    from .people.group_report import group_report, group_sheet
    from .people.groups import GroupSettings, group_split

    stills = _read_refs(args.ref)
    names = GroupSettings.__dataclass_fields__
    settings = GroupSettings(**{k: v for k, v in vars(args).items() if k in names})
    frames = load(args.frameset)
    count_settings = _count_settings(args) if args.recount else None
    result = group_split(frames, stills, settings, count_settings, _TerminalProgress(), device=args.device,
                         detect_models=args.detect_models, embed_models=args.embed_models)
    folders = export_groups(result.groups, result.crops, Path(args.out))
    preview = _write_outputs(args, "groups", group_report(result), "groups_preview.png", group_sheet(result),
                             f"group folders: {args.out}; preview")
    return {**result.summary, "folders": folders, "preview": preview}


def cmd_onegroup(args) -> dict:
    from .frameset import load
    from .people.single_group import single_group, single_group_report

    groups = single_group(load(args.frameset), args.name, Path(args.out))
    if not args.json:
        print(single_group_report(groups))
    return {"groups": {g: len(s) for g, s in groups.groups.items()}, "folder": str(groups.folder)}


def _add_caption_options(p: argparse.ArgumentParser) -> None:
    from .dataset.settings import (BLACKLIST_HELP, COUNT_HELP, CROPS_HELP, DOWNLOAD_HELP, SEPARATOR_HELP, SPECS,
                                   TAGGER_HELP, TRIGGER_HELP, CaptionSettings)

    d = CaptionSettings()
    p.add_argument("--tagger", default=d.tagger, help=TAGGER_HELP)
    p.add_argument("--trigger", default=d.trigger, help=TRIGGER_HELP)
    p.add_argument("--count-tag", dest="count_tag", default=d.count_tag, help=COUNT_HELP)
    p.add_argument("--keep-tokens-separator", dest="keep_tokens_separator", default=d.keep_tokens_separator,
                   help=SEPARATOR_HELP)
    p.add_argument("--blacklist", default=d.blacklist, help=BLACKLIST_HELP + " (default: the line-art list)")
    p.add_argument("--no-crops", dest="use_crops", action="store_false", help=CROPS_HELP + " (on by default)")
    _add_number_options(p, SPECS, d)
    p.add_argument("--allow-download", action="store_true", help=DOWNLOAD_HELP)
    p.add_argument("--tagger-models", default=None, help="ComfyUI's models/wd14_tagger folder (default: none, "
                   "so 'auto' captions offline)")
    _add_device_option(p)


def cmd_caption(args) -> dict:
    from .dataset.report import caption_report
    from .dataset.run import build_dataset
    from .dataset.settings import CaptionSettings
    from .people.export import load_groups

    names = CaptionSettings.__dataclass_fields__
    settings = CaptionSettings(**{k: v for k, v in vars(args).items() if k in names})
    result = build_dataset(load_groups(args.groups), Path(args.out), settings, _TerminalProgress(),
                           device=args.device, models_dir=args.tagger_models)
    report = caption_report(result)
    (Path(args.out) / "caption_report.txt").write_text(report + "\n", encoding="utf-8")
    if not args.json:
        print(report)
    return {**result.dataset.summary, "warnings": result.warnings}


def _add_lineart_options(p: argparse.ArgumentParser) -> None:
    from .lineart.run import METHOD_HELP, SPECS, LineArtSettings

    d = LineArtSettings()
    p.add_argument("--method", default=d.method, help=METHOD_HELP)
    _add_number_options(p, SPECS, d)
    p.add_argument("--keep-outside", dest="whiten_outside", action="store_false",
                   help="keep what lies outside the characters' boxes (default: it turns white)")
    p.add_argument("--lineart-models", default=None, help="ComfyUI's models/lineart folder (default: none)")
    _add_device_option(p)


def cmd_lineart(args) -> dict:
    from .lineart.run import LineArtSettings, lineart_report, lineart_sheet, prep_lineart
    from .people.export import load_groups

    settings = LineArtSettings(args.method, args.resolution, args.whiten_outside)
    result = prep_lineart(load_groups(args.groups), Path(args.out), settings, _TerminalProgress(), device=args.device,
                          models_dir=args.lineart_models)
    preview = _write_outputs(args, "lineart", lineart_report(result), "lineart_preview.png", lineart_sheet(result),
                             "before and after")
    return {"groups": {g: [r["index"] for r in s.kept] for g, s in result.groups.groups.items()},
            "folder": str(result.groups.folder), "method": result.method, "preview": preview,
            "stroke_width": {k: (round(float(sorted(v)[len(v) // 2]), 2) if v else 0.0)
                             for k, v in result.strokes.items()}}


def _add_train_options(p: argparse.ArgumentParser) -> None:
    from .train.settings import CHOICES, HELP, SPECS, TrainSettings

    d = TrainSettings()
    p.add_argument("--checkpoint", required=True, help="a single-file SD1.5 or SDXL-family (SDXL 1.0, Illustrious, "
                   "NoobAI, Pony) checkpoint (.safetensors or .ckpt), "
                   "as kept in ComfyUI's models/checkpoints")
    p.add_argument("--name", default=None, help=HELP["name"] + " (default: the --out file's stem, or anim2lora)")
    _add_number_options(p, SPECS, d)
    for name, allowed in CHOICES.items():
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, choices=allowed, default=getattr(d, name),
                       help=f"{HELP[name]} (default: {getattr(d, name)})".replace("%", "%%"))
    p.add_argument("--no-gradient-checkpointing", dest="gradient_checkpointing", action="store_false",
                   help=(HELP["gradient_checkpointing"] + " (on by default)").replace("%", "%%"))
    p.add_argument("--no-shuffle-caption", dest="shuffle_caption", action="store_false",
                   help=(HELP["shuffle_caption"] + " (on by default)").replace("%", "%%"))
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="start over even when a stopped run of the same name left a state")
    _add_device_option(p)


class _TrainProgress(Progress):
    """Step, loss and time left on one terminal line; Ctrl-C asks the loop to stop after the
    step it is in, so the LoRA and the state are saved."""

    def __init__(self):
        super().__init__()
        self.last = {}

    def event(self, event: dict) -> None:
        self.last = event

    def report(self, done: int, total: int) -> None:
        e = self.last
        if sys.stderr.isatty() and "loss" in e:
            print(f"\r  step {done}/{total}  loss {e['loss']:.4f}  {e['seconds_per_step']:.2f} s/step  "
                  f"{e['seconds_left'] / 60:.1f} min left ", end="", file=sys.stderr, flush=True)


def _lora_name(out: Path, name) -> str:
    """--name, else the --out file's stem, else anim2lora: TrainSettings checks it before it is
    joined to a folder (an absolute or ../ name would leave --out)."""
    return name if name is not None else (out.stem if out.suffix == ".safetensors" else "anim2lora")


def _lora_target(out: Path, name: str) -> Path:
    return out.with_name(f"{name}.safetensors") if out.suffix == ".safetensors" else out / f"{name}.safetensors"


def _train(dataset, checkpoint: str, lora: Path, settings, device: str, resume: bool = True):
    """Train and write the LoRA, its loss curve, report and previews beside it; the result and
    the report."""
    import signal

    from .runtime import resolve_device
    from .train.curve import loss_picture
    from .train.family import load_backend
    from .train.loop import train
    from .train.report import train_report

    device = resolve_device(device)
    backend = load_backend(checkpoint, device=device)      # SD1.5 or SDXL family, read from the file
    progress = _TrainProgress()
    previous = signal.signal(signal.SIGINT, lambda *_: progress.cancel_event.set())
    try:
        result = train(backend, dataset, settings, lora, state_dir=lora.parent / "train_state" / lora.stem,
                       latent_dir=lora.parent / "latents", base_model=Path(checkpoint).name, progress=progress,
                       on_event=progress.event, resume=resume)
    finally:
        signal.signal(signal.SIGINT, previous)
    report = train_report(result, settings)
    _write_rgb(lora.with_name(f"{lora.stem}_loss.png"), loss_picture(result.losses, f"{lora.stem} loss"))
    lora.with_name(f"{lora.stem}_report.txt").write_text(report + "\n", encoding="utf-8")
    for group, epoch, picture in result.previews:
        _write_rgb(lora.with_name(f"{lora.stem}_preview_{group}_{epoch:03d}.png"), picture)
    return result, report, backend


def _train_summary(result) -> dict:
    from .train.report import loss_summary

    return {"lora": str(result.lora), "steps": result.steps, "total_steps": result.total_steps,
            "seconds_per_step": round(result.seconds_per_step, 3), "loss": loss_summary(result.losses),
            "losses": [round(v, 5) for v in result.losses], "checkpoints": [str(p) for p in result.checkpoints],
            "resumed_from": result.resumed_from, "notes": result.notes, "modules": result.modules}


def cmd_train(args) -> dict:
    from .dataset.run import load_dataset
    from .train.settings import TrainSettings

    names = TrainSettings.__dataclass_fields__
    settings = TrainSettings(**{**{k: v for k, v in vars(args).items() if k in names and k != "name"},
                                "name": _lora_name(Path(args.out), args.name)})
    lora = _lora_target(Path(args.out), settings.name)
    result, report, _ = _train(load_dataset(args.dataset), args.checkpoint, lora, settings, args.device,
                               args.resume)
    if not args.json:
        print(report)
    return _train_summary(result)


def _add_verdict_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--refs", nargs="+", action="extend", default=[], metavar="NAME=IMAGE",
                   help="reference stills of each character alone (1-5 per character): resemblance is measured "
                        "against them")
    p.add_argument("--ask", default="", help="the characters the pictures were asked for, e.g. A+B (the count and "
                   "fused heads are judged against it)")
    p.add_argument("--dataset", default=None, help="the caption stage's --out folder (it holds dataset.json): its "
                   "pictures' median stroke width is the reference line width")
    p.add_argument("--line-width", dest="line_width", type=float, default=None, metavar="PX",
                   help="the reference line width in px, instead of measuring --dataset")
    p.add_argument("--compare", default=None, metavar="VERDICT.json",
                   help="an earlier run's verdict.json: print both side by side")
    p.add_argument("--detect-models", default=None, help="ComfyUI's models/anime_detect folder (default: none, so "
                   "characters are counted with the ink detector)")
    p.add_argument("--embed-models", default=None, help="ComfyUI's models/ccip folder (default: none, so "
                   "resemblance uses the offline features)")
    _add_device_option(p)


def _run_label(path: Path) -> str:
    """What to call an earlier verdict file: every run writes verdict.json (often into a folder
    named verdict), so the nearest other folder name says which run it was (v1/verdict/verdict.json
    is v1)."""
    if path.stem != "verdict":
        return path.stem
    absolute = path.absolute()
    return next((p.name for p in absolute.parents if p.name and p.name != "verdict"), "earlier")


def cmd_verdict(args) -> dict:
    from .errors import BadInputError
    from .verdict.report import compare, markdown
    from .verdict.run import dataset_line_width, judge, read_pictures

    earlier = None
    if args.compare:
        try:
            earlier = json.loads(Path(args.compare).read_text(encoding="utf-8"))
            if not isinstance(earlier, dict) or not {"images", "summary"} <= set(earlier):
                raise ValueError("it has no images and summary")
            compare(earlier, earlier)      # every number the side-by-side reads, checked before judging
        except (OSError, ValueError, LookupError, TypeError, AttributeError, ArithmeticError) as e:
            raise BadInputError(f"--compare {args.compare}: cannot read it as a verdict ({e}).",
                                hint="Give the verdict.json an earlier verdict run wrote.") from None
    width = args.line_width or (dataset_line_width(args.dataset) if args.dataset else None)
    verdict = judge(read_pictures(args.images), _read_refs(args.refs, "--refs"), args.ask, width, _TerminalProgress(),
                    device=args.device, detect_models=args.detect_models,
                    embed_models=args.embed_models)
    result = verdict.to_json()
    report = markdown(result)
    if earlier is not None:
        result["compare"] = compare(earlier, result, (_run_label(Path(args.compare)), "this run"))
        report += "\n\n" + result["compare"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _write_verdict(out, "verdict", verdict)
    (out / "verdict.md").write_text(report + "\n", encoding="utf-8")
    if not args.json:
        print(report)
        print(f"annotated pictures: {out / 'verdict.png'}")
    return {**result, "grid": str(out / "verdict.png"), "report": str(out / "verdict.md")}


def _write_verdict(out: Path, stem: str, verdict) -> dict:
    """``<stem>.json`` (what ``verdict --compare`` reads) and ``<stem>.png`` (the annotated grid);
    the JSON written."""
    from .verdict.report import grid

    data = verdict.to_json()
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    _write_rgb(out / f"{stem}.png", grid(verdict))
    return data


def _demo_verdict(backend, dataset, stills, out: Path):
    """Two line-art samples of every group, drawn with the LoRA just trained, judged against the
    reference stills: the write-up's failure table for the demo's LoRA."""
    from .sample.run import sample_line_art
    from .sample.settings import SampleSettings
    from .verdict.bleed import merge
    from .verdict.report import bleed_table, markdown
    from .verdict.run import dataset_line_width, judge

    by_group = {}
    for sub in dataset.subsets:
        drawn = sample_line_art(backend, SampleSettings(characters=sub.group, steps=20, width=256, height=256,
                                                        batch_size=2), dataset)
        for k, rgb in enumerate(drawn.raw):       # as drawn: the clean-up would hide what is judged
            path = out / f"{sub.group}_{k + 1}.png"
            _write_rgb(path, rgb)
            by_group.setdefault(sub.group, []).append((str(path), rgb[..., ::-1].copy()))
    width = dataset_line_width(dataset.folder)
    verdicts = {}
    for g in sorted(by_group):
        verdict = judge(by_group[g], stills, g, width)
        # one file per group, in the verdict command's shape: `verdict --compare` reads it
        verdicts[g] = _write_verdict(out, f"verdict_{g}", verdict)
    report = "\n\n".join(f"### {g}\n{markdown(v)}" for g, v in verdicts.items())
    table = merge([v["summary"]["bleed"] for v in verdicts.values()])
    if table:           # every group's row in one table: asked A, was B drawn?
        report += "\n\nAll groups together.\n\n" + bleed_table(table)
    (out / "verdict.md").write_text(report + "\n", encoding="utf-8")
    return verdicts, report


def cmd_democlip(args) -> dict:
    from .demo.clip import write_clip

    out = Path(args.out) / "demo.mp4"
    truth = write_clip(out, args.width, args.height, args.loops)
    if not args.json:
        print(f"demo clip: {out} ({len(truth)} frames), truth: {out}.truth.json")
    return {"video": str(out), "truth": f"{out}.truth.json", "frames": len(truth)}


def cmd_realclip(args) -> dict:
    from .demo.real_scenes import write_real_set

    written = write_real_set(Path(args.out), args.half, args.style, args.width, args.height)
    if not args.json:
        refs = " ".join(f"--ref {n}={p}" for n, paths in written["refs"].items() for p in paths)
        print(f"real-set clip ({args.half} half, {args.style}): {written['video']} ({written['frames']} frames), "
              f"truth: {written['truth']}\nreference stills: {refs}")
    return written


def cmd_demo(args) -> dict:
    """The whole pipeline on the demo clip, with every stage that exists so far."""
    from .demo.clip import write_clip
    from .extract.report import text_report as extract_report
    from .extract.run import extract
    from .extract.settings import ExtractSettings
    from .preview import contact_sheet
    from .dataset.report import caption_report
    from .dataset.run import build_dataset
    from .demo.people_scenes import reference_stills
    from .lineart.run import lineart_report, lineart_sheet, prep_lineart
    from .people.export import export_groups, load_groups
    from .people.group_report import group_report, group_sheet
    from .people.groups import group_split
    from .people.report import count_report, count_sheet
    from .people.run import count_people
    from .text.report import rejected_sheet, text_report
    from .text.run import text_filter

    out = Path(args.out)
    video = out / "demo.mp4"
    if not video.is_file():
        write_clip(video)
    extracted = extract(video, out / "cache", ExtractSettings(), _TerminalProgress())
    _write_rgb(out / "extract_preview.png", contact_sheet(extracted.frames))
    texted = text_filter(extracted.frames, progress=_TerminalProgress())
    _write_rgb(out / "text_rejected.png", rejected_sheet(texted.rejected))
    counted = count_people(texted.kept, progress=_TerminalProgress())
    _write_rgb(out / "count_preview.png", count_sheet(counted.kept))
    refs_dir = out / "references"
    stills = {}
    for name in ("A", "B"):          # drawn in poses of their own, as a user would hand them over
        stills[name] = []
        for k, rgb in enumerate(reference_stills(name, 2)):
            _write_rgb(refs_dir / f"{name}{k + 1}.png", rgb)
            stills[name].append(rgb[..., ::-1].copy())
    grouped = group_split(counted.kept, stills, progress=_TerminalProgress())
    export_groups(grouped.groups, grouped.crops, out / "groups")
    _write_rgb(out / "groups_preview.png", group_sheet(grouped))
    drawn = prep_lineart(load_groups(out / "groups"), out / "lineart", progress=_TerminalProgress())
    _write_rgb(out / "lineart_preview.png", lineart_sheet(drawn))
    captioned = build_dataset(drawn.groups, out / "dataset", progress=_TerminalProgress())
    trained = None
    if args.checkpoint:
        from .train.settings import TrainSettings

        settings = TrainSettings(name="demo", resolution=256, max_steps=args.max_steps)
        trained = _train(captioned.dataset, args.checkpoint, out / "loras" / "demo.safetensors", settings, "auto")
        judged = _demo_verdict(trained[2], captioned.dataset, stills, out / "verdict")
    if not args.json:
        print(extract_report(extracted.frames, extracted.cached))
        print(f"preview: {out / 'extract_preview.png'}\n")
        print(text_report(texted))
        print(f"preview of frames with text: {out / 'text_rejected.png'}\n")
        print(count_report(counted))
        print(f"preview with labelled boxes: {out / 'count_preview.png'}\n")
        print(group_report(grouped))
        print(f"group folders: {out / 'groups'}; preview: {out / 'groups_preview.png'}\n")
        print(lineart_report(drawn))
        print(f"before and after: {out / 'lineart_preview.png'}\n")
        print(caption_report(captioned))
        if trained:
            print(f"\n{trained[1]}\nloss curve: {out / 'loras' / 'demo_loss.png'}")
            print(f"\n{judged[1]}\nannotated samples: {out / 'verdict'}/verdict_<group>.png")
    return {**({"train": _train_summary(trained[0]), "verdict": judged[0]} if trained else {}), "video": str(video), "extract": extracted.summary, "preview": str(out / "extract_preview.png"),
            "text": texted.summary, "text_preview": str(out / "text_rejected.png"),
            "count": counted.summary, "count_preview": str(out / "count_preview.png"),
            "groups": grouped.summary, "groups_preview": str(out / "groups_preview.png"),
            "lineart_preview": str(out / "lineart_preview.png"), "dataset": captioned.dataset.summary}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m anim2lora", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="stage", required=True)

    p = sub.add_parser("extract", help="VideoFrameExtract: video -> frame set")
    p.add_argument("video", help="the video file (mp4, mkv, webm, mov, avi, gif)")
    _add_extract_options(p)
    p.set_defaults(run=cmd_extract)

    p = sub.add_parser("text", help="TextFrameFilter: frame set -> frames without burned-in text")
    p.add_argument("frameset", help="a frame-set manifest (sets/<id>.json) printed by the previous stage")
    _add_text_options(p)
    p.set_defaults(run=cmd_text)

    p = sub.add_parser("count", help="PersonCountFilter: frame set -> frames with min..max characters")
    p.add_argument("frameset", help="a frame-set manifest (sets/<id>.json) printed by the previous stage")
    _add_count_options(p)
    p.set_defaults(run=cmd_count)

    p = sub.add_parser("groups", help="GroupSplit: frame set + reference stills -> one set per group")
    p.add_argument("frameset", help="a frame-set manifest, best from the count stage (its settings are reused)")
    p.add_argument("--ref", action="append", required=True, metavar="NAME=IMAGE",
                   help="a reference still of one character alone; repeat (1-5 per character, any number of characters)")
    _add_group_options(p)
    p.set_defaults(run=cmd_groups)

    p = sub.add_parser("onegroup", help="SingleGroup: frame set -> the same frames as one group (no names; v1)")
    p.add_argument("frameset", help="a frame-set manifest (sets/<id>.json) printed by the previous stage")
    p.add_argument("--name", default="anim", help="the group's name, pinned first in every caption (default: anim)")
    p.set_defaults(run=cmd_onegroup)

    p = sub.add_parser("lineart", help="LineArtPrep: GroupSplit's folder -> the same groups as line art")
    p.add_argument("groups", help="the --out folder of the groups stage (it holds groups.json)")
    _add_lineart_options(p)
    p.set_defaults(run=cmd_lineart)

    p = sub.add_parser("caption", help="CaptionWithKeepTokens: GroupSplit's folder -> kohya dataset")
    p.add_argument("groups", help="the --out folder of the groups stage (it holds groups.json)")
    _add_caption_options(p)
    p.set_defaults(run=cmd_caption)

    p = sub.add_parser("train", help="TrainLoRA: kohya dataset + SD1.5 or SDXL-family checkpoint -> LoRA (kohya "
                                     "format)")
    p.add_argument("dataset", help="the --out folder of the caption stage (it holds dataset.json)")
    _add_train_options(p)
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("verdict", help="the verdict: generated pictures -> the write-up's failures measured")
    p.add_argument("images", nargs="+", help="the generated pictures (PNG or JPEG)")
    _add_verdict_options(p)
    p.set_defaults(run=cmd_verdict)

    p = sub.add_parser("democlip", help="write the demo clip and its per-frame truth")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--loops", type=int, default=1)
    p.set_defaults(run=cmd_democlip)

    p = sub.add_parser("realclip", help="write a half of the realistic development set: clip, truth, reference stills")
    p.add_argument("--half", choices=("tune", "holdout"), default="holdout",
                   help="tune detection on 'tune', report on 'holdout'")
    p.add_argument("--style", choices=("colour", "line"), default="colour")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.set_defaults(run=cmd_realclip)

    p = sub.add_parser("demo", help="run every stage on the demo clip")
    p.add_argument("--checkpoint", default=None, help="an SD1.5 checkpoint: also train a LoRA on the demo dataset "
                   "(at 256 px; default: stop at the dataset)")
    p.add_argument("--max-steps", dest="max_steps", type=int, default=30, help="training steps with --checkpoint "
                   "(default: 30)")
    p.set_defaults(run=cmd_demo)

    for p in sub.choices.values():
        p.add_argument("--out", required=True, help="folder for results and the cache" + (
            " (train: the LoRA file, or a folder for it)" if p.prog.endswith(" train") else ""))
        p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    return parser


def _check_out(args) -> None:
    """``--out`` is a folder (train may also name its LoRA file): checked before any work."""
    from .errors import BadInputError

    out = Path(args.out)
    if out.exists() and not out.is_dir() and not (args.stage == "train" and out.suffix == ".safetensors"):
        raise BadInputError(f"--out {out} is a file, not a folder; nothing was written.",
                            hint="Give a folder for --out (it is made when missing).")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_out(args)
        result = args.run(args)
    except KeyboardInterrupt:
        print("\ncancelled; nothing half-written was kept (finished work stays cached for the next run).",
              file=sys.stderr)
        return 130
    except CancelledError as e:
        print(f"cancelled: {e}", file=sys.stderr)
        return 130
    except Anim2LoRAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:           # a full disk, a folder without write permission: the system's own words
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    return 0
