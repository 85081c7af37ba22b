"""Gradient checkpointing for models that have no switch of their own (ComfyUI's UNet): chosen
blocks recompute their activations in the backward pass.  Reversible, because the model may be
used for sampling afterwards."""

import functools
from typing import Callable, Iterable, List

import torch
from torch.utils.checkpoint import checkpoint


def checkpoint_blocks(modules: Iterable[torch.nn.Module]) -> Callable[[], None]:
    """Wrap each module's forward; returns the function that unwraps them."""
    wrapped: List[torch.nn.Module] = []
    for module in modules:
        inner = module.forward

        @functools.wraps(inner)
        def forward(*args, _inner=inner, **kwargs):
            if not torch.is_grad_enabled():
                return _inner(*args, **kwargs)
            return checkpoint(_inner, *args, use_reentrant=False, **kwargs)

        module.forward = forward        # an instance attribute: deleting it restores the class's
        wrapped.append(module)

    def undo():
        for module in wrapped:
            module.__dict__.pop("forward", None)

    return undo


def blocks_named(model: torch.nn.Module, class_names: Iterable[str]) -> List[torch.nn.Module]:
    names = set(class_names)
    return [m for m in model.modules() if type(m).__name__ in names]
