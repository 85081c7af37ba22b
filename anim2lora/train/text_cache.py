"""Captions encoded once, before the first step (kohya's cache_text_encoder_outputs), when that
changes nothing: the text encoders do not train and every step sees each picture's caption as
its file has it.  The encoders then leave the device (SDXL's two weigh 1.6 GB in bf16) and a
step looks its captions up instead of running them.

Whether captions vary is decided by the same function the steps use (``data.step_captions``):
with shuffle_caption and tag dropout off, a picture's caption is one string, plus the empty one
when caption dropout is on (kohya refuses its cache with caption dropout; both strings are
cached here, so the per-step draw stays the loop's own).  With shuffle_caption or tag dropout on,
nothing is cached and the run's report says why, rather than shuffling nothing as a cache would.
Preview prompts are cached too, so previews need no encoder on the device.
"""

from typing import Dict, Iterable, List, Optional, Sequence

import torch

from .backend import Conditioning, size_tensor
from .data import Item, step_captions

CHUNK = 8            # captions per encoder call while filling the cache


def varies_because(settings) -> Optional[str]:
    """Why a frozen text encoder's captions cannot be cached (None: they can)."""
    reasons = [name for name, on in (("shuffle_caption", settings.shuffle_caption),
                                     ("caption_tag_dropout", settings.caption_tag_dropout > 0)) if on]
    if not reasons:
        return None
    return (f"text encoder outputs not cached: {' and '.join(reasons)} change each step's caption, so the frozen "
            f"text encoder ran at every step (kohya refuses cache_text_encoder_outputs with them); turn "
            f"{' and '.join(reasons)} off to encode each caption once and free the encoders' memory")


def fixed_captions(items: Sequence[Item], settings, separator: str) -> List[str]:
    """Every caption a step can see when captions do not vary: each picture's own, and the empty
    caption under caption dropout."""
    out = [step_captions([item], settings.seed, 0, shuffle=False, tag_dropout=0.0, caption_dropout=0.0,
                         separator=separator)[0] for item in items]
    if settings.caption_dropout > 0:
        out.append("")
    return out


class TextCache:
    """Conditioning per distinct caption, kept on the CPU; ``encode`` stands in for the backend's
    ``encode_text`` (the same arguments) for the captions it holds."""

    def __init__(self, backend):
        self.backend = backend
        self._cond: Dict[str, object] = {}

    def __len__(self) -> int:
        return len(self._cond)

    def fill(self, captions: Iterable[str], clip_skip: int, check_cancelled=lambda: None) -> None:
        todo = list(dict.fromkeys(c for c in captions if c not in self._cond))
        family = self.backend.family
        with torch.no_grad():
            for start in range(0, len(todo), CHUNK):
                chunk = todo[start:start + CHUNK]
                # the size conditioning is the batch's own at each step: any stands in here
                cond = self.backend.encode_text(chunk, clip_skip, family.picture_sizes(64, 64, len(chunk)))
                for i, caption in enumerate(chunk):
                    self._cond[caption] = _row(cond, i)
                check_cancelled()

    def encode(self, captions: List[str], clip_skip: int, sizes=None):
        try:
            parts = [self._cond[c] for c in captions]
        except KeyError as e:       # the loop's own captions are all cached first: a bug, not bad input
            raise RuntimeError(f"caption {e.args[0]!r} is not in the text-encoder cache") from None
        device = self.backend.device
        if isinstance(parts[0], torch.Tensor):
            return torch.cat(parts).to(device)
        return Conditioning(torch.cat([p.context for p in parts]).to(device),
                            torch.cat([p.pooled for p in parts]).to(device),
                            None if sizes is None else size_tensor(sizes, device))


def _row(cond, i: int):
    if isinstance(cond, torch.Tensor):
        return cond[i:i + 1].detach().cpu()
    return Conditioning(cond.context[i:i + 1].detach().cpu(), cond.pooled[i:i + 1].detach().cpu())
