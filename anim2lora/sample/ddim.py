"""The headless sampler: deterministic DDIM with classifier-free guidance on any trainer backend's
own denoiser.  Plain on purpose: LineArtSampler's sampler where there is no host (the command
line, tests), and the training loop's previews over the schedule it trains on; inside ComfyUI
the node samples with the host's own samplers."""

from typing import Tuple

import numpy as np
import torch

from ..seeds import torch_generator


def ddim_batch(backend, prompt: str, *, size: Tuple[int, int], seed: int, batch: int = 1, steps: int = 20,
               cfg: float = 7.0, negative: str = "", clip_skip: int = 2, alphas_cumprod=None,
               encode=None) -> np.ndarray:
    """``batch`` RGB uint8 pictures of ``size`` (width, height), [B, H, W, 3]; the batch's noise
    comes from the one seed, as the host's samplers draw it.  ``alphas_cumprod``: the schedule
    the run trains on (zero-terminal SNR), the backend's by default; ``encode``: the captions'
    encoder (a training run's text cache), the backend's ``encode_text`` by default."""
    w, h = size
    ac = (backend.alphas_cumprod if alphas_cumprod is None else alphas_cumprod).to(backend.device)
    times = torch.linspace(len(ac) - 1, 0, steps).round().long().tolist()
    with torch.no_grad():
        # the negative prompt's batch, then the prompt's: one call, any family's conditioning
        cond = (encode or backend.encode_text)([negative] * batch + [prompt] * batch, clip_skip,
                                               backend.family.picture_sizes(w, h, 2 * batch))
        dtype = cond.dtype if isinstance(cond, torch.Tensor) else cond.context.dtype
        x = torch.randn((batch, 4, h // 8, w // 8), generator=torch_generator(seed, "preview", 0)).to(backend.device)
        for i, t in enumerate(times):
            out = backend.predict(torch.cat([x, x]).to(dtype), torch.full((2 * batch,), t, device=backend.device),
                                  cond).float()
            out = out[:batch] + cfg * (out[batch:] - out[:batch])
            a = ac[t]
            eps, x0 = _eps_and_x0(out, x, a, backend.prediction_type)
            a_next = ac[times[i + 1]] if i + 1 < len(times) else torch.tensor(1.0, device=ac.device)
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
        # outside the run's autocast: half precision would run SDXL's VAE in fp16, where it overflows
        with torch.autocast(backend.device.type, enabled=False):
            rgb = backend.decode_latents(x).permute(0, 2, 3, 1).cpu().numpy()
    return (rgb * 255).round().clip(0, 255).astype(np.uint8)


def _eps_and_x0(out, x, a, prediction_type: str):
    if prediction_type == "v_prediction":
        x0 = a.sqrt() * x - (1 - a).sqrt() * out
        eps = (1 - a).sqrt() * x + a.sqrt() * out
    else:
        eps = out
        x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
    return eps, x0
