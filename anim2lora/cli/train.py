"""``train DATASET_DIR --checkpoint CKPT``: TrainLoRA, a kohya LoRA from a caption run's dataset."""

import signal
import sys
from pathlib import Path

from ..progress import Progress
from .common import add_device_option, read_refs, write_rgb
from .options import add_options, settings_from

CHECKPOINT_HELP = ("a single-file SD1.5 or SDXL-family (SDXL 1.0, Illustrious, NoobAI, Pony) checkpoint "
                   "(.safetensors or .ckpt), as kept in ComfyUI's models/checkpoints")


def add_parser(sub) -> None:
    from ..specs import declared
    from ..train.settings import RunOptions, TrainSettings

    p = sub.add_parser("train", help="TrainLoRA: kohya dataset + SD1.5 or SDXL-family checkpoint -> LoRA (kohya "
                                     "format)")
    p.add_argument("dataset", help="the --out folder of the caption stage (it holds dataset.json)")
    p.add_argument("--checkpoint", required=True, help=CHECKPOINT_HELP)
    # the name defaults to --out's own when --out names the file
    p.add_argument("--name", default=None,
                   help=declared(TrainSettings)["name"].help + " (default: the --out file's stem, or anim2lora)")
    add_options(p, TrainSettings, skip=("name",))
    add_options(p, RunOptions)
    p.add_argument("--ref", action="append", default=[], metavar="NAME=IMAGE",
                   help="a reference still of one character alone, as for groups (repeat; 1-5 per character): "
                        "--score-every-n-steps scores resemblance against them")
    p.add_argument("--detect-models", default=None, help="ComfyUI's models/anime_detect folder, for scoring "
                   "(default: none, so characters are counted with the ink detector)")
    p.add_argument("--embed-models", default=None, help="ComfyUI's models/ccip folder, for scoring (default: none, "
                   "so resemblance uses the offline features)")
    add_device_option(p)
    p.set_defaults(run=run, out_may_be_file=".safetensors")


class TrainProgress(Progress):
    """Step, loss and time left on one terminal line; Ctrl-C asks the loop to stop after the
    step it is in, so the LoRA and the state are saved."""

    def __init__(self):
        super().__init__()
        self.last = {}

    def event(self, event: dict) -> None:
        if "loss" in event:            # a step's (a score's event has no loss)
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


def train_and_write(dataset, checkpoint: str, lora: Path, settings, device: str, resume: bool = True, scorer=None):
    """Train and write the LoRA, its loss curve, report and previews beside it; the result, the
    report and the backend (with the LoRA in it).  ``scorer``: resemblance scoring's (``--ref``)."""
    from ..runtime import resolve_device
    from ..train.curve import loss_picture
    from ..train.family import load_backend
    from ..train.loop import train
    from ..train.report import train_report

    device = resolve_device(device)
    backend = load_backend(checkpoint, device=device)      # SD1.5 or SDXL family, read from the file
    progress = TrainProgress()
    previous = signal.signal(signal.SIGINT, lambda *_: progress.cancel_event.set())
    try:
        result = train(backend, dataset, settings, lora, state_dir=lora.parent / "train_state" / lora.stem,
                       latent_dir=lora.parent / "latents", base_model=Path(checkpoint).name, progress=progress,
                       on_event=progress.event, resume=resume, scorer=scorer)
    finally:
        signal.signal(signal.SIGINT, previous)
    report = train_report(result, settings)
    write_rgb(lora.with_name(f"{lora.stem}_loss.png"), loss_picture(result.losses, f"{lora.stem} loss"))
    lora.with_name(f"{lora.stem}_report.txt").write_text(report + "\n", encoding="utf-8")
    for group, epoch, picture in result.previews:
        write_rgb(lora.with_name(f"{lora.stem}_preview_{group}_{epoch:03d}.png"), picture)
    return result, report, backend


def train_summary(result) -> dict:
    from ..train.report import loss_summary

    return {"lora": str(result.lora), "steps": result.steps, "total_steps": result.total_steps,
            "seconds_per_step": round(result.seconds_per_step, 3), "loss": loss_summary(result.losses),
            "losses": [round(v, 5) for v in result.losses], "checkpoints": [str(p) for p in result.checkpoints],
            "resumed_from": result.resumed_from, "notes": result.notes, "modules": result.modules,
            "scores": result.scores, "best": {**result.best, "lora": str(result.best["lora"])} if result.best else None}


def scorer_from(args):
    """The resemblance scorer of ``--ref`` (None without references, or when scoring is off)."""
    if not args.ref or not args.score_every_n_steps:
        return None
    from ..runtime import resolve_device
    from ..verdict.score import ResemblanceScorer

    return ResemblanceScorer(read_refs(args.ref), device=resolve_device(args.device), detect_models=args.detect_models,
                             embed_models=args.embed_models)


def run(args) -> dict:
    from ..dataset.run import load_dataset
    from ..train.settings import TrainSettings

    settings = settings_from(args, TrainSettings, name=_lora_name(Path(args.out), args.name))
    lora = _lora_target(Path(args.out), settings.name)
    result, report, _ = train_and_write(load_dataset(args.dataset), args.checkpoint, lora, settings, args.device,
                                        args.resume, scorer_from(args))
    if not args.json:
        print(report)
    return train_summary(result)
