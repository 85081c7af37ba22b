"""CharacterReference and GroupSplit: name the characters from reference stills, and split the
frames into one set per group (A, B, A+B)."""

from ..anim2lora import cache_layout
from ..anim2lora.gallery import split_gallery
from ..anim2lora.hashing import settings_digest
from ..anim2lora.image.files import check_reference
from ..anim2lora.people import identity
from ..anim2lora.people.detectors import MODELS_FOLDER
from ..anim2lora.people.export import write_groups
from ..anim2lora.people.group_report import group_counts, group_report, group_sheet
from ..anim2lora.people.groups import GroupSettings, check_names, group_split
from . import bridge
from .comfy_types import FRAMES, GROUPS, REFERENCES, bgr_stills, filter_inputs, image_batch, setting_inputs


class CharacterReference:
    DESCRIPTION = ("One character's name and 1-5 reference stills of them alone. Chain one node per "
                   "character into GroupSplit's references (any number of characters).")
    CATEGORY = "anim2lora/data"
    FUNCTION = "add"
    RETURN_TYPES = (REFERENCES,)
    RETURN_NAMES = ("references",)
    OUTPUT_TOOLTIPS = ("The references so far, this character added.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "name": ("STRING", {"default": "A", "tooltip": "The character's name: the group name and the "
                                    "caption tag (letters, digits, space, '_', '.', '-')."}),
                "images": ("IMAGE", {"tooltip": "1-5 stills of this character alone (a batch); different poses "
                                     "help. Load Image nodes batched, or frames from your own animation."}),
            },
            "optional": {
                "references": (REFERENCES, {"tooltip": "References of other characters, from another Character "
                                            "Reference node."}),
                "mask": ("MASK", {"tooltip": "Load Image's MASK, for stills saved with transparency: the "
                                  "transparent parts are laid on white."}),
            },
        }

    def add(self, name, images, references=(), mask=None):
        name = name.strip()
        check_names([n for n, _ in references] + [name])
        stills = tuple(bgr_stills(images, mask))
        for k, still in enumerate(stills):
            check_reference(still, f"reference {name}, picture {k + 1}")
        return (tuple(references) + ((name, stills),),)


class GroupSplit:
    DESCRIPTION = ("Names every counted character after the nearest reference still and puts each frame in "
                   "the group of the characters it shows (A, B, A+B). Frames with an unknown character or "
                   "overlapping bodies are rejected with the reason; thin groups are warned about.")
    CATEGORY = "anim2lora/data"
    FUNCTION = "split"
    RETURN_TYPES = (GROUPS, FRAMES, "IMAGE", "STRING")
    RETURN_NAMES = ("groups", "rejected", "preview", "report")
    OUTPUT_TOOLTIPS = (
        "One frame set per group, and the character crops, written as folders under output/anim2lora/groups.",
        "The frames no group took, each with its reason (unknown, overlap, no_character).",
        "A grid per group and one of the rejected frames, names drawn on the characters.",
        "Frames per group, rejections by reason, and warnings for groups too thin to train.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        return filter_inputs({"references": (REFERENCES, {"tooltip": "The characters, from Character Reference "
                                                          "nodes."}), **setting_inputs(GroupSettings)},
                             "A frame set, best from Person Count Filter (its counting settings are reused).")

    def split(self, frames, references, unique_id=None, **settings):
        settings = GroupSettings(**settings)
        result = group_split(frames, {name: list(stills) for name, stills in references}, settings,
                             progress=bridge.progress(len(frames), unique_id), device=bridge.torch_device(),
                             detect_models=bridge.models_dir(MODELS_FOLDER),
                             embed_models=bridge.models_dir(identity.MODELS_FOLDER))
        key = settings_digest({"groups": {g: s.id for g, s in result.groups.items()}, "rejected": result.rejected.id,
                               "crops": {n: s.id for n, s in result.crops.items()}}, 12)
        groups = write_groups(result.groups, result.crops, bridge.cache_root() / cache_layout.GROUPS / key)
        report = group_report(result) + f"\ngroup folders: {groups.folder}"
        ui = {"a2l_report": [report], "a2l_groups": [group_counts(result)],
              "a2l_gallery": bridge.gallery_ui(split_gallery(result.groups, result.rejected))}
        return {"ui": ui, "result": (groups, result.rejected, image_batch(group_sheet(result)), report)}


NODE_CLASS_MAPPINGS = {"CharacterReference": CharacterReference, "GroupSplit": GroupSplit}
NODE_DISPLAY_NAME_MAPPINGS = {"CharacterReference": "Character Reference (Anim2LoRA)",
                              "GroupSplit": "Group Split (Anim2LoRA)"}
