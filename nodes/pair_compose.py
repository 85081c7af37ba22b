"""PairCompose: GroupSplit's groups and the references in; the same groups with composed
two-character pictures and each character's own stills out."""

from ..anim2lora import cache_layout
from ..anim2lora.compose.report import compose_report, compose_sheet
from ..anim2lora.compose.run import compose, pictures_key
from ..anim2lora.compose.settings import ComposeSettings
from ..anim2lora.hashing import settings_digest
from ..anim2lora.people import identity
from ..anim2lora.people.detectors import MODELS_FOLDER
from . import bridge
from .comfy_types import GROUPS, REFERENCES, image_batch, setting_inputs


class PairCompose:
    DESCRIPTION = ("Grows a thin two-character group (A+B) from clean solo frames: each character cut out of "
                   "its solo frames, matched in scale by head height, laid side by side on white at several gaps "
                   "and heights (never overlapping), each picture kept only when Group Split's own counting and "
                   "naming find exactly that pair. The composed pictures and each character's stills become "
                   "subsets of their own in Caption With Keep Tokens, apart from the real frames.")
    CATEGORY = "anim2lora/data"
    FUNCTION = "compose"
    RETURN_TYPES = (GROUPS, "IMAGE", "STRING")
    RETURN_NAMES = ("groups", "preview", "report")
    OUTPUT_TOOLTIPS = (
        "The same groups, with composed pairs and stills beside them, for Line Art Prep.",
        "Each pair group's real frames, then its composed pictures, then the stills.",
        "Composed pictures per group, the checks' pass rate, rejects by reason, stills per character.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"groups": (GROUPS, {"tooltip": "The groups from Group Split."}),
                             "references": (REFERENCES, {"tooltip": "The characters, from the Character Reference "
                                                         "nodes Group Split used: every composed picture is "
                                                         "checked against them."}),
                             **setting_inputs(ComposeSettings)},
                "optional": {"stills": (REFERENCES, {"tooltip": "Your own drawn stills of each character alone, "
                                                     "from Character Reference nodes (any number each): added to "
                                                     "the character's stills when they pass the same checks."})},
                "hidden": {"unique_id": "UNIQUE_ID"}}

    def compose(self, groups, references, stills=(), unique_id=None, **settings):
        settings = ComposeSettings(**settings)
        refs = {name: list(pictures) for name, pictures in references}
        drawn = {}
        for name, pictures in stills or ():
            drawn.setdefault(name, []).extend(pictures)
        key = settings_digest({"groups": str(groups.folder), "settings": settings.to_dict(),
                               "references": pictures_key(refs), "stills": pictures_key(drawn)}, 12)
        result = compose(groups, refs, bridge.cache_root() / cache_layout.COMPOSED / key, settings,
                         bridge.progress(settings.count, unique_id), drawn=drawn, device=bridge.torch_device(),
                         detect_models=bridge.models_dir(MODELS_FOLDER),
                         embed_models=bridge.models_dir(identity.MODELS_FOLDER))
        report = compose_report(result)
        return {"ui": {"a2l_report": [report]}, "result": (result.groups, image_batch(compose_sheet(result)), report)}


NODE_CLASS_MAPPINGS = {"PairCompose": PairCompose}
NODE_DISPLAY_NAME_MAPPINGS = {"PairCompose": "Pair Compose (Anim2LoRA)"}
