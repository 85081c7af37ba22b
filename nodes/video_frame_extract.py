"""VideoFrameExtract: a video from the input folder in, a cached frame set out."""

import os

from ..anim2lora.errors import Anim2LoRAError
from ..anim2lora.extract.report import text_report
from ..anim2lora.extract.run import extract
from ..anim2lora.extract.settings import ExtractSettings
from ..anim2lora.gallery import filter_gallery
from ..anim2lora.preview import contact_sheet
from . import bridge
from .comfy_types import FRAMES, image_batch, setting_inputs


class VideoFrameExtract:
    DESCRIPTION = ("Decodes a video once, as a stream, into a frame set on disk: one frame per "
                   "drawing, with shot cuts, dissolves, fades, black and blurred frames dropped and "
                   "every decision recorded. Re-running with the same video and settings is instant.")
    CATEGORY = "anim2lora/data"
    FUNCTION = "extract"
    RETURN_TYPES = (FRAMES, "IMAGE", "STRING")
    RETURN_NAMES = ("frames", "preview", "report")
    OUTPUT_TOOLTIPS = (
        "The kept frames as a frame set (files on disk plus a manifest) for the next stage.",
        "A contact sheet of up to 24 kept frames, spread over the video.",
        "Counts per reason for every dropped frame, shots, damage found in the file.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "video": (bridge.list_videos(), {
                    "video_upload": True,
                    "tooltip": "A video in ComfyUI's input folder (mp4, mkv, webm, mov, avi, gif)."}),
                **setting_inputs(ExtractSettings),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    @classmethod
    def VALIDATE_INPUTS(cls, video):
        try:
            bridge.resolve_input(video)
        except Anim2LoRAError as e:
            return str(e)
        return True

    @classmethod
    def IS_CHANGED(cls, video, **_):
        try:
            st = os.stat(bridge.resolve_input(video))
        except (Anim2LoRAError, OSError):
            return ""
        return f"{st.st_size}:{st.st_mtime_ns}"

    def extract(self, video, unique_id=None, **settings):
        path = bridge.resolve_input(video)
        result = extract(path, bridge.cache_root(), ExtractSettings(**settings),
                         bridge.progress(0, unique_id))
        report = text_report(result.frames, result.cached)
        preview = image_batch(contact_sheet(result.frames))
        ui = {"a2l_report": [report], "a2l_gallery": bridge.gallery_ui(filter_gallery(result.frames))}
        return {"ui": ui, "result": (result.frames, preview, report)}


NODE_CLASS_MAPPINGS = {"VideoFrameExtract": VideoFrameExtract}
NODE_DISPLAY_NAME_MAPPINGS = {"VideoFrameExtract": "Video Frame Extract (Anim2LoRA)"}
