"""Resemblance during training: every n steps (and at the last) the run draws each group's
line-art prompt at the run's seed, a scorer judges the pictures, the score goes out as an event
beside the loss, and the LoRA of the best-scoring step is kept as ``<name>_best.safetensors``.

The scorer comes from the caller (the verdict's ``ResemblanceScorer``: ``verdict`` sits above
``train``), as the backend does: anything with ``judged(group) -> bool`` and a call that takes
(group, RGB picture) pairs and returns ``{"score": float or None, "groups": {...}}``.

Drawing never moves the training: the global random state is restored afterwards (the run's
own draws are functions of seed and step anyway), the models are back in the mode they trained
in, and sampling runs without gradients.
"""

import contextlib
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch

from ..sample.ddim import ddim_batch
from ..sample.prompts import NEGATIVE, TEMPLATE, group_prompts

SAMPLE_STEPS = 20       # DDIM steps per scored picture: LineArtSampler's default
CFG = 7.0
BEST_SUFFIX = "_best"


def best_path(lora_path: Path) -> Path:
    return lora_path.with_name(f"{lora_path.stem}{BEST_SUFFIX}{lora_path.suffix}")


class Scoring:
    """One run's scoring: what to draw, when, the scores so far and the best step."""

    def __init__(self, scorer, every: int, dataset, lora_path: Path):
        self.scorer, self.every = scorer, every
        groups = dict(group_prompts(dataset))           # a group with several subsets is drawn once
        self.prompts = [(g, TEMPLATE.format(head=head)) for g, head in groups.items() if scorer.judged(g)]
        self.skipped = [g for g in groups if not scorer.judged(g)]
        self.history: List[dict] = []                   # {"step", "score", "groups"} per scored step
        self.best: Optional[dict] = None                # {"step", "score"}
        self.path = best_path(lora_path)

    @property
    def active(self) -> bool:
        return bool(self.every and self.prompts)

    def captions(self) -> List[str]:
        """Everything the scoring encodes, for a run that encodes its captions once."""
        return [NEGATIVE] + [prompt for _, prompt in self.prompts] if self.active else []

    def due(self, step: int, total: int) -> bool:
        if not self.active or step <= 0 or (self.history and self.history[-1]["step"] >= step):
            return False
        return step % self.every == 0 or step == total

    def score(self, run, size: Tuple[int, int]) -> dict:
        """Draw, judge, record; a better score than any before writes the best file."""
        pictures = []
        with _drawing(run.backend):
            for group, prompt in self.prompts:
                with run.autocast():
                    pictures.append((group, ddim_batch(run.backend, prompt, size=size, seed=run.s.seed,
                                                       steps=SAMPLE_STEPS, cfg=CFG, negative=NEGATIVE,
                                                       clip_skip=run.s.clip_skip, alphas_cumprod=run.alphas_cumprod,
                                                       encode=run.encode_text)[0]))
                run.progress.check_cancelled()
        judged = self.scorer(pictures)
        entry = {"step": run.step, "score": judged["score"], "groups": judged["groups"]}
        self.history.append(entry)
        if entry["score"] is not None and (self.best is None or entry["score"] > self.best["score"]):
            self.path = run.save_lora(self.path, {"anim2lora_best_step": run.step, "anim2lora_best_score": entry["score"],
                                      "anim2lora_best_groups": _json(entry["groups"])})
            self.best = {"step": run.step, "score": entry["score"]}
        return {**entry, "total": run.total, "best": self.best}

    def state(self) -> dict:
        return {"history": self.history, "best": self.best}

    def restore(self, saved: Optional[dict]) -> None:
        if saved:
            self.history, self.best = list(saved.get("history") or []), saved.get("best")


def _json(value) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def _modules(backend) -> List[torch.nn.Module]:
    names = ("unet", "text_encoder", "text_encoder_2")
    return [m for m in (getattr(backend, n, None) for n in names) if isinstance(m, torch.nn.Module)]


@contextlib.contextmanager
def _drawing(backend):
    """Sampling without gradients, in eval mode (no dropout draws), with the global random state
    and every module's train/eval flag as they were afterwards."""
    flags: Dict[torch.nn.Module, bool] = {m: m.training for model in _modules(backend) for m in model.modules()}
    devices = [torch.cuda.current_device()] if backend.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        try:
            for model in _modules(backend):
                model.eval()
            yield
        finally:
            for module, training in flags.items():
                module.training = training
