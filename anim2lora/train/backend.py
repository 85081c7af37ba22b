"""What the trainer needs from a model, whoever loaded it.

The loop (``loop.py``) speaks only to this interface, so the same code trains ComfyUI's MODEL,
CLIP and VAE inside the host (``comfy_backend.py``, fed by the node's bridge) and diffusers
models on the command line and in tests (``DiffusersBackend`` below).
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from .sd15 import FAMILY as SD15
from .targets import module_paths, text_encoder_targets, unet_targets

SD_LATENT_SCALE = 0.18215      # SD1.x VAE scaling factor


@dataclass
class Conditioning:
    """What an SDXL-style UNet is conditioned on besides the timestep: the text's hidden states,
    the pooled text embedding and each picture's size conditioning (original height, width, crop
    top, left, target height, width).  SD1.x backends pass the hidden states alone, a tensor."""

    context: torch.Tensor
    pooled: torch.Tensor
    sizes: Optional[torch.Tensor] = None

    def to(self, dtype: torch.dtype) -> "Conditioning":
        return Conditioning(self.context.to(dtype), self.pooled.to(dtype), self.sizes)


def size_tensor(sizes: Sequence[tuple], device) -> torch.Tensor:
    """Size conditioning as the UNet takes it: float32, so sizes such as 1213 stay exact."""
    return torch.tensor(sizes, dtype=torch.float32, device=device)


class Backend:
    """Interface; ``device``, ``unet``, ``text_encoder``, ``prediction_type`` and
    ``alphas_cumprod`` are attributes."""

    device: torch.device
    unet: torch.nn.Module
    text_encoder: Optional[torch.nn.Module]
    prediction_type: str = "epsilon"
    alphas_cumprod: torch.Tensor
    family = SD15                  # the model family (key names, conditioning, schedule, defaults)
    zero_terminal_snr = False      # True: the model was trained so (NoobAI v-pred); the loop rescales
    keeps_adapters = True          # False: the LoRA layers are taken out again after training
    encodes_before_training = False  # True: every latent is encoded before the first step, cache or not
    identity = "model"             # names the VAE in the latent cache's key
    decode_note = None             # why decode_latents draws coarser than a VAE decode; None: it is one

    def begin(self, dtype: torch.dtype, gradient_checkpointing: bool) -> torch.dtype:
        """Load the models onto the device, frozen, ready to train; returns the compute type
        used (``dtype``, unless the models cannot compute in it)."""
        return dtype

    def end(self) -> None:
        """Give the device back (after training, or when it failed)."""

    def release_text_encoders(self) -> None:
        """The captions are cached and the text encoders do not train: free their device memory
        (the host's model management keeps its own CLIP where it wants it)."""

    def unet_targets(self) -> Dict[str, str]:
        """kohya name -> module path in ``unet``."""
        raise NotImplementedError

    def text_encoder_targets(self) -> Dict[str, str]:
        raise NotImplementedError

    def text_encoders(self) -> List[Tuple[torch.nn.Module, Dict[str, str]]]:
        """Each text encoder with its targets (kohya name -> path), in the family's order."""
        return [(self.text_encoder, self.text_encoder_targets())]

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] in -1..1 -> the latents the UNet denoises (scaled)."""
        raise NotImplementedError

    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Scaled latents -> [B, 3, H, W] in 0..1."""
        raise NotImplementedError

    def encode_text(self, captions: List[str], clip_skip: int, sizes: Optional[Sequence[tuple]] = None):
        """The captions' conditioning (``sizes``: the family's size conditioning per caption, or None)."""
        raise NotImplementedError

    def predict(self, noisy: torch.Tensor, timesteps: torch.Tensor, cond) -> torch.Tensor:
        raise NotImplementedError


def ddpm_alphas_cumprod(steps: int = 1000, start: float = 0.00085, end: float = 0.012) -> torch.Tensor:
    """SD1.x's schedule (kohya's and ComfyUI's): scaled_linear betas over 1000 steps."""
    betas = torch.linspace(start ** 0.5, end ** 0.5, steps, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).float()


