"""VideoFrameExtract: a video from the input folder in, a cached frame set out."""

import os

from ..anim2lora.errors import Anim2LoRAError
from ..anim2lora.extract.report import text_report
from ..anim2lora.extract.run import extract
from ..anim2lora.extract.settings import SAMPLING_MODES, ExtractSettings
from ..anim2lora.preview import contact_sheet
from . import bridge
from .comfy_types import FRAMES, image_batch

_D = ExtractSettings()

_SETTINGS = {
    "sampling": (list(SAMPLING_MODES), {
        "default": _D.sampling,
        "tooltip": "unique_drawings: one frame per drawing (held frames collapse, near-identical "
                   "drawings too); every_nth: every n-th decoded frame; target_fps: a fixed rate."}),
    "every_nth": ("INT", {"default": _D.every_nth, "min": 1, "max": 100000,
                          "tooltip": "With sampling = every_nth: keep one frame in this many."}),
    "target_fps": ("FLOAT", {"default": _D.target_fps, "min": 0.01, "max": 240.0, "step": 0.01,
                             "tooltip": "With sampling = target_fps: frames per second of video to keep."}),
    "unique_threshold": ("FLOAT", {
        "default": _D.unique_threshold, "min": 0.0, "max": 1.0, "step": 0.001,
        "tooltip": "With unique_drawings: share of the picture that must differ from the last kept "
                   "drawing of the shot. 0.03 collapses near-identical poses (mouth flaps, small "
                   "in-betweens); 0 keeps every new drawing."}),
    "max_frames": ("INT", {"default": _D.max_frames, "min": 0, "max": 1000000,
                           "tooltip": "Keep at most this many frames (0 = no cap): every shot keeps its "
                                      "first good frame, the rest are spread evenly in time and then "
                                      "balanced across shots. Frames over the cap are never written."}),
    "cut_threshold": ("FLOAT", {
        "default": _D.cut_threshold, "min": 0.05, "max": 1.0, "step": 0.01,
        "tooltip": "How different two drawings must be (0-1) to count as a shot change; it must "
                   "also stand out against the motion around it."}),
    "cut_margin": ("INT", {"default": _D.cut_margin, "min": 0, "max": 240,
                           "tooltip": "Skip frames this close (in frames) to a cut or transition."}),
    "blur_threshold": ("FLOAT", {
        "default": _D.blur_threshold, "min": 0.0, "max": 1.0, "step": 0.01,
        "tooltip": "Drop frames less sharp than this share of their shot's typical sharpness "
                   "(mid-motion smears teach thick, muddy lines). 0 keeps all."}),
}


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
                **_SETTINGS,
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
        return {"ui": {"a2l_report": [report]}, "result": (result.frames, preview, report)}


NODE_CLASS_MAPPINGS = {"VideoFrameExtract": VideoFrameExtract}
NODE_DISPLAY_NAME_MAPPINGS = {"VideoFrameExtract": "Video Frame Extract (Anim2LoRA)"}
