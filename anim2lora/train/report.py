"""What a training run did, in numbers: steps and epochs, time per step, how the loss moved,
the file and what it carries, and every note (fallbacks, resume)."""

from .loop import TrainResult
from .settings import TrainSettings


def _mean(values) -> float:
    return sum(values) / len(values) if values else float("nan")


def loss_summary(losses) -> dict:
    """Mean loss over the first and last tenth of the steps (single losses are noise: timesteps
    are drawn at random)."""
    n = max(1, len(losses) // 10)
    return {"first": round(_mean(losses[:n]), 5), "last": round(_mean(losses[-n:]), 5), "window": n}


def train_report(result: TrainResult, settings: TrainSettings) -> str:
    s = settings
    lines = [f"TrainLoRA: {result.steps}/{result.total_steps} steps ({result.steps_per_epoch} per epoch x "
             f"{s.epochs} epochs{f', max_steps {s.max_steps}' if s.max_steps else ''}) on {result.images} pictures; "
             f"{result.seconds:.1f} s ({result.setup_seconds:.1f} s loading and encoding first), "
             f"{result.seconds_per_step:.2f} s/step",
             f"rank {s.rank} / alpha {s.alpha:g} (scale {s.alpha / s.rank:.3g}); UNet lr {s.unet_lr:g}, "
             + (f"text encoder lr {s.text_encoder_lr:g}" if s.train_text_encoder else "text encoder frozen")
             + f"; {s.optimizer}, {s.lr_scheduler} (warmup {s.warmup_steps}); batch {s.batch_size} x "
               f"accumulation {s.gradient_accumulation}",
             f"modules adapted: UNet {result.modules.get('unet', 0)}, text encoder "
             f"{result.modules.get('text_encoder', 0)}; compute {result.precision}, {result.prediction}, "
             f"{result.family}, clip skip {s.clip_skip if result.family == 'SD1.5' else 'fixed (penultimate)'}, "
             f"resolution {result.resolution or s.resolution}, latents encoded {result.latents_encoded}"
             + (f", captions encoded once {result.captions_cached}" if result.captions_cached else "")]
    if result.losses:
        summary = loss_summary(result.losses)
        lines.append(f"loss: mean of the first {summary['window']} steps {summary['first']:.4f} -> last "
                     f"{summary['window']} {summary['last']:.4f}")
    lines.append(f"LoRA: {result.lora.name}")
    lines.extend(f"checkpoint: {p.name}" for p in result.checkpoints)
    lines.extend(score_lines(result))
    lines.extend(f"NOTE {n}" for n in result.notes)
    return "\n".join(lines)


def score_lines(result: TrainResult) -> list:
    """Resemblance per scored step, and the best step's file beside the last."""
    if not result.scores:
        return []
    steps = ", ".join(f"{e['step']}: {_score(e['score'])}" for e in result.scores)
    lines = [f"resemblance score per step (mean over groups; 1 = each asked character as its references, no "
             f"fault) {steps}"]
    best, last = result.best, result.scores[-1]
    if best:
        lines.append(f"best: {best['lora'].name} at step {best['step']}, score {best['score']:.3f} (last scored "
                     f"step {last['step']}: {_score(last['score'])})")
        pieces = next(e["groups"] for e in result.scores if e["step"] == best["step"])
        lines.extend(f"  {group}: {g['score']:.3f}, drawn {g['drawn']}"
                     + (f", faults {', '.join(g['faults'])}" if g["faults"] else "") for group, g in pieces.items())
    return lines


def _score(value) -> str:
    return "-" if value is None else f"{value:.3f}"
