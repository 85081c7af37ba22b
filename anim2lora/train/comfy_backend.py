"""The trainer's backend over ComfyUI's own MODEL, CLIP and VAE, inside the host's process and
on its device.

Host-free by construction: it only calls methods of the objects the node received and the few
model-management functions the bridge hands in (``HostMemory``), so this package never imports
ComfyUI.  Choices, with their reasons:
- The UNet trains on a private copy (``clone(force_deepcopy=True)``, as ComfyUI's own trainer
  does): the MODEL the graph passed stays untouched for every other node, and the host may
  load or unload its models during the run without meeting a LoRA layer it does not know.
- Pictures are encoded before the UNet is loaded (a VAE load mid-run could push it off the GPU).
  What the run draws (previews, the resemblance scores' pictures) is decoded by the graph's VAE,
  as VAE Decode does, so it is scored on the pictures LineArtVerdict would see: the VAE is loaded
  beside the UNet and CLIP when the run begins, and the bridge decodes without loading or
  unloading any model (tiled where a whole picture would not fit), outside autocast, in the dtype
  the host chose for the VAE (never fp16 for the SD and SDXL VAEs unless told to; NaN pictures
  stop the run with what to change).  Only without a VAE are they the latent format's fast RGB
  preview, as ComfyUI's live previews draw it, and the run's report says so.
- Captions are encoded with the CLIP's model directly, not ``encode_from_tokens``, which reloads
  the CLIP through model management at every call; clip skip is its ``layer`` option, exactly
  what CLIPSetLastLayer sets.  Parentheses are escaped: to ComfyUI ``(x)`` means weight 1.1,
  to kohya it is part of a tag such as ``hat (object)``.
- The model family (SD1.5 or SDXL, from the host's model config class)
  decides what differs: which of the CLIP's encoders train under which kohya prefix, clip skip
  or the family's fixed layers, the UNet names' layout, and the class label ``y`` (SDXL: the
  model's own ``encode_adm`` over the pooled embedding and each picture's size conditioning).
  Any other family is refused by name.
- The noise schedule is the patched ``model_sampling``'s (a ModelSamplingDiscrete node upstream
  sets v-prediction and zero-terminal SNR on this MODEL only).  With zsnr the plain schedule is
  taken and the loop applies kohya's rescale over it (kohya's last step is 0; ComfyUI keeps a
  tiny value there), and the file says ``ss_zero_terminal_snr``.
- The VAE encodes in the precision the host chose for it (ComfyUI never picks fp16 for the SD
  and SDXL VAEs unless told to); latents that come back NaN, as SDXL's VAE gives in fp16, stop
  the run with what to change.
"""

import copy
from dataclasses import dataclass
from typing import Callable, Dict, List

import torch

from ..errors import TrainingError
from .backend import Backend, Conditioning, ddpm_alphas_cumprod, size_tensor
from .checkpointing import blocks_named, checkpoint_blocks
from .family import SUPPORTED, host_config_name, of_host_config
from .targets import module_paths, text_encoder_targets, unet_targets_by_map

CHECKPOINTED = ("BasicTransformerBlock", "ResBlock")
# ComfyUI's model configs (comfy/supported_models.py) of families Anim2LoRA does not train yet, as users say them
_NOT_YET = {"SDXLRefiner": "the SDXL refiner", "SD20": "an SD2.x model", "SD21UnclipL": "an SD2.x model",
            "SD21UnclipH": "an SD2.x model", "SD3": "an SD3 model", "Flux": "a Flux model",
            "FluxSchnell": "a Flux model", "AuraFlow": "an AuraFlow model", "HunyuanDiT": "a HunyuanDiT model",
            "StableCascade_C": "a Stable Cascade model", "PixArtSigma": "a PixArt model"}


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
    # (VAE, raw latents) -> pictures [B, 3, H, W] in 0..1, as VAE Decode computes them, with no model
    # loaded or unloaded (the VAE is on the device already)
    decode: Callable[[object, torch.Tensor], torch.Tensor]


NO_VAE_NOTE = ("no VAE was given: the pictures the run drew (previews, resemblance scores) are the latent "
               "format's fast RGB preview, coarser than a VAE decode")


def host_schedule(sigmas: torch.Tensor, zsnr: bool, start: float, end: float):
    """(alphas_cumprod, zero_terminal_snr) of a ComfyUI ``model_sampling``: from its sigmas; with
    zsnr, the plain scaled_linear schedule it was rescaled from (``start``/``end`` are its
    ``linear_start``/``linear_end``), for the loop to rescale as kohya does."""
    if zsnr:
        return ddpm_alphas_cumprod(len(sigmas), start, end), True
    return 1.0 / (1.0 + sigmas.float().cpu() ** 2), False


