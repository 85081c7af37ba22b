"""A workflow in ComfyUI's UI format (what the canvas saves and drag-and-drop loads) turned into
the API format ``POST /prompt`` takes, from the nodes' own definitions (``/object_info``), as the
front end's graphToPrompt does it.

The UI format keeps widget values by position, which is what the canvas restores; which position
is which input is laid out from the node's definition (``widget_layout``), and a file whose values
do not fit that layout is refused rather than guessed at.  Recent front ends also save the values
by name (``widgets_values_named``), used when a file has no positional values or when they do not
fit.  Links become ``[node id, output slot]``; muted nodes are left out, bypassed nodes pass a
matching input through (or nothing), and Reroute and Primitive nodes are resolved.  What the
front end alone can lay out (subgraphs, group nodes, inputs that grow on the canvas) is refused
with the node named.
"""

from typing import Callable, Dict, List, Optional

from ..errors import BadInputError
from .widget_layout import CONTROL, FILTER, Slot, declared_inputs, dynamic_input, is_widget, misfit, widget_slots

__all__ = ["declared_inputs", "is_widget", "is_ui_workflow", "ui_to_api", "widget_values"]

MUTED, BYPASSED = 2, 4
NOTES = ("Note", "MarkdownNote")
REROUTE, PRIMITIVE = "Reroute", "PrimitiveNode"
GROUP_NODE_PREFIXES = ("workflow>", "workflow/")       # the legacy group nodes' type names
CONVERT_IN_COMFYUI = "Open it in ComfyUI and use Workflow > Export (API), then queue that file."
RESAVE = ("Open the workflow in ComfyUI (which lays the node out anew), save it, and queue that file; "
          "or use Workflow > Export (API) and queue the export.")


def is_ui_workflow(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("nodes"), list) and "links" in data


def _label(node: dict) -> str:
    return f"Node #{node.get('id')} {node.get('type')}"


def _refuse(node: dict, text: str, hint: str = CONVERT_IN_COMFYUI):
    raise BadInputError(f"{_label(node)}: {text}", hint=hint)


def _valid_connection(a, b) -> bool:
    """LiteGraph's isValidConnection: "*" or "" matches anything; "A,B" matches A or B."""
    if a in ("", "*", None) or b in ("", "*", None) or a == b:
        return True
    sa, sb = str(a).lower().split(","), str(b).lower().split(",")
    return any(x == y for x in sa for y in sb)


def _saved_inputs(node: dict) -> Dict[str, dict]:
    return {entry["name"]: entry for entry in node.get("inputs") or [] if isinstance(entry, dict) and "name" in entry}


def _why_unfit(node: dict, slots: List[Slot], values: list) -> Optional[str]:
    """Why ``values`` cannot be read along ``slots``, or None when they can."""
    names = ", ".join(slot.name for slot in slots) or "none"
    lacking = [slot.name for slot in slots[len(values):] if not slot.optional]
    # Fewer values are a file saved before optional widgets were added after the others (the host
    # then uses their defaults); more are front-end-only widgets (a video preview) when the file's
    # own record of the node's widgets is the layout.  Anything else: the definition moved.
    if lacking or (len(values) > len(slots) and not _recorded_as(node, slots)):
        return (f"the file holds {len(values)} widget values, but {node.get('type')} as this host defines it "
                f"has {len(slots)} ({names}): the node changed since the file was saved")
    for slot, value in zip(slots, values):
        if misfit(slot, value):
            what = "a control mode (fixed, increment, decrement, randomize)" if slot.kind == "CONTROL" \
                else f"{'an' if slot.kind[0] in 'AEIOU' else 'a'} {slot.kind} value"
            return (f"widget {slot.name!r} holds {value!r}, which is not {what}: the saved values do not line up "
                    f"with the node's widgets on this host ({names})")
    return None


def _recorded_as(node: dict, slots: List[Slot]) -> bool:
    """Whether the file lists the node's widget inputs, and they are the layout's."""
    recorded = [entry.get("name") for entry in node.get("inputs") or [] if isinstance(entry, dict) and "widget" in entry]
    return bool(recorded) and recorded == [slot.name for slot in slots if slot.name not in (CONTROL, FILTER)]


def widget_values(node: dict, info: dict) -> Dict[str, object]:
    """Input name -> widget value of one UI node, as the canvas restores it."""
    named, values = node.get("widgets_values_named"), node.get("widgets_values")
    if isinstance(values, dict):
        return dict(values)
    dynamic = dynamic_input(info)
    if dynamic:
        _refuse(node, f"its input {dynamic!r} grows inputs that only ComfyUI's front end lays out.")
    if values is None and isinstance(named, dict):
        return dict(named)
    if values is not None and not isinstance(values, list):
        _refuse(node, f"its widgets_values is {type(values).__name__}, not a list of values.")
    values = list(values or [])
    slots = widget_slots(info, _saved_inputs(node))
    problem = _why_unfit(node, slots, values)
    if problem is None:
        return {slot.input: value for slot, value in zip(slots, values) if slot.input is not None}
    if isinstance(named, dict) and all(slot.input in named for slot in slots if slot.input and not slot.optional):
        return dict(named)           # names outlive a change of the node's layout
    _refuse(node, problem + ".", hint=RESAVE)


