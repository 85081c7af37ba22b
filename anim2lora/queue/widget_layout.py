"""Which value of a saved node's ``widgets_values`` belongs to which input, laid out from the
node's definition as the host gives it (``/object_info``) the way ComfyUI's front end lays a node
out when it builds it from that definition.

The front end makes a widget of every input whose type its widget registry knows, in declared
order (required, then optional), and adds widgets the host never sees: a "control after generate"
choice after a number or combo that asks for one (a seed by default), a filter after a combo's
control, and an "upload" button after the required inputs when one of them is a file choice with
an upload flag.  ``widgets_values`` holds one value per widget, companions included.

``/object_info`` gives the types, the order and the options that decide the companions; it does not
say which types the front end shows as widgets (that registry is front-end code, extended by other
packs' scripts).  So an input is a widget when the saved node says so (its ``inputs`` entry carries
``widget`` when the front end that saved it made one), else when its definition says so (a choice
list, ``widgetType``, ``socketless``; ``forceInput`` says not), and only for the rest when its type
is in the front end's core registry below.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

# The front end's core widget registry (ComfyWidgets); consulted only for an input that neither the
# saved node nor its definition settles.
CORE_WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "MARKDOWN", "IMAGEUPLOAD", "COLOR",
                               "IMAGECOMPARE", "BOUNDING_BOX", "CHART", "GALLERIA", "PAINTER", "COMPOSITOR",
                               "TEXTAREA", "CURVE", "RANGE", "VIDEO_EDIT", "BOUNDING_BOXES", "COLORS"})
# Inputs that grow more inputs and widgets on the canvas, laid out by the front end alone
DYNAMIC_TYPES = frozenset({"COMFY_DYNAMICCOMBO_V3", "COMFY_AUTOGROW_V3", "COMFY_MATCHTYPE_V3"})
# An INT with one of these names gets a control unless its definition says otherwise
SEED_NAMES = ("seed", "noise_seed")
CONTROL, FILTER, UPLOAD = "control_after_generate", "control_filter_list", "upload"
CONTROL_MODES = ("fixed", "increment", "decrement", "randomize", "increment-wrap")
# A required file choice with one of these flags gets an upload button after the required inputs
UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload")


@dataclass(frozen=True)
class Slot:
    """One value of ``widgets_values``: the widget's name, the input it sets (None for a widget only
    the front end has), its kind ("INT", "COMBO", …; "CONTROL" for a control choice), and whether
    it belongs to an optional input (which a file saved before the input existed lacks)."""
    name: str
    input: Optional[str]
    kind: str
    optional: bool = False


def options(spec) -> dict:
    return spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}


def kind_of(spec) -> str:
    """The input's type as the front end reads it: a list of choices is a COMBO; ``widgetType``
    names the widget of an input that accepts several types ("FLOAT,INT")."""
    if isinstance(spec[0], list):
        return "COMBO"
    return options(spec).get("widgetType") or spec[0]


def declared_inputs(info: dict) -> List[Tuple[str, list]]:
    """``(name, spec)`` of a definition's required then optional inputs, in declared order."""
    out = []
    for group in ("required", "optional"):
        specs = info.get("input", {}).get(group) or {}
        order = (info.get("input_order") or {}).get(group) or list(specs)
        out.extend((name, list(specs[name])) for name in order if name in specs)
    return out


def is_widget(spec, saved: Optional[dict] = None) -> bool:
    """Whether the canvas shows this input as a widget (with a value in ``widgets_values``) rather
    than as a socket only.  ``saved`` is the node's ``inputs`` entry for it in the file, if any."""
    if saved is not None and "widget" in saved:
        # the front end that saved the file made a widget of it, whatever its registry held
        return True
    opts = options(spec)
    if opts.get("forceInput"):
        return False
    return isinstance(spec[0], list) or spec[0] == "COMBO" or bool(opts.get("widgetType")) \
        or bool(opts.get("socketless")) or kind_of(spec) in CORE_WIDGET_TYPES


def companions(name: str, spec, optional: bool = False) -> List[Slot]:
    """The widgets the front end adds right after this input's own: a control choice, and for a
    combo the filter of that control."""
    kind, opts = kind_of(spec), options(spec)
    asked = opts.get(CONTROL)
    wanted = bool(asked) if asked is not None else (kind == "INT" and name in SEED_NAMES)
    if not wanted or kind not in ("INT", "FLOAT", "COMBO"):
        return []
    control = [Slot(CONTROL, None, "CONTROL", optional)]
    return control + [Slot(FILTER, None, "STRING", optional)] if kind == "COMBO" else control


def upload_input(info: dict) -> Optional[str]:
    """The required file choice the front end gives an upload button, if any."""
    for name, spec in (info.get("input", {}).get("required") or {}).items():
        spec = list(spec)
        if kind_of(spec) == "COMBO" and any(options(spec).get(flag) for flag in UPLOAD_FLAGS):
            return name
        if name == "audio" and kind_of(spec) == "COMBO" and options(spec).get("audio_upload"):
            return name
    return None


def dynamic_input(info: dict) -> Optional[str]:
    """The first input that grows inputs on the canvas (which only the front end lays out)."""
    return next((name for name, spec in declared_inputs(info)
                 if isinstance(spec[0], str) and spec[0] in DYNAMIC_TYPES), None)


def widget_slots(info: dict, saved_inputs: Optional[Dict[str, dict]] = None) -> List[Slot]:
    """The values a node of this definition saves in ``widgets_values``, in order.
    ``saved_inputs``: the node's ``inputs`` entries in the file, by name."""
    saved_inputs = saved_inputs or {}
    required = set(info.get("input", {}).get("required") or {})
    upload = upload_input(info)
    slots, upload_placed = [], upload is None
    for name, spec in declared_inputs(info):
        if not upload_placed and name not in required:       # the button closes the required inputs
            slots.append(Slot(UPLOAD, None, "UPLOAD"))
            upload_placed = True
        if is_widget(spec, saved_inputs.get(name)):
            optional = name not in required
            slots.append(Slot(name, name, kind_of(spec), optional))
            slots.extend(companions(name, spec, optional))
    if not upload_placed:
        slots.append(Slot(UPLOAD, None, "UPLOAD"))
    return slots


def misfit(slot: Slot, value) -> bool:
    """A saved value that cannot be this widget's: the positions do not line up with the definition."""
    if value is None:                     # the front end leaves a hole for a widget it does not save
        return False
    if slot.kind == "CONTROL":
        return value not in CONTROL_MODES
    if slot.kind == "BOOLEAN":
        return not isinstance(value, bool)
    if slot.kind in ("INT", "FLOAT"):
        return isinstance(value, bool) or not isinstance(value, (int, float))
    return False