class DiffusersBackend(Backend):
    """diffusers UNet2DConditionModel + AutoencoderKL + transformers CLIPTextModel/CLIPTokenizer."""

    def __init__(self, unet, vae, text_encoder, tokenizer, *, device="cpu", prediction_type="epsilon",
                 alphas_cumprod: Optional[torch.Tensor] = None, identity: str = "diffusers"):
        self.unet, self.vae, self.text_encoder, self.tokenizer = unet, vae, text_encoder, tokenizer
        self.device = torch.device(device)
        self.prediction_type = prediction_type
        self.alphas_cumprod = ddpm_alphas_cumprod() if alphas_cumprod is None else alphas_cumprod.float()
        self.identity = identity
        self._scale = getattr(getattr(vae, "config", None), "scaling_factor", SD_LATENT_SCALE)
        self._vae_on = False

    def _text_models(self) -> list:
        return [self.text_encoder]

    def begin(self, dtype, gradient_checkpointing):
        for model in (self.unet, *self._text_models()):
            model.requires_grad_(False).to(self.device).train()
            if model.dtype != dtype:
                model.to(dtype)
        self._vae_ready()
        if gradient_checkpointing:
            self.unet.enable_gradient_checkpointing()
            for te in self._text_models():
                te.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        return dtype

    def release_text_encoders(self):
        if self.device.type != "cpu":
            for te in self._text_models():
                te.to("cpu")
            empty_cache = getattr(getattr(torch, self.device.type, None), "empty_cache", None)
            if empty_cache is not None:
                empty_cache()

    def end(self):
        self.unet.eval()
        if getattr(self.unet, "is_gradient_checkpointing", False):
            self.unet.disable_gradient_checkpointing()
        for te in self._text_models():
            te.eval()
            # transformers 5 renamed the flag; reading the old one warns
            flag = "is_activation_checkpointing" if hasattr(te, "is_activation_checkpointing") else \
                "is_gradient_checkpointing"
            if getattr(te, flag, False):
                te.gradient_checkpointing_disable()

    def unet_targets(self):
        return module_paths(unet_targets(self.unet), self.unet)

    def text_encoder_targets(self):
        return module_paths(text_encoder_targets(self.text_encoder), self.text_encoder)

    def _vae_ready(self):
        # the VAE runs once per picture (latents are cached) and overflows in fp16: keep it float32
        self.vae.requires_grad_(False).to(self.device).eval()
        if self.vae.dtype != torch.float32:
            self.vae.to(torch.float32)
        self._vae_on = True

    def encode_images(self, pixels):
        if not self._vae_on:          # once: with cache_latents off this runs every step
            self._vae_ready()
        with torch.no_grad():
            dist = self.vae.encode(pixels.to(self.device, torch.float32)).latent_dist
            return dist.mean * self._scale        # the mean (kohya samples once and caches that): deterministic

    def decode_latents(self, latents):
        with torch.no_grad():
            out = self.vae.decode(latents.to(self.device, torch.float32) / self._scale).sample
        return (out.float().clamp(-1, 1) + 1) / 2

    def encode_text(self, captions, clip_skip, sizes=None):
        length = self.text_encoder.config.max_position_embeddings         # 77 for SD1.x
        ids = self.tokenizer(captions, padding="max_length", max_length=length,
                             truncation=True, return_tensors="pt").input_ids.to(self.device)
        if clip_skip <= 1:
            return self.text_encoder(ids).last_hidden_state
        hidden = self.text_encoder(ids, output_hidden_states=True).hidden_states[-clip_skip]
        # the final layer norm still applies to the earlier layer's output (kohya, CLIPSetLastLayer)
        return getattr(self.text_encoder, "text_model", self.text_encoder).final_layer_norm(hidden)

    def predict(self, noisy, timesteps, cond):
        return self.unet(noisy, timesteps, encoder_hidden_states=cond).sample
