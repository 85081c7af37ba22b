"""The SDXL family (SDXL 1.0 and the anime bases trained from it: Illustrious-XL, NoobAI-XL
incl. its v-prediction release, Pony), as kohya's ``sdxl_train_network.py`` trains it.

- Conditioning: CLIP-L's and CLIP-G's penultimate hidden states (no final layer norm)
  concatenated, 2048 wide; CLIP-G's pooled output is its final-layer-normed state at the first
  end-of-text token through its text projection (kohya's ``_pool_workaround``); CLIP-G pads
  with "!" (id 0), CLIP-L with end-of-text.  kohya ignores clip skip for SDXL, and so does this.
- Size conditioning per picture: the file's own size, the crop's top-left as kohya's
  ``BucketManager.get_crop_ltrb`` computes it, and the bucket, as (h, w) pairs.
- Names: ``lora_unet_`` + the original SGM module path (``input_blocks.4.1.transformer_blocks.0
  .attn1.to_q``), ``lora_te1_`` / ``lora_te2_`` for the encoders.
- Single files: ``model.diffusion_model.``, ``first_stage_model.``, CLIP-L under
  ``conditioner.embedders.0.transformer.`` and CLIP-G (OpenCLIP layout) under
  ``conditioner.embedders.1.model.``; configs ship in ``sdxl_config/`` (CLIP-L's config, the
  VAE's layout and the BPE merges are SD1.5's, reused from ``sd15_config/``).
- v-prediction: a ``v_pred`` key (or the other markers SD1.5 reads); zero-terminal SNR: a
  ``ztsnr`` key beside it, the markers ComfyUI reads for NoobAI-style checkpoints.
- In ComfyUI (``comfy_backend``): the CLIP's ``clip_l`` and ``clip_g`` encoders at their own
  default layers (penultimate, no final norm: kohya's), the UNet's own module paths (already the
  SGM ones) as names, and the class label ``y`` from the model's own ``encode_adm``.
"""

import functools
import re
from pathlib import Path
from typing import Dict, Tuple

import torch

from ..errors import BadInputError
from . import sd15
from .backend import Conditioning, DiffusersBackend, size_tensor
from .family import Family
from .targets import module_paths, text_encoder_targets, unet_targets

CONFIG_DIR = Path(__file__).with_name("sdxl_config")
CLIP_L, CLIP_G = "conditioner.embedders.0.transformer.", "conditioner.embedders.1.model."
_ATTENTION = re.compile(r"(down_blocks|up_blocks)\.(\d+)\.attentions\.(\d+)\.(.+)|mid_block\.attentions\.0\.(.+)")
_CONTEXT_K = sd15.UNET + "input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight"


def sgm_path(path: str, layers_per_block: int) -> str:
    """A diffusers UNet attention module's path in the original SGM UNet (kohya's SDXL names):
    down level i's attention j sits in input block 1 + i(L+1) + j, up level i's in output block
    i(L+1) + j, the middle one in middle_block.1."""
    m = _ATTENTION.fullmatch(path)
    if not m:
        raise ValueError(f"{path} is not a UNet attention module")
    if m.group(5) is not None:
        return f"middle_block.1.{m.group(5)}"
    kind, level, index, rest = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    if kind == "down_blocks":
        return f"input_blocks.{1 + level * (layers_per_block + 1) + index}.1.{rest}"
    return f"output_blocks.{level * (layers_per_block + 1) + index}.1.{rest}"


