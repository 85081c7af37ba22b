"""The trainer's backend over ComfyUI's own MODEL, CLIP and VAE, inside the host's process and
on its device.

Host-free by construction: it only calls methods of the objects the node received and the few
model-management functions the bridge hands in (``HostMemory``), so this package never imports
ComfyUI.  Choices, with their reasons:
- The UNet trains on a private copy (``clone(force_deepcopy=True)``, as ComfyUI's own trainer
  does): the MODEL the graph passed stays untouched for every other node, and the host may
  load or unload its models during the run without meeting a LoRA layer it does not know.
- Pictures are encoded before the UNet is loaded (a VAE load mid-run could push it off the GPU);
  previews use the latent format's RGB factors, as ComfyUI's live previews do, for the same reason.
- Captions are encoded with the CLIP's model directly, not ``encode_from_tokens``, which reloads
  the CLIP through model management at every call; clip skip is its ``layer`` option, exactly
  what CLIPSetLastLayer sets.  Parentheses are escaped: to ComfyUI ``(x)`` means weight 1.1,
  to kohya it is part of a tag such as ``hat (object)``.
"""

import copy
from dataclasses import dataclass
from typing import Callable, Dict, List

import torch

from ..errors import TrainingError
from .backend import Backend
from .checkpointing import blocks_named, checkpoint_blocks
from .targets import module_paths, text_encoder_targets, unet_targets_by_map

CHECKPOINTED = ("BasicTransformerBlock", "ResBlock")
# ComfyUI's model configs (comfy/supported_models.py) of families the host backend does not train yet
_NOT_YET = {"SDXL": "an SDXL-family model (SDXL, Illustrious, NoobAI, Pony)", "SDXLRefiner": "the SDXL refiner",
            "SD20": "an SD2.x model", "SD21UnclipL": "an SD2.x model", "SD21UnclipH": "an SD2.x model",
            "SD3": "an SD3 model", "Flux": "a Flux model", "FluxSchnell": "a Flux model"}


def module_identity(module) -> str:
    """A short name for a model's weights (shapes and a few values), so cached latents are
    never reused for another VAE."""
    from ..hashing import settings_digest

    if module is None:
        return "unknown"
    sample = []
    for i, (key, value) in enumerate(module.state_dict().items()):
        if i >= 24:
            break
        flat = value.detach().flatten()[:16].float().cpu()
        sample.append((key, tuple(value.shape), [round(float(v), 6) for v in flat]))
    return settings_digest(sample, 16)


def _out_of_place(layer):
    def forward(x, mask=None, optimized_attention=None):
        x = x + layer.self_attn(layer.layer_norm1(x), mask, optimized_attention)
        return x + layer.mlp(layer.layer_norm2(x))
    return forward


@dataclass
class HostMemory:
    """The host's model management, as the bridge provides it."""

    device: torch.device
    unload_all: Callable[[], None]
    load: Callable[[list], None]                 # load patchers fully onto the device
    empty_cache: Callable[[], None]
    unet_to_diffusers: Callable[[dict], Dict[str, str]]
    set_training: Callable[[bool], None]


