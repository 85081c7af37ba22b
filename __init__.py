"""Anim2LoRA: turn your own hand-drawn animation into a line-art LoRA, as one ComfyUI graph.

ComfyUI imports this folder as a package; the nodes are thin adapters in ``nodes/`` over the
host-free core in ``anim2lora/``.
"""

from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

WEB_DIRECTORY = "./js"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
