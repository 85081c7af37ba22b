"""LineArtSampler without a host: the prompt, sampling on the trainer's backend (its DDIM), and
the clean-up, for the command line and tests.  Inside ComfyUI the node samples with the host's
own sampler and shares everything else with this."""

from dataclasses import dataclass

import numpy as np

from .cleanup import clean
from .prompts import line_art_prompt
from .settings import SampleSettings


@dataclass
class Sampled:
    cleaned: np.ndarray       # [B, H, W, 3] RGB uint8
    raw: np.ndarray           # the same pictures before clean-up
    positive: str


def clean_all(raw: np.ndarray, settings: SampleSettings) -> np.ndarray:
    return np.stack([clean(picture, **settings.cleanup) for picture in raw])


def sample_line_art(backend, settings: SampleSettings, dataset=None) -> Sampled:
    """Line art of ``settings.characters`` from any trainer backend (a LoRA already in it)."""
    from .ddim import ddim_batch     # torch: imported when sampling, not with the pack

    positive = line_art_prompt(settings.characters, settings.prompt, dataset)
    raw = ddim_batch(backend, positive, size=settings.size(backend.family.resolution), seed=settings.seed,
                     batch=settings.batch_size, steps=settings.steps, cfg=settings.cfg, negative=settings.negative)
    return Sampled(clean_all(raw, settings), raw, positive)