class _Graph:
    def __init__(self, workflow: dict):
        for position, node in enumerate(workflow["nodes"]):
            if not isinstance(node, dict) or node.get("id") is None or not isinstance(node.get("type"), str):
                raise BadInputError(f"The workflow's node at position {position} has no id or no type; "
                                    "the file is damaged or was not saved by ComfyUI.", hint=CONVERT_IN_COMFYUI)
        self.nodes = {node["id"]: node for node in workflow["nodes"]}
        used = {node["type"] for node in workflow["nodes"]}
        subgraphs = {s.get("id") for s in (workflow.get("definitions") or {}).get("subgraphs") or [] if isinstance(s, dict)}
        groups = set((workflow.get("extra") or {}).get("groupNodes") or {})
        for node in workflow["nodes"]:
            if node["type"] in subgraphs:
                _refuse(node, "a subgraph, and this converter does not unpack subgraphs.")
            if node["type"] in groups or node["type"].startswith(GROUP_NODE_PREFIXES):
                _refuse(node, "a group node, and this converter does not unpack group nodes.")
        self.links = {}
        for position, link in enumerate(workflow.get("links") or []):
            if isinstance(link, dict) and {"id", "origin_id", "origin_slot"} <= set(link):
                link = [link["id"], link["origin_id"], link["origin_slot"], link.get("target_id"),
                        link.get("target_slot"), link.get("type")]
            if not isinstance(link, list) or len(link) < 3:
                raise BadInputError(f"The workflow's link at position {position} is not [id, origin node, origin "
                                    f"slot, …]: {link!r}.", hint=CONVERT_IN_COMFYUI)
            self.links[link[0]] = link

    def source(self, node: dict, name: str, link_id, kind) -> Optional[tuple]:
        """``("link", node id, slot)`` or ``("value", v)`` feeding ``node``'s input ``name`` (of type
        ``kind``) through link ``link_id``, through reroutes, primitives and bypassed nodes; None
        when it comes from a muted node or nowhere (the front end then sends nothing for the input).
        A link the workflow lacks, or one from a node it lacks, is refused."""
        seen = set()
        while link_id is not None and link_id not in seen:
            seen.add(link_id)
            link = self.links.get(link_id)
            if link is None:
                _refuse(node, f"input {name!r} is wired to link {link_id}, which is not in the workflow's links.")
            origin = self.nodes.get(link[1])
            if origin is None:
                _refuse(node, f"input {name!r} is fed (link {link_id}) by node #{link[1]}, which is not in the workflow.")
            slot, mode = link[2], origin.get("mode", 0)
            if mode == MUTED:                      # checked first: a muted reroute feeds nothing either
                return None
            if origin["type"] == PRIMITIVE:
                return ("value", (origin.get("widgets_values") or [None])[0])
            if origin["type"] == REROUTE:
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


def _definition(node: dict, object_info: Callable[[str], dict]) -> dict:
    """The host's definition of the node's class; a class the host lacks is refused, naming the node."""
    kind = node["type"]
    try:
        info = object_info(kind)
    except BadInputError as e:
        _refuse(node, e.message, hint=e.hint)
    except LookupError:
        info = None
    if not isinstance(info, dict):
        _refuse(node, f"the host has no node class {kind!r}.",
                hint="Install the pack that provides it (ComfyUI-Manager: Install Missing Custom Nodes) and restart "
                     "ComfyUI, or remove the node from the workflow.")
    return info


def ui_to_api(workflow: dict, object_info: Callable[[str], dict]) -> Dict[str, dict]:
    """The API-format prompt of a UI-format ``workflow``; ``object_info(class_type)`` gives a
    node's definition as ``/object_info/<class>`` does, and raises (KeyError, or BadInputError
    saying why) for a class the host lacks."""
    graph = _Graph(workflow)
    prompt = {}
    for node in sorted(workflow["nodes"], key=lambda n: n.get("order", 0)):
        kind = node["type"]
        if kind in NOTES or kind in (REROUTE, PRIMITIVE) or node.get("mode", 0) in (MUTED, BYPASSED):
            continue
        info = _definition(node, object_info)
        values = widget_values(node, info)
        saved = _saved_inputs(node)
        inputs = {}
        for name, spec in declared_inputs(info):
            entry = saved.get(name)
            widget = is_widget(spec, entry)
            if entry is not None and entry.get("link") is not None:
                fed = graph.source(node, name, entry["link"], entry.get("type", spec[0]))
                if fed is not None:
                    inputs[name] = [fed[1], fed[2]] if fed[0] == "link" else _prompt_value(fed[1])
                    continue
            if widget and values.get(name) is not None:      # a hole: a widget the front end does not send
                inputs[name] = _prompt_value(values[name])
        title = node.get("title") or info.get("display_name") or kind
        prompt[str(node["id"])] = {"inputs": inputs, "class_type": kind, "_meta": {"title": title}}
    return prompt
