"""SingleGroup: a frame set in; the same frames as one group out (no reference stills)."""

from ..anim2lora import cache_layout
from ..anim2lora.people.single_group import SingleGroupSettings, single_group, single_group_report
from . import bridge
from .comfy_types import FRAMES, GROUPS, setting_inputs


class SingleGroup:
    DESCRIPTION = ("Passes every frame on as one group, with no character named: the source write-up's first "
                   "attempt (about 300 frames lumped together), kept so its failures can be measured, or a "
                   "clip with a single character. For two or more characters use Group Split.")
    CATEGORY = "anim2lora/data"
    FUNCTION = "group"
    RETURN_TYPES = (GROUPS, "STRING")
    RETURN_NAMES = ("groups", "report")
    OUTPUT_TOOLTIPS = ("The one group, written as a folder under output/anim2lora/groups, for Line Art Prep or "
                       "Caption With Keep Tokens.",
                       "The number of frames and the group folder.")

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "frames": (FRAMES, {"tooltip": "A frame set from Video Frame Extract or a filter."}),
            **setting_inputs(SingleGroupSettings)}}

    def group(self, frames, name):
        out = bridge.cache_root() / cache_layout.GROUPS / f"single-{frames.id[:12]}-{name.strip()}"
        groups = single_group(frames, name, out)
        report = single_group_report(groups)
        return {"ui": {"a2l_report": [report]}, "result": (groups, report)}


NODE_CLASS_MAPPINGS = {"SingleGroup": SingleGroup}
NODE_DISPLAY_NAME_MAPPINGS = {"SingleGroup": "Single Group (Anim2LoRA)"}
