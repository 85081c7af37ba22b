"""CaptionWithKeepTokens' settings: one record and one table of ranges and help texts for the
node, the command line and the dataset's own record."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import Spec, check_ranges
from .captions import count_text
from .tags import DEFAULT_BLACKLIST

TAGGER_HELP = ("auto: the WD14 tagger in models/wd14_tagger/wd-v1-4-vit-tagger-v2 when it is there, else "
               "offline. offline: tags measured on the picture (colour, background, how much of the body shows). "
               "Or the name of any tagger under models/wd14_tagger/: a folder with model.onnx and "
               "selected_tags.csv, or <name>.onnx with <name>.csv (ComfyUI-WD14-Tagger's files).")
TRIGGER_HELP = "A style trigger pinned after the names in every caption (empty: none)."
COUNT_HELP = "Pinned after the names of a group of several characters; {n} is their number (empty: none)."
SEPARATOR_HELP = ("kohya's keep_tokens_separator (e.g. |||): the pinned head is marked in the caption itself. "
                  "Empty: the head is pinned by keep_tokens alone.")
BLACKLIST_HELP = ("Tags never written, comma-separated; * matches anything ('pink *', '* background'). The "
                  "default drops colours (colour bleed), text, backgrounds and scenery (but keeps 'white "
                  "background') and tagger person counts.")
CROPS_HELP = "Add GroupSplit's per-character crops to each character's own group as extra solo pictures."
DOWNLOAD_HELP = "Download the default WD14 tagger (pinned revision; needs internet) when it is missing."

SPECS = {
    "general_threshold": Spec(0.1, 1.0, 0.01, "A general tag is written when the tagger is at least this sure."),
    "character_threshold": Spec(0.1, 1.0, 0.01, "A character tag is written when the tagger is at least this "
                                "sure."),
    "balance": Spec(0.0, 1.0, 0.05, "1: repeats give every group an equal share of the training steps; 0: every "
                    "group is seen once per epoch, so small groups learn little."),
    "max_repeats": Spec(1, 100, 1, "Repeats never exceed this (a warning comes past 8)."),
    "resolution": Spec(256, 2048, 64, "Training resolution written into the dataset config (buckets of 64 px "
                       "around it)."),
}


@dataclass(frozen=True)
class CaptionSettings:
    tagger: str = "auto"
    general_threshold: float = 0.35
    character_threshold: float = 0.85
    trigger: str = ""
    count_tag: str = "{n}people"
    keep_tokens_separator: str = ""
    blacklist: str = ", ".join(DEFAULT_BLACKLIST)
    use_crops: bool = True
    balance: float = 1.0
    max_repeats: int = 16
    resolution: int = 512
    allow_download: bool = False

    def __post_init__(self):
        check_ranges(self, SPECS)
        # {n} is replaced as text, never str.format: a format field could read attributes ({n.__class__})
        if "{" in self.count_tag.replace("{n}", "") or "}" in self.count_tag.replace("{n}", ""):
            raise BadInputError(f"count_tag '{self.count_tag}': only {{n}} may stand in braces (the number), "
                                "e.g. '{n}people'.")
        count = count_text(self.count_tag, 2)
        sep = self.keep_tokens_separator
        # kohya splits tags on commas and keeps only a caption's first line; each pinned part is one tag
        for name, value in (("trigger", self.trigger), ("count_tag", count)):
            if "," in value or "\n" in value or (sep and sep in value):
                raise BadInputError(f"{name} '{value}': one tag, without commas, line breaks or the separator.")
        if sep and (not sep.strip() or "," in sep or "\n" in sep):
            raise BadInputError(f"keep_tokens_separator '{sep}': a mark such as |||, not blank, without commas or "
                                "line breaks (kohya splits tags on commas).")

    def to_dict(self) -> dict:
        return asdict(self)
