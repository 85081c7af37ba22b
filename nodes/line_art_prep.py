"""LineArtPrep: grouped frames in; the same groups as clean dark lines on white out."""

from ..anim2lora import cache_layout
from ..anim2lora.hashing import settings_digest
from ..anim2lora.lineart import learned
from ..anim2lora.lineart.run import LineArtSettings, lineart_report, lineart_sheet, prep_lineart
from . import bridge
from .comfy_types import GROUPS, image_batch, setting_inputs


class LineArtPrep:
    DESCRIPTION = ("Turns every grouped frame and crop into clean dark lines on pure white at training "
                   "resolution: fills, colours and backgrounds go (the write-up's sticky pink background and "
                   "colour bleed), thin strokes stay thin (measured before and after). GroupSplit's raw frames "
                   "stay as they were; this writes new group folders.")
    CATEGORY = "anim2lora/dataset"
    FUNCTION = "prep"
    RETURN_TYPES = (GROUPS, "IMAGE", "STRING")
    RETURN_NAMES = ("groups", "preview", "report")
    OUTPUT_TOOLTIPS = ("The same groups and crops, as line art, for Caption With Keep Tokens.",
                       "Before and after, side by side.",
                       "Pictures, method, and the median stroke width before and after.")

    @classmethod
    def INPUT_TYPES(cls):
        installed = {"method": learned.installed(bridge.models_dir(learned.MODELS_FOLDER))}
        return {"required": {"groups": (GROUPS, {"tooltip": "The groups from Group Split."}),
                             **setting_inputs(LineArtSettings, installed)},
                "hidden": {"unique_id": "UNIQUE_ID"}}

    def prep(self, groups, unique_id=None, **settings):
        settings = LineArtSettings(**settings)
        key = settings_digest({"groups": str(groups.folder), "settings": settings.__dict__}, 12)
        result = prep_lineart(groups, bridge.cache_root() / cache_layout.LINEART / key, settings,
                              bridge.progress(0, unique_id), device=bridge.torch_device(), models_dir=bridge.models_dir(learned.MODELS_FOLDER))
        report = lineart_report(result)
        return {"ui": {"a2l_report": [report]}, "result": (result.groups, image_batch(lineart_sheet(result)), report)}


NODE_CLASS_MAPPINGS = {"LineArtPrep": LineArtPrep}
NODE_DISPLAY_NAME_MAPPINGS = {"LineArtPrep": "Line Art Prep (Anim2LoRA)"}
