"""LineArtVerdict: generated pictures in; the source write-up's failure table measured on them
out, as an annotated grid, a markdown report and JSON, beside an earlier verdict if given."""

import json

from ..anim2lora.people import identity
from ..anim2lora.people.detectors import MODELS_FOLDER
from ..anim2lora.verdict.report import compare, grid, markdown
from ..anim2lora.verdict.run import dataset_line_width, judge
from ..anim2lora.verdict.settings import VerdictSettings
from . import bridge
from .comfy_types import DATASET, REFERENCES, VERDICT, bgr_stills, image_batch, setting_inputs


class LineArtVerdict:
    DESCRIPTION = ("Judges generated line art with the data stages' own analyzers: background left on the "
                   "paper, colour in strokes and fills, stroke width against the dataset's, ghost text, the "
                   "character count, fused heads and resemblance to each character's reference stills. Missing "
                   "limbs are not measured (no pose detector ships).")
    CATEGORY = "anim2lora/verdict"
    FUNCTION = "judge"
    OUTPUT_NODE = True
    RETURN_TYPES = ("IMAGE", "STRING", "STRING", VERDICT)
    RETURN_NAMES = ("grid", "report", "json", "verdict")
    OUTPUT_TOOLTIPS = ("Every picture with its boxes and numbers; failing numbers in red.",
                       "The write-up's failure table as numbers, one row per picture, and the comparison.",
                       "The same as JSON: images (per picture) and summary.",
                       "This verdict, to compare a later run against.")

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
                    "images": ("IMAGE", {"tooltip": "The generated pictures as drawn: Line Art Sampler's raw output (its "
                                         "clean-up would hide a stuck background or colour bleed)."}),
                    **setting_inputs(VerdictSettings)},
                "optional": {
                    "references": (REFERENCES, {"tooltip": "The characters, from Character Reference nodes: "
                                                "resemblance is measured against their stills."}),
                    "dataset": (DATASET, {"tooltip": "The dataset the LoRA was trained on (Caption With Keep "
                                          "Tokens): its median stroke width is the reference."}),
                    "previous": (VERDICT, {"tooltip": "An earlier verdict (say the v1 LoRA's) to set side by "
                                           "side with this one."})},
                "hidden": {"unique_id": "UNIQUE_ID"}}

    def judge(self, images, ask, line_width=0.0, references=(), dataset=None, previous=None, unique_id=None):
        pictures = [(f"#{k + 1}", bgr) for k, bgr in enumerate(bgr_stills(images))]
        width = line_width or (dataset_line_width(dataset.folder) if dataset is not None else None)
        verdict = judge(pictures, {name: list(stills) for name, stills in references}, ask, width,
                        bridge.progress(len(pictures), unique_id), device=bridge.torch_device(),
                        detect_models=bridge.models_dir(MODELS_FOLDER),
                        embed_models=bridge.models_dir(identity.MODELS_FOLDER))
        data = verdict.to_json()
        report = markdown(data)
        if previous is not None:
            report += "\n\n" + compare(previous.to_json(), data, ("previous", "this"))
        return {"ui": {"a2l_report": [report]},
                "result": (image_batch(grid(verdict)), report, json.dumps(data), verdict)}


NODE_CLASS_MAPPINGS = {"LineArtVerdict": LineArtVerdict}
NODE_DISPLAY_NAME_MAPPINGS = {"LineArtVerdict": "Line Art Verdict (Anim2LoRA)"}
