"""CaptionWithKeepTokens: GroupSplit's groups in; a kohya dataset with pinned names out."""

from ..anim2lora import cache_layout
from ..anim2lora.dataset import tagger as wd14
from ..anim2lora.dataset.report import caption_report
from ..anim2lora.dataset.run import build_dataset
from ..anim2lora.dataset.settings import CaptionSettings
from ..anim2lora.hashing import settings_digest
from . import bridge
from .comfy_types import DATASET, GROUPS, setting_inputs


class CaptionWithKeepTokens:
    DESCRIPTION = ("Captions every grouped picture with its characters' names pinned first (keep_tokens) and "
                   "clean tags (no colours, text or backgrounds by default), and writes a dataset kohya "
                   "sd-scripts and Train LoRA read: <repeats>_<group> folders with balanced repeats and "
                   "dataset_config.toml.")
    CATEGORY = "anim2lora/dataset"
    FUNCTION = "caption"
    OUTPUT_NODE = True        # the kohya dataset on disk is a result in itself, trained here or elsewhere
    RETURN_TYPES = (DATASET, "STRING", "STRING")
    RETURN_NAMES = ("dataset", "dataset_dir", "report")
    OUTPUT_TOOLTIPS = (
        "The dataset, for Train LoRA.",
        "Its folder under output/anim2lora/datasets (kohya: --dataset_config <folder>/dataset_config.toml).",
        "Pictures, repeats and share of the steps per group, sample captions, warnings.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        installed = {"tagger": wd14.installed(bridge.models_dir(wd14.MODELS_FOLDER))}
        return {"required": {"groups": (GROUPS, {"tooltip": "The groups from Group Split (or Pair Compose)."}),
                             **setting_inputs(CaptionSettings, installed)},
                # optional, after every older widget: saved workflows and API prompts without them keep loading
                "optional": setting_inputs(CaptionSettings, optional=True),
                "hidden": {"unique_id": "UNIQUE_ID"}}

    def caption(self, groups, unique_id=None, **settings):
        settings = CaptionSettings(**settings)
        key = settings_digest({"groups": str(groups.folder), "settings": settings.to_dict()}, 12)
        result = build_dataset(groups, bridge.cache_root() / cache_layout.DATASETS / key, settings,
                               bridge.progress(0, unique_id), device=bridge.torch_device(),
                               models_dir=bridge.models_dir(wd14.MODELS_FOLDER),
                               scores=cache_layout.analysis_path(bridge.cache_root()))
        report = caption_report(result)
        return {"ui": {"a2l_report": [report]}, "result": (result.dataset, str(result.dataset.folder), report)}


NODE_CLASS_MAPPINGS = {"CaptionWithKeepTokens": CaptionWithKeepTokens}
NODE_DISPLAY_NAME_MAPPINGS = {"CaptionWithKeepTokens": "Caption With Keep Tokens (Anim2LoRA)"}
