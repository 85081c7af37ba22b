"""PersonCountFilter: a frame set in; the frames showing the wanted number of characters out."""

from ..anim2lora.gallery import filter_gallery
from ..anim2lora.people.detectors import MODELS_FOLDER
from ..anim2lora.people.report import count_report, count_sheet
from ..anim2lora.people.run import count_people
from ..anim2lora.people.settings import CountSettings
from . import bridge
from .comfy_types import FRAMES, filter_inputs, image_batch, setting_inputs


class PersonCountFilter:
    DESCRIPTION = ("Counts the characters in every frame with a detector (not a tagger) and keeps the frames "
                   "with min_count to max_count of them. Fragments cut by the frame edge, boxes on text and "
                   "small figures far behind do not count; overlapping or fused bodies are flagged 'overlap'.")
    CATEGORY = "anim2lora/data"
    FUNCTION = "filter"
    RETURN_TYPES = (FRAMES, FRAMES, "IMAGE", "STRING")
    RETURN_NAMES = ("frames", "rejected", "preview", "report")
    OUTPUT_TOOLTIPS = (
        "The frames whose character count is within min_count..max_count, without overlaps.",
        "The other frames, each with its reason (overlap, framing, headless, no_character, too_few, too_many).",
        "Up to 24 frames with every box labelled: character, fragment, text, background, overlap, small.",
        "Frames per character count, boxes per label, and the dropped frames by reason.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        inputs = filter_inputs(setting_inputs(CountSettings))
        # optional, after every older widget: saved workflows and API prompts without it keep loading
        inputs["optional"] = setting_inputs(CountSettings, optional=True)
        return inputs

    def filter(self, frames, unique_id=None, **settings):
        settings = CountSettings(**settings)
        result = count_people(frames, settings, bridge.progress(len(frames), unique_id),
                              device=bridge.torch_device(), models_dir=bridge.models_dir(MODELS_FOLDER))
        report = count_report(result)
        ui = {"a2l_report": [report], "a2l_gallery": bridge.gallery_ui(filter_gallery(result.kept))}
        return {"ui": ui,
                "result": (result.kept, result.rejected, image_batch(count_sheet(result.kept)), report)}


NODE_CLASS_MAPPINGS = {"PersonCountFilter": PersonCountFilter}
NODE_DISPLAY_NAME_MAPPINGS = {"PersonCountFilter": "Person Count Filter (Anim2LoRA)"}
