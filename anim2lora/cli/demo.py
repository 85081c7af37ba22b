"""``demo``, ``democlip`` and ``realclip``: the whole pipeline on the demo clip, and the clips the
tests and benchmarks are made of."""

from pathlib import Path

from ..demo.real_shots import HALVES
from ..errors import BadInputError
from .common import TerminalProgress, write_rgb
from .train import train_and_write, train_summary
from .verdict import write_verdict


def add_parser(sub) -> None:
    p = sub.add_parser("democlip", help="write the demo clip and its per-frame truth")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--loops", type=int, default=1)
    p.set_defaults(run=run_democlip)

    p = sub.add_parser("realclip", help="write a half of the realistic development set: clip, truth, reference stills")
    p.add_argument("--half", choices=HALVES, default="holdout",
                   help="tune detection on 'tune', check it on 'check', 'probe', 'scout', 'sweep' and 'spot', "
                        "estimate on 'trial', 'gauge', 'audit' and 'field', report on 'holdout'")
    p.add_argument("--style", choices=("colour", "line"), default="colour")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--shots", type=int, default=None,
                   help="only the half's first N shots, a shorter clip (its first 3 hold A alone, B alone and A+B; "
                        "its first 12 every shot kind once); default: all")
    p.set_defaults(run=run_realclip)

    p = sub.add_parser("demo", help="run every stage on the demo clip")
    p.add_argument("--checkpoint", default=None, help="an SD1.5 checkpoint: also train a LoRA on the demo dataset "
                   "(at 256 px; default: stop at the dataset)")
    p.add_argument("--max-steps", dest="max_steps", type=int, default=30, help="training steps with --checkpoint "
                   "(default: 30)")
    p.set_defaults(run=run_demo)


def demo_verdict(backend, dataset, stills, out: Path):
    """Two line-art samples of every group, drawn with the LoRA just trained, judged against the
    reference stills: the write-up's failure table for the demo's LoRA."""
    from ..sample.run import sample_line_art
    from ..sample.settings import SampleSettings
    from ..verdict.bleed import merge
    from ..verdict.report import bleed_table, markdown
    from ..verdict.run import dataset_line_width, judge

    by_group = {}
    for group in dataset.groups:
        drawn = sample_line_art(backend, SampleSettings(characters=group, steps=20, width=256, height=256,
                                                        batch_size=2), dataset)
        for k, rgb in enumerate(drawn.raw):       # as drawn: the clean-up would hide what is judged
            path = out / f"{group}_{k + 1}.png"
            write_rgb(path, rgb)
            by_group.setdefault(group, []).append((str(path), rgb[..., ::-1].copy()))
    width = dataset_line_width(dataset.folder)
    verdicts = {}
    for g in sorted(by_group):
        verdict = judge(by_group[g], stills, g, width)
        # one file per group, in the verdict command's shape: `verdict --compare` reads it
        verdicts[g] = write_verdict(out, f"verdict_{g}", verdict)
    report = "\n\n".join(f"### {g}\n{markdown(v)}" for g, v in verdicts.items())
    table = merge([v["summary"]["bleed"] for v in verdicts.values()])
    if table:           # every group's row in one table: asked A, was B drawn?
        report += "\n\nAll groups together.\n\n" + bleed_table(table)
    (out / "verdict.md").write_text(report + "\n", encoding="utf-8")
    return verdicts, report


def run_democlip(args) -> dict:
    from ..demo.clip import write_clip

    out = Path(args.out) / "demo.mp4"
    truth = write_clip(out, args.width, args.height, args.loops)
    if not args.json:
        print(f"demo clip: {out} ({len(truth)} frames), truth: {out}.truth.json")
    return {"video": str(out), "truth": f"{out}.truth.json", "frames": len(truth)}


def run_realclip(args) -> dict:
    from ..demo.real_scenes import write_real_set

    if args.shots is not None and args.shots < 1:
        raise BadInputError(f"--shots {args.shots}: give 1 or more shots, or leave it out for the whole half.")
    written = write_real_set(Path(args.out), args.half, args.style, args.width, args.height, args.shots)
    if not args.json:
        refs = " ".join(f"--ref {n}={p}" for n, paths in written["refs"].items() for p in paths)
        print(f"real-set clip ({args.half} half, {args.style}): {written['video']} ({written['frames']} frames), "
              f"truth: {written['truth']}\nreference stills: {refs}")
    return written


