"""peft's LoRA layers put into a model on kohya's targets, and taken out again.

peft does the layer work (kaiming-uniform down, zero up, the alpha/rank scale: kohya's own
initialisation); this module only decides where, keeps the LoRA weights float32 whatever the
frozen model computes in, and can restore the original modules, because ComfyUI's MODEL is shared
with every other node of the graph and must come back as it was.
"""

from contextlib import contextmanager
from typing import Dict, List

import torch

from .lora_file import ADAPTER


@contextmanager
def _seeded(seed: int):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def inject(model: torch.nn.Module, paths: Dict[str, str], rank: int, alpha: float, seed: int) -> Dict[str, object]:
    """Wrap each module of ``paths`` (kohya name -> path) in a LoRA layer; kohya name -> layer."""
    from peft import LoraConfig, inject_adapter_in_model

    if not paths:
        return {}
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, init_lora_weights=True,
                        target_modules=sorted(set(paths.values())))
    with _seeded(seed):                      # the same seed, the same starting LoRA
        inject_adapter_in_model(config, model, adapter_name=ADAPTER)
    layers = {name: model.get_submodule(path) for name, path in paths.items()}
    for layer in layers.values():
        for part in (layer.lora_A[ADAPTER], layer.lora_B[ADAPTER]):
            part.to(torch.float32).requires_grad_(True)
    return layers


def parameters(layers: Dict[str, object]) -> List[torch.nn.Parameter]:
    return [p for name in sorted(layers) for part in (layers[name].lora_A[ADAPTER], layers[name].lora_B[ADAPTER])
            for p in part.parameters()]


def remove(model: torch.nn.Module, paths: Dict[str, str]) -> None:
    """Put the original modules back where LoRA layers are (no-op where there are none)."""
    for path in set(paths.values()):
        parent_path, _, child = path.rpartition(".")
        parent = model.get_submodule(parent_path) if parent_path else model
        layer = getattr(parent, child)
        if hasattr(layer, "base_layer"):
            setattr(parent, child, layer.base_layer)


def weights(layers: Dict[str, object]) -> Dict[str, torch.Tensor]:
    """The LoRA's float32 weights under kohya names (for a resumable state)."""
    out = {}
    for name, layer in layers.items():
        out[f"{name}.lora_down.weight"] = layer.lora_A[ADAPTER].weight.detach().float().cpu().contiguous()
        out[f"{name}.lora_up.weight"] = layer.lora_B[ADAPTER].weight.detach().float().cpu().contiguous()
    return out


def load_weights(layers: Dict[str, object], tensors: Dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for name, layer in layers.items():
            layer.lora_A[ADAPTER].weight.copy_(tensors[f"{name}.lora_down.weight"])
            layer.lora_B[ADAPTER].weight.copy_(tensors[f"{name}.lora_up.weight"])


def finite(layers: Dict[str, object]) -> bool:
    return all(torch.isfinite(p).all() for p in parameters(layers))
