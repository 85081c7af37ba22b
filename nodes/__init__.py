"""ComfyUI adapters, one module per stage.  A stage that fails to import is logged and skipped,
so one missing optional dependency never takes the whole pack down."""

import importlib
import logging

_STAGES = ("video_frame_extract", "text_frame_filter", "person_count_filter", "group_split", "single_group",
           "pair_compose", "line_art_prep", "caption_with_keep_tokens", "train_lora",
           "line_art_sampler", "line_art_verdict")

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}
IMPORT_FAILURES = {}

for _name in _STAGES:
    try:
        _module = importlib.import_module(f".{_name}", __name__)
    except Exception as e:  # noqa: BLE001 - report and keep the other stages
        IMPORT_FAILURES[_name] = f"{type(e).__name__}: {e}"
        logging.getLogger("anim2lora").warning("Anim2LoRA: node module %s not loaded: %s", _name, e)
        continue
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)