def preview_pictures(latent_format, latents: torch.Tensor) -> torch.Tensor:
    """Scaled latents -> [B, 3, H, W] in 0..1 through the latent format's RGB factors (ComfyUI's
    live preview): for a run given no VAE."""
    factors = latent_format.latent_rgb_factors
    bias = latent_format.latent_rgb_factors_bias
    # the factors apply to the scaled latents, as ComfyUI's live previews apply them
    rgb = torch.einsum("bchw,cr->brhw", latents.float().cpu(), torch.tensor(factors, dtype=torch.float32))
    if bias is not None:
        rgb = rgb + torch.tensor(bias, dtype=torch.float32).reshape(1, 3, 1, 1)
    return torch.nn.functional.interpolate(((rgb + 1) / 2).clamp(0, 1), scale_factor=8, mode="bilinear")


def vae_pictures(decode, vae, latent_format, latents: torch.Tensor) -> torch.Tensor:
    """Scaled latents -> [B, 3, H, W] in 0..1 through the VAE (``decode``: the host's, given raw
    latents); pictures that come back NaN (a VAE in fp16) stop the run with what to change."""
    raw = latent_format.process_out(latents.float())
    with torch.no_grad():
        rgb = decode(vae, raw).float()
    if not torch.isfinite(rgb).all():
        raise TrainingError(f"The VAE drew NaN or infinite pictures (it decodes in "
                            f"{str(getattr(vae, 'vae_dtype', 'its precision')).replace('torch.', '')}).",
                            hint="SDXL's VAE overflows in fp16: start ComfyUI without --fp16-vae (it then "
                                 "decodes in bf16 or fp32), or load an fp16-fixed VAE with Load VAE.")
    return rgb


def family_of_config(config: str):
    """The family of a MODEL whose ComfyUI model config class is named ``config``, or a
    TrainingError naming what it is instead."""
    family = of_host_config(config)
    if family is None:
        what = _NOT_YET.get(config, f"a model Anim2LoRA does not know (ComfyUI's {config} model config)")
        raise TrainingError(f"This MODEL is {what}; TrainLoRA trains {SUPPORTED}.",
                            hint="Load an SD1.5 or SDXL-family checkpoint with Load Checkpoint; other families "
                                 "are not supported yet.")
    return family


