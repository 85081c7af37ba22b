"""A workflow in ComfyUI's UI format (what the canvas saves and drag-and-drop loads) turned into
the API format ``POST /prompt`` takes, from the nodes' own definitions (``/object_info``), as the
front end's graphToPrompt does it.

The UI format keeps widget values by position, which is what the canvas restores; which position
is which input depends on the node's definition and on front-end-only widgets (a seed's "control
after generate", an upload button), so the conversion reads the definition: widget inputs in
declared order, a seed's control value skipped.  Recent front ends also save the values by name
(``widgets_values_named``), used when a file has no positional values; a node with dynamic
inputs, which the front end alone lays out, is refused.  Links become ``[node id, output
slot]``; muted nodes are left out, bypassed nodes pass a matching input through (or nothing), and
Reroute and Primitive nodes are resolved.
"""

from typing import Callable, Dict, List, Optional, Tuple

from ..errors import BadInputError

# The front end's widget registry (ComfyWidgets): an input of one of these types is a widget
WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "MARKDOWN", "IMAGEUPLOAD", "COLOR",
                          "IMAGECOMPARE", "BOUNDING_BOX", "CHART", "GALLERIA", "PAINTER", "COMPOSITOR", "TEXTAREA",
                          "CURVE", "RANGE", "VIDEO_EDIT", "BOUNDING_BOXES", "COLORS"})
# Inputs that grow more inputs and widgets on the canvas, laid out by the front end alone
DYNAMIC_TYPES = frozenset({"COMFY_DYNAMICCOMBO_V3", "COMFY_AUTOGROW_V3", "COMFY_MATCHTYPE_V3"})
MUTED, BYPASSED = 2, 4
NOTES = ("Note", "MarkdownNote")
REROUTE, PRIMITIVE = "Reroute", "PrimitiveNode"
CONVERT_IN_COMFYUI = "Open it in ComfyUI and use Workflow > Export (API), then queue that file."


def is_ui_workflow(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("nodes"), list) and "links" in data


def _options(spec) -> dict:
    return spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}


def is_widget(spec) -> bool:
    """A definition's input that the canvas shows as a widget rather than a socket."""
    kind, options = spec[0], _options(spec)
    if options.get("forceInput"):
        return False
    return isinstance(kind, list) or kind in WIDGET_TYPES or bool(options.get("widgetType"))


def _has_control(name: str, spec) -> bool:
    """Whether the canvas adds a "control after generate" value after this input's value."""
    options = _options(spec)
    if "control_after_generate" in options:
        return bool(options["control_after_generate"])
    return spec[0] == "INT" and name in ("seed", "noise_seed")


def declared_inputs(info: dict) -> List[Tuple[str, list]]:
    """``(name, spec)`` of a definition's required then optional inputs, in declared order."""
    out = []
    for group in ("required", "optional"):
        specs = info.get("input", {}).get(group) or {}
        order = (info.get("input_order") or {}).get(group) or list(specs)
        out.extend((name, list(specs[name])) for name in order if name in specs)
    return out


def _valid_connection(a, b) -> bool:
    """LiteGraph's isValidConnection: "*" or "" matches anything; "A,B" matches A or B."""
    if a in ("", "*", None) or b in ("", "*", None) or a == b:
        return True
    sa, sb = str(a).lower().split(","), str(b).lower().split(",")
    return any(x == y for x in sa for y in sb)


def widget_values(node: dict, info: dict) -> Dict[str, object]:
    """Input name -> widget value of one UI node, as the canvas restores it."""
    named, values = node.get("widgets_values_named"), node.get("widgets_values")
    if isinstance(values, dict):
        return dict(values)
    inputs = declared_inputs(info)
    dynamic = [name for name, spec in inputs if isinstance(spec[0], str) and spec[0] in DYNAMIC_TYPES]
    if dynamic:
        raise BadInputError(f"Node #{node.get('id')} {node.get('type')}: its input {dynamic[0]!r} grows inputs "
                            "that only ComfyUI's front end lays out.", hint=CONVERT_IN_COMFYUI)
    if values is None and isinstance(named, dict):
        return dict(named)
    values = list(values or [])
    out, position = {}, 0
    for name, spec in inputs:
        if not is_widget(spec):
            continue
        if position >= len(values):
            break
        out[name] = values[position]
        position += 2 if _has_control(name, spec) else 1
    return out


