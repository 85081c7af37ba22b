"""``sample LORA --checkpoint CKPT``: LineArtSampler without a host, the LoRA merged into the
checkpoint and sampled with the trainer's DDIM, cleaned and raw pictures written to ``--out``."""

from pathlib import Path

from .common import add_device_option, write_rgb
from .options import add_options, settings_from
from .train import CHECKPOINT_HELP


def add_parser(sub) -> None:
    from ..sample.settings import SampleSettings

    p = sub.add_parser("sample", help="LineArtSampler: LoRA + its checkpoint -> line art of the named characters")
    p.add_argument("lora", help="the LoRA file (.safetensors) the train stage wrote, or any kohya LoRA of the "
                                "checkpoint's family")
    p.add_argument("--checkpoint", required=True, help=CHECKPOINT_HELP)
    p.add_argument("--dataset", default=None, help="the caption stage's --out folder (it holds dataset.json): its "
                   "groups' pinned tokens start the prompt (default: the head captions are written with)")
    p.add_argument("--every-group", action="store_true",
                   help="draw every group of --dataset in turn, instead of --characters")
    add_options(p, SampleSettings)
    add_device_option(p)
    p.set_defaults(run=run)


def _groups(args, settings, dataset) -> list:
    from ..errors import BadInputError

    if not args.every_group:
        return [settings.characters]
    if dataset is None:
        raise BadInputError("--every-group: it draws the groups of --dataset, and no --dataset was given.",
                            hint="Add --dataset <the caption stage's --out folder>, or name --characters.")
    return dataset.groups


def run(args) -> dict:
    from dataclasses import replace

    from ..dataset.run import load_dataset
    from ..runtime import resolve_device
    from ..sample.lora import merge_lora
    from ..sample.prompts import line_art_prompt
    from ..sample.run import sample_line_art
    from ..sample.settings import SampleSettings
    from ..train.family import load_backend

    settings = settings_from(args, SampleSettings)
    dataset = load_dataset(args.dataset) if args.dataset else None
    wanted = _groups(args, settings, dataset)
    for characters in wanted:               # an unknown group is refused before the checkpoint loads
        line_art_prompt(characters, settings.prompt, dataset)
    backend = load_backend(args.checkpoint, device=resolve_device(args.device))
    modules = merge_lora(backend, args.lora, settings.lora_strength) if settings.lora_strength else 0
    out = Path(args.out)
    drawn = {}
    for characters in wanted:
        sampled = sample_line_art(backend, replace(settings, characters=characters), dataset)
        label = characters or "none"
        files = []
        for k, (clean, raw) in enumerate(zip(sampled.cleaned, sampled.raw)):
            files.append(str(out / f"{label}_{k + 1}.png"))
            write_rgb(Path(files[-1]), clean)
            write_rgb(out / f"{label}_{k + 1}_raw.png", raw)
        drawn[label] = {"positive": sampled.positive, "pictures": files}
        if not args.json:
            print(f"{label}: {sampled.positive}\n  " + "\n  ".join(files))
    return {"lora": args.lora, "modules": modules, "groups": drawn}