class ComfyBackend(Backend):
    keeps_adapters = False
    encodes_before_training = True

    def __init__(self, model, clip, vae, host: HostMemory, *, train_text_encoder: bool, identity: str = "comfy"):
        self.family = family_of_config(host_config_name(model))
        self.source_model, self.clip, self.vae, self.host = model, clip, vae, host
        self.device = torch.device(host.device)
        self.train_te = train_text_encoder
        self.identity = identity
        # the patched sampling object: a ModelSamplingDiscrete node upstream (v-prediction, zsnr)
        # changes it on this MODEL only, not on the shared model underneath
        sampling = model.get_model_object("model_sampling")
        kinds = {cls.__name__ for cls in type(sampling).__mro__}
        self.prediction_type = "v_prediction" if "V_PREDICTION" in kinds else "epsilon"
        if kinds & {"CONST", "EDM", "X0", "IMG_TO_IMG"}:
            raise TrainingError(f"This MODEL samples as {type(sampling).__name__}; TrainLoRA trains "
                                f"{self.family.label} models with epsilon or v-prediction.",
                                hint="Remove the model sampling node that sets it, or set it to eps or v_prediction.")
        self.alphas_cumprod, self.zero_terminal_snr = host_schedule(
            sampling.sigmas, bool(getattr(sampling, "zsnr", False)), getattr(sampling, "linear_start", 0.00085),
            getattr(sampling, "linear_end", 0.012))
        self._latent_format = model.model.latent_format
        self.decode_note = None if vae is not None else NO_VAE_NOTE
        self.patcher = None
        self.unet = None
        self.text_encoder = None
        self._clip_model = None
        self._encoders: List[tuple] = []         # (encoder, kohya prefix), in the family's order
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
        # once: the run never reloads them; the VAE decodes what the run draws
        self.host.load([self.patcher, self.clip.patcher, *([self.vae.patcher] if self.vae is not None else [])])
        self.unet = self.patcher.model.diffusion_model
        self._clip_model = copy.deepcopy(self.clip.cond_stage_model) if self.train_te else self.clip.cond_stage_model
        self._encoders = [(getattr(self._clip_model, name).transformer, prefix)
                          for name, prefix in zip(self.family.host_encoders, self.family.te_prefixes)]
        self.text_encoder = self._encoders[0][0]
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
        layers = [layer for encoder, _ in self._encoders for layer in blocks_named(encoder, ("CLIPLayer",))]
        if not layers or not all(hasattr(m, a) for m in layers for a in ("self_attn", "mlp", "layer_norm1",
                                                                          "layer_norm2")):
            raise TrainingError(f"This CLIP's layers are not the {self.family.label} kind Anim2LoRA can train.",
                                hint="Set text_encoder_lr to 0 to train the UNet only.")
        probe, sizes = ["A, B, 2people, monochrome, lineart"], self.family.picture_sizes(64, 64, 1)
        with torch.no_grad():
            before = self.encode_text(probe, 2, sizes)
        for layer in layers:
            layer.forward = _out_of_place(layer)
        with torch.no_grad():
            after = self.encode_text(probe, 2, sizes)
        pairs = [(before, after)] if sizes is None else [(before.context, after.context), (before.pooled, after.pooled)]
        if not all(torch.allclose(b.float(), a.float(), atol=1e-3, rtol=1e-3) for b, a in pairs):
            raise TrainingError(f"This CLIP's layers compute differently from {self.family.label}'s; its text "
                                "encoders cannot be trained here.", hint="Set text_encoder_lr to 0 to train the "
                                                                         "UNet only.")

    def end(self):
        self._undo_checkpointing()
        self.host.set_training(False)
        if self.patcher is not None:
            self.patcher.model.eval()
        self.patcher = self.unet = self.text_encoder = self._clip_model = None
        self._encoders = []
        self.host.empty_cache()

    # -- modules ----------------------------------------------------------------------------------
    def unet_targets(self):
        config = self.patcher.model.model_config.unet_config
        return unet_targets_by_map(self.host.unet_to_diffusers(config), self.family.kohya_unet_layout)

    def text_encoders(self):
        return [(encoder, module_paths(text_encoder_targets(encoder, prefix), encoder))
                for encoder, prefix in self._encoders]

    def text_encoder_targets(self):
        return {name: path for _, paths in self.text_encoders() for name, path in paths.items()}

    # -- the maths --------------------------------------------------------------------------------
    def encode_images(self, pixels):
        if self.vae is None:
            raise TrainingError("TrainLoRA was given no VAE, and the dataset's pictures are not encoded yet.",
                                hint="Connect the checkpoint loader's VAE (or a Load VAE node) to TrainLoRA's vae.")
        with torch.no_grad():
            rgb = ((pixels.float() + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1)     # ComfyUI's IMAGE layout
            raw = self.vae.encode(rgb).float()
        if not torch.isfinite(raw).all():
            raise TrainingError(f"The VAE gave NaN or infinite latents (it encodes in "
                                f"{str(getattr(self.vae, 'vae_dtype', 'its precision')).replace('torch.', '')}).",
                                hint="SDXL's VAE overflows in fp16: start ComfyUI without --fp16-vae (it then "
                                     "encodes in bf16 or fp32), or load an fp16-fixed VAE with Load VAE.")
        return self._latent_format.process_in(raw).to(self.device)

    def decode_latents(self, latents):
        if self.vae is None:
            return preview_pictures(self._latent_format, latents)
        return vae_pictures(self.host.decode, self.vae, self._latent_format, latents)

    def encode_text(self, captions: List[str], clip_skip: int, sizes=None):
        """The hidden states (SD1.5), or with ``sizes`` (SDXL) the Conditioning: hidden states,
        pooled output and the size conditioning."""
        model = self._clip_model
        model.reset_clip_options()        # the family's own layers (SDXL: penultimate, unnormed)
        options = {"execution_device": self.device}
        if self.family.uses_clip_skip:
            options["layer"] = -clip_skip
        model.set_clip_options(options)
        hidden, pooled = [], []
        for caption in captions:
            tokens = self.clip.tokenize(caption.replace("(", "\\(").replace(")", "\\)"))
            # the first 77-token window, as kohya's default (longer captions are cut at 75 tokens)
            tokens = {key: chunks[:1] for key, chunks in tokens.items()}
            out = model.encode_token_weights(tokens)
            hidden.append(out[0].to(self.device))
            pooled.append(out[1])
        if sizes is None:
            return torch.cat(hidden)
        return Conditioning(torch.cat(hidden), torch.cat(pooled).to(self.device), size_tensor(sizes, self.device))

    def predict(self, noisy, timesteps, cond):
        if not isinstance(cond, Conditioning):
            return self.unet(noisy, timesteps.float(), context=cond, transformer_options={})
        y = self.family.host_label(self.patcher.model, cond.pooled, cond.sizes)
        return self.unet(noisy, timesteps.float(), context=cond.context, y=y.to(self.device, cond.context.dtype),
                         transformer_options={})
