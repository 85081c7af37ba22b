"""TextFrameFilter: a frame set in; the frames without burned-in text, and those with it, out."""

from ..anim2lora.gallery import filter_gallery
from ..anim2lora.text.report import rejected_sheet, text_report
from ..anim2lora.text.run import text_filter
from ..anim2lora.text.settings import TextSettings
from . import bridge
from .comfy_types import FRAMES, filter_inputs, image_batch, setting_inputs


class TextFrameFilter:
    DESCRIPTION = ("Finds burned-in text (subtitles, captions, title cards, signs) with OCR and drops, "
                   "crops or masks those frames, so the LoRA never learns text as texture. Eyes, "
                   "hatching and window rows that fool the detector are told apart and counted.")
    CATEGORY = "anim2lora/data"
    FUNCTION = "filter"
    RETURN_TYPES = (FRAMES, FRAMES, "IMAGE", "STRING")
    RETURN_NAMES = ("frames", "rejected", "preview", "report")
    OUTPUT_TOOLTIPS = (
        "The frames without text (cropped or masked ones included, as edited copies).",
        "The frames that showed text, originals, with their text boxes in the manifest.",
        "Up to 24 frames that showed text, with the boxes drawn in red.",
        "Counts per action, boxes ignored as drawing by reason, and one line per frame with text.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        return filter_inputs(setting_inputs(TextSettings))

    def filter(self, frames, unique_id=None, **settings):
        settings = TextSettings(**settings)
        result = text_filter(frames, settings, bridge.progress(len(frames), unique_id),
                             device=bridge.torch_device(), models_dir=bridge.models_dir("easyocr"))
        report = text_report(result)
        preview = image_batch(rejected_sheet(result.rejected))
        ui = {"a2l_report": [report], "a2l_gallery": bridge.gallery_ui(filter_gallery(result.kept))}
        return {"ui": ui, "result": (result.kept, result.rejected, preview, report)}


NODE_CLASS_MAPPINGS = {"TextFrameFilter": TextFrameFilter}
NODE_DISPLAY_NAME_MAPPINGS = {"TextFrameFilter": "Text Frame Filter (Anim2LoRA)"}
