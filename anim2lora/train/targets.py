"""The modules a LoRA adapts, named as kohya names them, whatever library built the model.

kohya's SD1.5 targets (FIELD_NOTES §2): in the UNet, every Linear and Conv of the transformer
blocks (attn1/attn2 to_q, to_k, to_v, to_out.0; ff.net.0.proj, ff.net.2; proj_in, proj_out),
192 modules; in the text encoder, attention and MLP, 72 modules.  Names are the diffusers module
path with dots as underscores behind ``lora_unet_``, and ``lora_te_text_model_encoder_layers_N_…``
for the text encoder: transformers 5 dropped the ``text_model.`` level from CLIPTextModel's
paths, so the standard name is built from the layer number, not derived from the path.
"""

import re
from typing import Callable, Dict

UNET_PREFIX, TE_PREFIX = "lora_unet", "lora_te"
_UNET = re.compile(r"(?:down_blocks\.\d+|up_blocks\.\d+|mid_block)\.attentions\.\d+\."
                   r"(?:proj_in|proj_out|transformer_blocks\.\d+\.(?:attn[12]\.(?:to_[qkv]|to_out\.0)|ff\.net\.(?:0\.proj|2)))")
_TE = re.compile(r"(?:text_model\.)?encoder\.layers\.(\d+)\.(self_attn\.(?:q|k|v|out)_proj|mlp\.fc[12])")


def unet_targets(unet, rename: Callable[[str], str] = None) -> Dict[str, object]:
    """kohya name -> module (peft's wrapper once adapted), for a diffusers UNet2DConditionModel.
    kohya names SD1.x modules by their diffusers path; ``rename`` maps that path to the one
    kohya uses instead (SDXL: the original SGM path, ``input_blocks.4.1…``)."""
    import torch

    rename = rename or (lambda path: path)
    return {f"{UNET_PREFIX}_{rename(name).replace('.', '_')}": module for name, module in unet.named_modules()
            if _UNET.fullmatch(name) and isinstance(_base(module), (torch.nn.Linear, torch.nn.Conv2d))}


def text_encoder_targets(text_encoder, prefix: str = TE_PREFIX) -> Dict[str, object]:
    """kohya name -> module, for a transformers CLIPTextModel(WithProjection) of any version;
    ``prefix``: lora_te (SD1.x), lora_te1 / lora_te2 (SDXL's CLIP-L / CLIP-G)."""
    import torch

    out = {}
    for name, module in text_encoder.named_modules():
        m = _TE.fullmatch(name)
        if m and isinstance(_base(module), torch.nn.Linear):
            out[f"{prefix}_text_model_encoder_layers_{m.group(1)}_{m.group(2).replace('.', '_')}"] = module
    return out


def _base(module):
    """The wrapped layer of a module peft has adapted, else the module: names stay the same."""
    return getattr(module, "base_layer", module)


def peft_target_names(targets: Dict[str, object], model) -> list:
    """The module paths peft must wrap for ``targets`` (taken from ``model``'s own tree)."""
    wanted = {id(m) for m in targets.values()}
    return [name for name, module in model.named_modules() if id(module) in wanted]


def module_paths(targets: Dict[str, object], model) -> Dict[str, str]:
    """kohya name -> module path inside ``model`` (where peft must wrap it)."""
    path_of = {id(module): name for name, module in model.named_modules()}
    return {kohya: path_of[id(module)] for kohya, module in targets.items()}


def unet_targets_by_map(diffusers_to_model: Dict[str, str], layout: str = "diffusers") -> Dict[str, str]:
    """kohya name -> module path, for a UNet in another layout (ComfyUI's LDM ``input_blocks…``),
    from a map of diffusers weight keys to that layout's keys (ComfyUI's ``unet_to_diffusers``):
    the targets are chosen by their diffusers path and named after the ``layout`` kohya uses for
    the family, "diffusers" (SD1.x) or "sgm" (SDXL: the model's own ``input_blocks…`` path, which
    is ComfyUI's), so the file names modules as kohya does whatever tree was trained."""
    if layout not in ("diffusers", "sgm"):
        raise ValueError(f"unknown UNet layout {layout!r}")
    out = {}
    for key, other in diffusers_to_model.items():
        if key.endswith(".weight") and _UNET.fullmatch(key[: -len(".weight")]):
            named = key if layout == "diffusers" else other
            out[f"{UNET_PREFIX}_{named[: -len('.weight')].replace('.', '_')}"] = other[: -len(".weight")]
    return out
