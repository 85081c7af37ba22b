"""One step's noise, timesteps and loss, as kohya computes them for SD1.x (FIELD_NOTES §2)."""

import torch

from ..seeds import torch_generator


def noise_and_timesteps(latents: torch.Tensor, seed: int, micro_step: int, noise_offset: float, steps: int):
    """Gaussian noise (plus ``noise_offset`` x a per-channel constant) and uniform timesteps,
    drawn on the CPU from (seed, step) so every device and every resumed run draws the same."""
    g = torch_generator(seed, "noise", micro_step)
    b, c = latents.shape[:2]
    noise = torch.randn(latents.shape, generator=g, dtype=torch.float32)
    if noise_offset:
        noise = noise + noise_offset * torch.randn((b, c, 1, 1), generator=g, dtype=torch.float32)
    timesteps = torch.randint(0, steps, (b,), generator=g)
    return noise.to(latents.device), timesteps.to(latents.device)


def _per_sample(values: torch.Tensor, ndim: int) -> torch.Tensor:
    return values.reshape(-1, *([1] * (ndim - 1)))


def add_noise(latents, noise, timesteps, alphas_cumprod):
    ac = _per_sample(alphas_cumprod.to(latents.device)[timesteps], latents.ndim)
    return ac.sqrt() * latents + (1 - ac).sqrt() * noise


def target(latents, noise, timesteps, alphas_cumprod, prediction_type: str):
    if prediction_type == "epsilon":
        return noise
    ac = _per_sample(alphas_cumprod.to(latents.device)[timesteps], latents.ndim)
    return ac.sqrt() * noise - (1 - ac).sqrt() * latents          # v


def loss(prediction, wanted, timesteps, alphas_cumprod, prediction_type: str, min_snr_gamma: float):
    """MSE per sample in float32, weighted by min-SNR: min(snr, γ)/snr for epsilon, min(snr, γ)/(snr+1)
    for v-prediction."""
    per = torch.nn.functional.mse_loss(prediction.float(), wanted.float(), reduction="none")
    per = per.mean(dim=list(range(1, per.ndim)))
    if min_snr_gamma > 0:
        ac = alphas_cumprod.to(per.device)[timesteps]
        snr = ac / (1 - ac)
        clipped = torch.clamp(snr, max=min_snr_gamma)
        per = per * (clipped / (snr + 1) if prediction_type == "v_prediction" else clipped / snr)
    return per.mean()