class ComfyBackend(Backend):
    keeps_adapters = False
    encodes_before_training = True

    def __init__(self, model, clip, vae, host: HostMemory, *, train_text_encoder: bool, identity: str = "comfy"):
        family = type(getattr(getattr(model, "model", None), "model_config", None)).__name__
        if family in _NOT_YET:
            # SDXL's two encoders and size conditioning are trained on the command line for now
            raise TrainingError(f"This MODEL is {_NOT_YET[family]}; TrainLoRA in ComfyUI trains SD1.x models for "
                                "now.", hint="Load an SD1.5 checkpoint here, or train an SDXL-family checkpoint "
                                             "with `python -m anim2lora train DATASET --checkpoint FILE --out DIR`.")
        self.source_model, self.clip, self.vae, self.host = model, clip, vae, host
        self.device = torch.device(host.device)
        self.train_te = train_text_encoder
        self.identity = identity
        # the patched sampling object: a ModelSamplingDiscrete node upstream (v-prediction, zsnr)
        # changes it on this MODEL only, not on the shared model underneath
        sampling = model.get_model_object("model_sampling")
        self.alphas_cumprod = (1.0 / (1.0 + sampling.sigmas.float().cpu() ** 2))
        kinds = {cls.__name__ for cls in type(sampling).__mro__}
        self.prediction_type = "v_prediction" if "V_PREDICTION" in kinds else "epsilon"
        if kinds & {"CONST", "EDM", "X0", "IMG_TO_IMG"}:
            raise TrainingError(f"This MODEL samples as {type(sampling).__name__}; TrainLoRA trains SD1.x "
                                "models (epsilon or v-prediction).", hint="Load an SD1.5 checkpoint.")
        self._latent_format = model.model.latent_format
        self.patcher = None
        self.unet = None
        self.text_encoder = None
        self._clip_model = None
        self._undo_checkpointing = lambda: None

    # -- lifecycle --------------------------------------------------------------------------------
    def begin(self, dtype, gradient_checkpointing):
        self.host.unload_all()
        try:
            self.patcher = self.source_model.clone(force_deepcopy=True)
        except RuntimeError as e:      # ComfyUI re-reads the file to copy a model: it must know the file
            raise TrainingError(f"This MODEL cannot be copied for training ({e}).",
                                hint="Load the model with Load Checkpoint (or Load Diffusion Model).") from None
        self.patcher.model.requires_grad_(False).train()
        self.host.load([self.patcher, self.clip.patcher])      # once: the run never reloads them
        self.unet = self.patcher.model.diffusion_model
        self._clip_model = copy.deepcopy(self.clip.cond_stage_model) if self.train_te else self.clip.cond_stage_model
        self.text_encoder = self._clip_model.clip_l.transformer
        if self.train_te:
            self._clip_model.to(self.device).requires_grad_(False).train()
            self._trainable_clip_layers()
        self.host.set_training(True)
        if gradient_checkpointing:      # the UNet's blocks; CLIP's 77 tokens cost little memory
            self._undo_checkpointing = checkpoint_blocks(blocks_named(self.unet, CHECKPOINTED))
        weight_dtype = self.patcher.model.get_dtype()
        if dtype == torch.float32 and weight_dtype in (torch.float16, torch.bfloat16):
            return weight_dtype       # the host keeps this model in half precision: compute in it
        return dtype

    def _trainable_clip_layers(self) -> None:
        """ComfyUI's CLIP layers add their residuals in place (``x += attn(norm(x))``), which
        autograd refuses once a LoRA makes ``x`` need gradients.  This private copy's layers get
        the same sum written out of place; the copy must still encode exactly as before."""
        layers = blocks_named(self.text_encoder, ("CLIPLayer",))
        if not layers or not all(hasattr(m, a) for m in layers for a in ("self_attn", "mlp", "layer_norm1",
                                                                          "layer_norm2")):
            raise TrainingError("This CLIP's layers are not the SD1.5 kind Anim2LoRA can train.",
                                hint="Set text_encoder_lr to 0 to train the UNet only.")
        probe = "A, B, 2people, monochrome, lineart"
        with torch.no_grad():
            before = self.encode_text([probe], 2)
        for layer in layers:
            layer.forward = _out_of_place(layer)
        with torch.no_grad():
            after = self.encode_text([probe], 2)
        if not torch.allclose(before.float(), after.float(), atol=1e-3, rtol=1e-3):
            raise TrainingError("This CLIP's layers compute differently from SD1.5's; its text encoder cannot be "
                                "trained here.", hint="Set text_encoder_lr to 0 to train the UNet only.")

    def end(self):
        self._undo_checkpointing()
        self.host.set_training(False)
        if self.patcher is not None:
            self.patcher.model.eval()
        self.patcher = self.unet = self.text_encoder = self._clip_model = None
        self.host.empty_cache()

    # -- modules ----------------------------------------------------------------------------------
    def unet_targets(self):
        config = self.patcher.model.model_config.unet_config
        return unet_targets_by_map(self.host.unet_to_diffusers(config))

    def text_encoder_targets(self):
        return module_paths(text_encoder_targets(self.text_encoder), self.text_encoder)

    # -- the maths --------------------------------------------------------------------------------
    def encode_images(self, pixels):
        with torch.no_grad():
            rgb = ((pixels.float() + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1)     # ComfyUI's IMAGE layout
            raw = self.vae.encode(rgb)
            return self._latent_format.process_in(raw.float()).to(self.device)

    def decode_latents(self, latents):
        factors = self._latent_format.latent_rgb_factors
        bias = self._latent_format.latent_rgb_factors_bias
        # the factors apply to the scaled latents, as ComfyUI's live previews apply them
        rgb = torch.einsum("bchw,cr->brhw", latents.float().cpu(), torch.tensor(factors, dtype=torch.float32))
        if bias is not None:
            rgb = rgb + torch.tensor(bias, dtype=torch.float32).reshape(1, 3, 1, 1)
        rgb = torch.nn.functional.interpolate(((rgb + 1) / 2).clamp(0, 1), scale_factor=8, mode="bilinear")
        return rgb

    def encode_text(self, captions: List[str], clip_skip: int, sizes=None):
        model = self._clip_model
        model.reset_clip_options()
        model.set_clip_options({"layer": -clip_skip, "execution_device": self.device})
        out = []
        for caption in captions:
            tokens = self.clip.tokenize(caption.replace("(", "\\(").replace(")", "\\)"))
            # the first 77-token window, as kohya's default (longer captions are cut at 75 tokens)
            tokens = {key: chunks[:1] for key, chunks in tokens.items()}
            out.append(model.encode_token_weights(tokens)[0].to(self.device))
        return torch.cat(out)

    def predict(self, noisy, timesteps, cond):
        return self.unet(noisy, timesteps.float(), context=cond, transformer_options={})