def crop_left_top(bucket: Tuple[int, int], original: Tuple[int, int]) -> Tuple[int, int]:
    """kohya's crop conditioning (``BucketManager.get_crop_ltrb``, after Stability AI's
    preprocessing): the picture fitted inside its bucket, then how far it sits from the left and
    top.  Not the pixels cut off: kohya's own value, which is what kohya-trained LoRAs saw."""
    (bw, bh), (w, h) = bucket, original
    image_ar = w / h
    if bw / bh > image_ar:
        width, height = bh * image_ar, bh
    else:
        width, height = bw, bw / image_ar
    return int((bw - width) // 2), int((bh - height) // 2)


class SdxlFamily(Family):
    name, label = "sdxl", "SDXL"
    base_model_version, architecture = "sdxl_base_v1-0", "stable-diffusion-xl-v1-base"
    resolution = 1024
    te_prefixes = ("lora_te1", "lora_te2")
    uses_clip_skip = False
    host_configs = ("SDXL",)        # Illustrious, NoobAI and Pony load as ComfyUI's SDXL too
    host_encoders = ("clip_l", "clip_g")
    kohya_unet_layout = "sgm"

    def owns(self, shapes):
        keys = shapes.keys()
        return (any(k.startswith(CLIP_G) for k in keys) and any(k.startswith(sd15.UNET) for k in keys)
                and shapes.get(_CONTEXT_K, (0, 2048))[-1] == 2048)

    def load(self, path, tensors, *, device, dtype, prediction_type, identity):
        return load_sdxl(path, tensors, device=device, dtype=dtype, prediction_type=prediction_type,
                         identity=identity)

    def item_sizes(self, items):
        """(original h, w, crop top, left, target h, w) per picture, as kohya's dataset gives them."""
        out = []
        for item in items:
            (tw, th), (ow, oh) = item.bucket, item.original
            left, top = crop_left_top(item.bucket, item.original)
            out.append((oh, ow, top, left, th, tw))
        return out

    def picture_sizes(self, width, height, count):
        # what ComfyUI's CLIPTextEncode gives a plain prompt: no crop, the picture's own size
        return [(height, width, 0, 0, height, width)] * count

    def host_label(self, model, pooled, sizes):
        """ComfyUI's SDXL ``y`` (2816 wide): the model's own ``encode_adm``, the pooled CLIP-G
        embedding beside the six size numbers through its 256-wide timestep embedder, as it
        samples with and as kohya's ``get_size_embeddings`` trains.  It takes one set of sizes
        per call, so each picture is its own call and keeps its own bucket's values."""
        rows = []
        for row, (oh, ow, top, left, th, tw) in zip(pooled, sizes.tolist()):
            rows.append(model.encode_adm(pooled_output=row[None], height=oh, width=ow, crop_h=top, crop_w=left,
                                         target_height=th, target_width=tw))
        return torch.cat(rows)


FAMILY = SdxlFamily()


@functools.lru_cache(maxsize=1)
def clip_g_tokenizer():
    """CLIP-G's tokenizer: CLIP-L's vocabulary and merges, padding with "!" (id 0)."""
    return sd15.clip_tokenizer(CONFIG_DIR / "tokenizer_2")


class SdxlDiffusersBackend(DiffusersBackend):
    """diffusers' SDXL UNet (``text_time`` added conditioning) + AutoencoderKL + CLIP-L
    (CLIPTextModel) and CLIP-G (CLIPTextModelWithProjection)."""

    family = FAMILY

    def __init__(self, unet, vae, text_encoder, text_encoder_2, tokenizer=None, tokenizer_2=None, **kwargs):
        super().__init__(unet, vae, text_encoder, tokenizer or sd15.clip_tokenizer(), **kwargs)
        self.text_encoder_2 = text_encoder_2
        self.tokenizer_2 = tokenizer_2 or clip_g_tokenizer()

    def _text_models(self):
        return [self.text_encoder, self.text_encoder_2]

    def unet_targets(self):
        layers = self.unet.config.layers_per_block
        return module_paths(unet_targets(self.unet, lambda path: sgm_path(path, layers)), self.unet)

    def text_encoders(self):
        return [(te, module_paths(text_encoder_targets(te, prefix), te))
                for te, prefix in zip(self._text_models(), FAMILY.te_prefixes)]

    def text_encoder_targets(self):
        return {name: path for _, paths in self.text_encoders() for name, path in paths.items()}

    def encode_text(self, captions, clip_skip, sizes=None):
        def ids(tokenizer):
            return tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length,
                             truncation=True, return_tensors="pt").input_ids.to(self.device)

        first, second = ids(self.tokenizer), ids(self.tokenizer_2)
        hidden_l = self.text_encoder(first, output_hidden_states=True).hidden_states[-2]
        out = self.text_encoder_2(second, output_hidden_states=True)
        eos = (second == self.tokenizer_2.eos_token_id).int().argmax(dim=1)
        last = out.last_hidden_state[torch.arange(len(captions), device=self.device), eos]
        pooled = self.text_encoder_2.text_projection(last.to(self.text_encoder_2.text_projection.weight.dtype))
        hidden = torch.cat([hidden_l, out.hidden_states[-2].to(hidden_l.dtype)], dim=-1)
        if sizes is None:
            raise ValueError("SDXL conditioning needs each picture's size conditioning")
        return Conditioning(hidden, pooled.to(hidden.dtype), size_tensor(sizes, self.device))

    def predict(self, noisy, timesteps, cond):
        added = {"text_embeds": cond.pooled, "time_ids": cond.sizes}
        return self.unet(noisy, timesteps, encoder_hidden_states=cond.context, added_cond_kwargs=added).sample


