"""CaptionWithKeepTokens' settings, each declared once (anim2lora/specs.py): the node, the
command line and the dataset's own record all read this record."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import check_declared, setting
from .captions import count_text
from .tags import DEFAULT_BLACKLIST


@dataclass(frozen=True)
class CaptionSettings:
    tagger: str = setting(
        "auto", "auto: the WD14 tagger in models/wd14_tagger/wd-v1-4-vit-tagger-v2 when it is there, else "
        "offline. offline: tags measured on the picture (colour, background, how much of the body shows). Or the "
        "name of any tagger under models/wd14_tagger/: a folder with model.onnx and selected_tags.csv, or "
        "<name>.onnx with <name>.csv (ComfyUI-WD14-Tagger's files).", choices=("auto", "offline"), installed=True)
    trigger: str = setting("", "A style trigger pinned after the names in every caption (empty: none).")
    count_tag: str = setting("{n}people", "Pinned after the names of a group of several characters; {n} is their "
                             "number (empty: none).")
    keep_tokens_separator: str = setting(
        "", "kohya's keep_tokens_separator (e.g. |||): the pinned head is marked in the caption itself. Empty: the "
        "head is pinned by keep_tokens alone.")
    blacklist: str = setting(
        ", ".join(DEFAULT_BLACKLIST), "Tags never written, comma-separated; * matches anything ('pink *', '* "
        "background'). The default drops colours (colour bleed), text, backgrounds and scenery (but keeps 'white "
        "background') and tagger person counts.", widget={"multiline": True})
    use_crops: bool = setting(True, "Add GroupSplit's per-character crops to each character's own group as extra "
                              "solo pictures.", old_flags={"--no-crops": False})
    general_threshold: float = setting(0.35, "A general tag is written when the tagger is at least this sure.",
                                       low=0.1, high=1.0, step=0.01)
    character_threshold: float = setting(0.85, "A character tag is written when the tagger is at least this sure.",
                                         low=0.1, high=1.0, step=0.01)
    balance: float = setting(
        1.0, "1: repeats give every group an equal share of the training steps; 0: every group is seen once per "
        "epoch, so small groups learn little.", low=0.0, high=1.0, step=0.05)
    max_repeats: int = setting(16, "Repeats never exceed this (a warning comes past 8).", low=1, high=100, step=1)
    resolution: int = setting(512, "Training resolution written into the dataset config (buckets of 64 px around "
                              "it).", low=256, high=2048, step=64)
    allow_download: bool = setting(False, "Download the default WD14 tagger (pinned revision; needs internet) when "
                                   "it is missing.")
    # optional, after every older widget: saved workflows and API prompts without them keep loading
    composed_share: float = setting(
        3.0, "PairCompose's composed pictures of a group are used up to this many times its real frames (evenly "
        "picked), and repeated as its frames are, so they never take more than this multiple of the real frames' "
        "steps; 0: none.", low=0.0, high=20.0, step=0.5, optional=True)
    stills_repeats: int = setting(
        0, "Repeats of each character's own stills (PairCompose's stills subset); 0: as many as the character's "
        "frames get.", low=0, high=100, step=1, optional=True)

    def __post_init__(self):
        check_declared(self)
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