class _Graph:
    def __init__(self, workflow: dict):
        subgraphs = (workflow.get("definitions") or {}).get("subgraphs") or []
        used = {s.get("id") for s in subgraphs} & {n.get("type") for n in workflow["nodes"]}
        if used:
            raise BadInputError("The workflow uses subgraphs, which this converter does not unpack.",
                                hint=CONVERT_IN_COMFYUI)
        self.nodes = {node["id"]: node for node in workflow["nodes"]}
        self.links = {}
        for link in workflow.get("links") or []:
            if isinstance(link, dict):
                link = [link["id"], link["origin_id"], link["origin_slot"], link["target_id"], link["target_slot"],
                        link.get("type")]
            self.links[link[0]] = link

    def source(self, link_id, kind) -> Optional[tuple]:
        """``("link", node id, slot)`` or ``("value", v)`` feeding a link into an input of type
        ``kind``, through reroutes, primitives and bypassed nodes; None when it comes from a muted
        node or nowhere (the front end then sends nothing for the input)."""
        seen = set()
        while link_id is not None and link_id not in seen:
            seen.add(link_id)
            link = self.links.get(link_id)
            origin = self.nodes.get(link[1]) if link is not None else None
            if origin is None:
                return None
            slot, mode = link[2], origin.get("mode", 0)
            if mode == MUTED:                      # checked first: a muted reroute feeds nothing either
                return None
            if origin.get("type") == PRIMITIVE:
                return ("value", (origin.get("widgets_values") or [None])[0])
            if origin.get("type") == REROUTE:
                link_id = (origin.get("inputs") or [{}])[0].get("link")
                continue
            if mode == BYPASSED:
                link_id = _bypass_input(origin, slot, kind)
                continue
            return ("link", str(origin["id"]), slot)
        return None


def _bypass_input(node: dict, slot: int, kind) -> Optional[int]:
    """The link a bypassed node passes on at output ``slot`` to an input of type ``kind``, chosen
    as the front end chooses (_getBypassSlotIndex): the input at the same position if its type
    fits, else the first of exactly that type, else the first that fits; None if that input is
    not connected."""
    inputs = node.get("inputs") or []
    outputs = node.get("outputs") or []
    out_type = outputs[slot].get("type") if slot < len(outputs) else kind
    if kind in ("*", "", None):
        index = slot if len(inputs) > slot else 0
    elif slot < len(inputs) and _valid_connection(inputs[slot].get("type"), out_type) \
            and _valid_connection(inputs[slot].get("type"), kind):
        index = slot
    else:
        index = next((i for i, entry in enumerate(inputs) if entry.get("type") == kind), None)
        if index is None:
            index = next((i for i, entry in enumerate(inputs) if _valid_connection(entry.get("type"), out_type)
                          and _valid_connection(entry.get("type"), kind)), None)
    if index is None or index >= len(inputs):
        return None
    return inputs[index].get("link")


def _prompt_value(value):
    """Lists mean links in a prompt: a widget's list value goes wrapped, as the front end sends it."""
    return {"__value__": value} if isinstance(value, list) else value


def ui_to_api(workflow: dict, object_info: Callable[[str], dict]) -> Dict[str, dict]:
    """The API-format prompt of a UI-format ``workflow``; ``object_info(class_type)`` gives a
    node's definition as ``/object_info/<class>`` does, or raises for an unknown class."""
    graph = _Graph(workflow)
    prompt = {}
    for node in sorted(workflow["nodes"], key=lambda n: n.get("order", 0)):
        kind = node.get("type")
        if kind in NOTES or kind in (REROUTE, PRIMITIVE) or node.get("mode", 0) in (MUTED, BYPASSED):
            continue
        info = object_info(kind)
        values = widget_values(node, info)
        linked = {entry["name"]: entry for entry in node.get("inputs") or [] if "name" in entry}
        inputs = {}
        for name, spec in declared_inputs(info):
            entry = linked.get(name)
            if entry is not None and entry.get("link") is not None:
                fed = graph.source(entry["link"], entry.get("type", spec[0]))
                if fed is not None:
                    inputs[name] = [fed[1], fed[2]] if fed[0] == "link" else _prompt_value(fed[1])
                    continue
                if not is_widget(spec):
                    continue
            if is_widget(spec) and name in values:
                inputs[name] = _prompt_value(values[name])
        title = node.get("title") or info.get("display_name") or kind
        prompt[str(node["id"])] = {"inputs": inputs, "class_type": kind, "_meta": {"title": title}}
    return prompt