# --- the single file ------------------------------------------------------------------------------

def load_sdxl(path: Path, tensors, *, device="cpu", dtype=torch.float32, prediction_type="auto",
              identity: str = "") -> SdxlDiffusersBackend:
    """An opened single-file SDXL-family checkpoint (``sd15.open_checkpoint``) as a backend."""
    sd15.check_prediction(prediction_type)
    diffusers, transformers = sd15._packages()
    missing = [name for prefix, name in ((sd15.UNET, "UNet"), (sd15.VAE, "VAE"), (CLIP_L, "CLIP-L text encoder"),
                                         (CLIP_G, "CLIP-G text encoder"))
               if not any(k.startswith(prefix) for k in tensors.shapes)]
    if missing:
        raise BadInputError(f"{path.name} has no {' and no '.join(missing)} weights; Anim2LoRA needs a full "
                            f"SDXL checkpoint with UNet, VAE and both text encoders in one file.",
                            hint="Pick the checkpoint as its maker published it, not a pruned part.")
    zsnr = "ztsnr" in tensors.shapes
    if prediction_type == "auto":
        prediction_type = sd15.detect_prediction(path, tensors)
    read = functools.partial(tensors.take, device=device, dtype=dtype)
    te1 = sd15.load_text_encoder(path, read(CLIP_L), transformers.CLIPTextModel, family="SDXL",
                                 label="CLIP-L text encoder")
    te2 = sd15.load_text_encoder(path, read(CLIP_G), transformers.CLIPTextModelWithProjection,
                                 config_dir=CONFIG_DIR / "text_encoder_2", convert=_open_clip, family="SDXL",
                                 label="CLIP-G text encoder")
    vae = sd15.load_diffusers(path, "vae", read(sd15.VAE), diffusers.AutoencoderKL,
                              sd15._converter("convert_ldm_vae_checkpoint"), CONFIG_DIR, "SDXL")
    unet = sd15.load_diffusers(path, "unet", read(sd15.UNET), diffusers.UNet2DConditionModel,
                               sd15._converter("convert_ldm_unet_checkpoint"), CONFIG_DIR, "SDXL")
    backend = SdxlDiffusersBackend(unet, vae, te1, te2, device=device, prediction_type=prediction_type,
                                   alphas_cumprod=FAMILY.alphas_cumprod(), identity=identity or path.name)
    backend.zero_terminal_snr = zsnr and prediction_type == "v_prediction"
    return backend


def _open_clip(ldm: Dict[str, torch.Tensor], model) -> Dict[str, torch.Tensor]:
    """CLIP-G's OpenCLIP weights (fused q/k/v, ``resblocks``) as transformers keys; the
    temperature (``logit_scale``) belongs to CLIP's image matching and is not needed."""
    weights = sd15._converter("convert_open_clip_checkpoint")(model, ldm, prefix=CLIP_G)
    return {k: v for k, v in weights.items() if not k.endswith("logit_scale")}
