"""Preview pictures during training, drawn with the backend's own denoiser: deterministic DDIM
over the training schedule with classifier-free guidance.  Plain on purpose: a glance at what
the LoRA has learned so far, not the final sampler (that is the host's, in LineArtSampler)."""

from typing import List, Tuple

import numpy as np
import torch

from .data import torch_generator


def ddim(backend, prompt: str, *, size: Tuple[int, int], seed: int, steps: int = 20, cfg: float = 7.0,
         negative: str = "", clip_skip: int = 2) -> np.ndarray:
    """One RGB uint8 picture of ``size`` (width, height)."""
    w, h = size
    ac = backend.alphas_cumprod.to(backend.device)
    times = torch.linspace(len(ac) - 1, 0, steps).round().long().tolist()
    with torch.no_grad():
        cond = backend.encode_text([negative, prompt], clip_skip)
        x = torch.randn((1, 4, h // 8, w // 8), generator=torch_generator(seed, "preview", 0)).to(backend.device)
        for i, t in enumerate(times):
            out = backend.predict(torch.cat([x, x]).to(cond.dtype), torch.full((2,), t, device=backend.device),
                                  cond).float()
            out = out[0:1] + cfg * (out[1:2] - out[0:1])
            a = ac[t]
            eps, x0 = _eps_and_x0(out, x, a, backend.prediction_type)
            a_next = ac[times[i + 1]] if i + 1 < len(times) else torch.tensor(1.0, device=ac.device)
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
        rgb = backend.decode_latents(x)[0].permute(1, 2, 0).cpu().numpy()
    return (rgb * 255).round().clip(0, 255).astype(np.uint8)


def _eps_and_x0(out, x, a, prediction_type: str):
    if prediction_type == "v_prediction":
        x0 = a.sqrt() * x - (1 - a).sqrt() * out
        eps = (1 - a).sqrt() * x + a.sqrt() * out
    else:
        eps = out
        x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
    return eps, x0


def group_prompts(dataset) -> List[Tuple[str, str]]:
    """(group, prompt) per group: its pinned head, the way its captions begin."""
    from ..dataset.captions import head_tags

    out = []
    for sub in dataset.subsets:
        first = sub.captions[0] if sub.captions else ""
        head = first.split(dataset.keep_tokens_separator)[0] if dataset.keep_tokens_separator else ", ".join(
            t.strip() for t in first.split(",")[: sub.keep_tokens])
        out.append((sub.group, head.strip(" ,") or ", ".join(head_tags(sub.group))))
    return out