def run_demo(args) -> dict:
    """The whole pipeline on the demo clip, with every stage that exists so far (PairCompose's
    composed pairs and the reference stills included)."""
    from ..demo.clip import write_clip
    from ..extract.report import text_report as extract_report
    from ..extract.run import extract
    from ..extract.settings import ExtractSettings
    from ..preview import contact_sheet
    from ..compose.report import compose_report, compose_sheet
    from ..compose.run import compose
    from ..dataset.report import caption_report
    from ..dataset.run import build_dataset
    from ..demo.people_scenes import reference_stills
    from ..lineart.run import lineart_report, lineart_sheet, prep_lineart
    from ..people.export import export_groups, load_groups
    from ..people.group_report import group_report, group_sheet
    from ..people.groups import group_split
    from ..people.report import count_report, count_sheet
    from ..people.run import count_people
    from ..text.report import rejected_sheet, text_report
    from ..text.run import text_filter

    out = Path(args.out)
    video = out / "demo.mp4"
    if not video.is_file():
        write_clip(video)
    extracted = extract(video, out / "cache", ExtractSettings(), TerminalProgress())
    write_rgb(out / "extract_preview.png", contact_sheet(extracted.frames))
    texted = text_filter(extracted.frames, progress=TerminalProgress())
    write_rgb(out / "text_rejected.png", rejected_sheet(texted.rejected))
    counted = count_people(texted.kept, progress=TerminalProgress())
    write_rgb(out / "count_preview.png", count_sheet(counted.kept))
    refs_dir = out / "references"
    stills = {}
    for name in ("A", "B"):          # drawn in poses of their own, as a user would hand them over
        stills[name] = []
        for k, rgb in enumerate(reference_stills(name, 2)):
            write_rgb(refs_dir / f"{name}{k + 1}.png", rgb)
            stills[name].append(rgb[..., ::-1].copy())
    grouped = group_split(counted.kept, stills, progress=TerminalProgress())
    export_groups(grouped.groups, grouped.crops, out / "groups")
    write_rgb(out / "groups_preview.png", group_sheet(grouped))
    composed = compose(load_groups(out / "groups"), stills, out / "composed", progress=TerminalProgress())
    write_rgb(out / "compose_preview.png", compose_sheet(composed))
    drawn = prep_lineart(composed.groups, out / "lineart", progress=TerminalProgress())
    write_rgb(out / "lineart_preview.png", lineart_sheet(drawn))
    captioned = build_dataset(drawn.groups, out / "dataset", progress=TerminalProgress())
    trained = None
    if args.checkpoint:
        from ..train.settings import TrainSettings

        settings = TrainSettings(name="demo", resolution=256, max_steps=args.max_steps)
        trained = train_and_write(captioned.dataset, args.checkpoint, out / "loras" / "demo.safetensors", settings,
                                  "auto")
        judged = demo_verdict(trained[2], captioned.dataset, stills, out / "verdict")
    if not args.json:
        print(extract_report(extracted.frames, extracted.cached))
        print(f"preview: {out / 'extract_preview.png'}\n")
        print(text_report(texted))
        print(f"preview of frames with text: {out / 'text_rejected.png'}\n")
        print(count_report(counted))
        print(f"preview with labelled boxes: {out / 'count_preview.png'}\n")
        print(group_report(grouped))
        print(f"group folders: {out / 'groups'}; preview: {out / 'groups_preview.png'}\n")
        print(compose_report(composed))
        print(f"real and composed pairs: {out / 'compose_preview.png'}\n")
        print(lineart_report(drawn))
        print(f"before and after: {out / 'lineart_preview.png'}\n")
        print(caption_report(captioned))
        if trained:
            print(f"\n{trained[1]}\nloss curve: {out / 'loras' / 'demo_loss.png'}")
            print(f"\n{judged[1]}\nannotated samples: {out / 'verdict'}/verdict_<group>.png")
    return {**({"train": train_summary(trained[0]), "verdict": judged[0]} if trained else {}),
            "video": str(video), "extract": extracted.summary, "preview": str(out / "extract_preview.png"),
            "text": texted.summary, "text_preview": str(out / "text_rejected.png"),
            "count": counted.summary, "count_preview": str(out / "count_preview.png"),
            "groups": grouped.summary, "groups_preview": str(out / "groups_preview.png"),
            "compose": composed.summary, "compose_preview": str(out / "compose_preview.png"),
            "lineart_preview": str(out / "lineart_preview.png"), "dataset": captioned.dataset.summary}
