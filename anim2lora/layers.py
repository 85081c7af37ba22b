"""The order of the core's layers, lowest first: a module may import its own layer and the ones
below it, never one above (tests/test_layers.py reads every import, those inside functions
too).  Each name is a top-level module or package of ``anim2lora``.

The stages follow the data: video → frame set → filtered sets (text, people) → groups (people)
→ line art → dataset → LoRA (train) → samples → verdict, with one exception, on purpose:
``sample`` sits below ``train``.  The training loop draws its previews with the sampler and the
prompts of ``sample``; a LoRA reaches the sampler at run time, as a backend object, never by
import.  The node adapters (``nodes/``) sit above all of this; only ``nodes/bridge.py`` touches
the host (tests/test_pack.py).
"""

LAYERS = (
    ("base", ("__init__", "errors", "hashing", "safe_paths", "names", "specs", "progress", "runtime", "hub",
              "png", "seeds", "staging", "store", "cache_layout", "image", "layers")),
    ("frame sets", ("frameset",)),
    ("pictures of frame sets", ("preview", "gallery")),
    ("video", ("video",)),
    ("extract", ("extract",)),
    ("text", ("text",)),
    ("people", ("people",)),
    ("compose", ("compose",)),
    ("lineart", ("lineart",)),
    ("dataset", ("dataset",)),
    ("sample", ("sample",)),
    ("train", ("train",)),
    ("verdict", ("verdict",)),
    ("entry points", ("cli", "__main__", "queue", "demo")),
)


def layer_of(unit: str) -> int:
    """The position of ``unit`` (a top-level module or package of anim2lora) in ``LAYERS``;
    KeyError for one not declared there."""
    for n, (_, units) in enumerate(LAYERS):
        if unit in units:
            return n
    raise KeyError(unit)
