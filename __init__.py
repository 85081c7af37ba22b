"""Anim2LoRA: turn your own hand-drawn animation into a line-art LoRA, as one ComfyUI graph.

ComfyUI imports this folder as a package; the nodes are thin adapters in ``nodes/`` over the
host-free core in ``anim2lora/``.
"""

if __package__:
    # ComfyUI imports the folder as a package.  pytest, run from a clone whose folder name is no
    # Python name (say "anim2lora-ci"), imports this file alone; there is nothing to register then.
    from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

WEB_DIRECTORY = "./js"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
