"""What lies under a cache root (ComfyUI's ``output/anim2lora``, or a command's ``--out``)::

    <root>/frames/<extraction id>/<source index>.png   a video's frames, written once (extract)
    <root>/frames/text-<id>/, crops-<id>/              cropped or painted frames, character crops
    <root>/sets/<set id>.json                          one manifest per frame set (frameset.py)
    <root>/analysis.sqlite                             per-frame analysis cache (store.py)
    <root>/groups/<key>/                               GroupSplit's and SingleGroup's folders
    <root>/composed/<key>/                             PairCompose's folders (the groups, composed pairs, stills)
    <root>/lineart/<key>/                              LineArtPrep's folders
    <root>/datasets/<key>/                             CaptionWithKeepTokens' kohya datasets
    <root>/latents/, train_state/<name>/               TrainLoRA's latents and resumable state

A command line stage writes the same names under the folder it is given.  Names only: the
modules that write each entry decide what goes in it.
"""

from pathlib import Path

ANALYSIS = "analysis.sqlite"
FRAMES = "frames"
SETS = "sets"
GROUPS = "groups"
COMPOSED = "composed"
LINEART = "lineart"
DATASETS = "datasets"
LATENTS = "latents"
TRAIN_STATE = "train_state"


def analysis_path(root) -> Path:
    """The analysis cache of the cache root (or output folder) ``root``."""
    return Path(root) / ANALYSIS
