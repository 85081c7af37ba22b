"""Anim2LoRA core: everything that turns an animation into a line-art LoRA, with no ComfyUI import.

The ComfyUI nodes in ``nodes/`` and the command line (``python -m anim2lora``) are thin layers
over these modules.  Heavy libraries (PyAV, OpenCV, torch) are imported inside the functions
that need them, so importing this package is cheap.
"""

__version__ = "0.1.0"
