"""A workflow in ComfyUI's UI format (what the canvas saves and drag-and-drop loads) turned into
the API format ``POST /prompt`` takes, from the nodes' own definitions (``/object_info``).

The UI format keeps widget values by position; which position is which input depends on the
node's definition and on front-end-only widgets (a seed's "control after generate", an upload
button), so the conversion reads the definition: widget inputs in declared order, a seed's
control value skipped.  Recent front ends also save the values by name
(``widgets_values_named``), which is used first when present.  Links become ``[node id, output
slot]``; muted nodes are left out, bypassed nodes pass their matching input through, and the
front end's virtual nodes (Reroute, Primitive, notes) are resolved as the front end resolves them.
"""

from typing import Callable, Dict, List, Optional, Tuple

from ..errors import BadInputError

WIDGET_TYPES = ("INT", "FLOAT", "STRING", "BOOLEAN", "COMBO")
MUTED, BYPASSED = 2, 4
NOTES = ("Note", "MarkdownNote")
REROUTE, PRIMITIVE = "Reroute", "PrimitiveNode"


def is_ui_workflow(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("nodes"), list) and "links" in data


def is_widget(spec) -> bool:
    """A definition's input that the canvas shows as a widget rather than a socket."""
    kind, options = spec[0], (spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {})
    return (isinstance(kind, list) or kind in WIDGET_TYPES) and not options.get("forceInput")


def _has_control(name: str, spec) -> bool:
    """Whether the canvas adds a "control after generate" value after this input's value."""
    kind, options = spec[0], (spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {})
    if "control_after_generate" in options:
        return bool(options["control_after_generate"])
    return kind == "INT" and name in ("seed", "noise_seed")


def declared_inputs(info: dict) -> List[Tuple[str, list]]:
    """``(name, spec)`` of a definition's required then optional inputs, in declared order."""
    return [(name, list(spec)) for group in ("required", "optional")
            for name, spec in (info.get("input", {}).get(group) or {}).items()]


def widget_values(node: dict, info: dict) -> Dict[str, object]:
    """Input name -> widget value of one UI node."""
    named = node.get("widgets_values_named")
    values = node.get("widgets_values")
    if isinstance(named, dict):
        return dict(named)
    if isinstance(values, dict):
        return dict(values)
    values = list(values or [])
    out, position = {}, 0
    for name, spec in declared_inputs(info):
        if not is_widget(spec):
            continue
        if position >= len(values):
            break
        out[name] = values[position]
        position += 2 if _has_control(name, spec) else 1
    return out


class _Graph:
    def __init__(self, workflow: dict):
        if (workflow.get("definitions") or {}).get("subgraphs"):
            raise BadInputError("The workflow uses subgraphs, which this converter does not unpack.",
                                hint="Open it in ComfyUI and use Workflow > Export (API).")
        self.nodes = {node["id"]: node for node in workflow["nodes"]}
        self.links = {}
        for link in workflow.get("links") or []:
            if isinstance(link, dict):
                link = [link["id"], link["origin_id"], link["origin_slot"], link["target_id"], link["target_slot"],
                        link.get("type")]
            self.links[link[0]] = link

    def source(self, link_id) -> Optional[tuple]:
        """``("link", node id, slot)`` or ``("value", v)`` feeding a link, through reroutes,
        primitives and bypassed nodes; None when it comes from a muted node or nowhere."""
        seen = set()
        while link_id is not None and link_id not in seen:
            seen.add(link_id)
            link = self.links.get(link_id)
            if link is None:
                return None
            origin, slot = self.nodes.get(link[1]), link[2]
            if origin is None:
                return None
            kind, mode = origin.get("type"), origin.get("mode", 0)
            if kind == PRIMITIVE:
                return ("value", (origin.get("widgets_values") or [None])[0])
            if kind == REROUTE:
                link_id = (origin.get("inputs") or [{}])[0].get("link")
                continue
            if mode == MUTED:
                return None
            if mode == BYPASSED:
                link_id = _bypass_input(origin, slot, link[5])
                continue
            return ("link", str(origin["id"]), slot)
        return None


def _bypass_input(node: dict, slot: int, kind) -> Optional[int]:
    """The link a bypassed node passes on at output ``slot``: its input of the same type, the one
    at the same position first (as the front end picks it)."""
    inputs = node.get("inputs") or []
    if slot < len(inputs) and inputs[slot].get("type") == kind and inputs[slot].get("link") is not None:
        return inputs[slot]["link"]
    for entry in inputs:
        if entry.get("type") == kind and entry.get("link") is not None:
            return entry["link"]
    return None


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
        linked = {entry["name"]: entry.get("link") for entry in node.get("inputs") or [] if "name" in entry}
        inputs = {}
        for name, spec in declared_inputs(info):
            link = linked.get(name)
            if link is not None:
                fed = graph.source(link)
                if fed is not None:
                    inputs[name] = [fed[1], fed[2]] if fed[0] == "link" else fed[1]
                    continue
            if is_widget(spec) and name in values:
                inputs[name] = values[name]
        title = node.get("title") or info.get("display_name") or kind
        prompt[str(node["id"])] = {"inputs": inputs, "class_type": kind, "_meta": {"title": title}}
    return prompt

