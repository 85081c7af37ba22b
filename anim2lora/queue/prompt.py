"""An API-format prompt: loading it, naming its nodes, and ``--set`` overrides checked against the
host's node definitions (``/object_info``) so a typo fails here, before anything is queued."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from ..errors import BadInputError
from .ui_format import is_ui_workflow, ui_to_api

VIDEO_NODE = "VideoFrameExtract"


def load_prompt(path: Path, object_info: Optional[Callable[[str], dict]] = None) -> Dict[str, dict]:
    """The ``{id: {class_type, inputs, _meta}}`` prompt in ``path``; a UI-format workflow (what the
    canvas saves) is converted with the host's node definitions, ``object_info(class_type)``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"Workflow file not found: {path}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadInputError(f"Workflow {path} is not readable JSON ({e}).") from None
    if is_ui_workflow(data):
        if object_info is None:
            raise BadInputError(f"Workflow {path} is in ComfyUI's UI format (nodes and links): converting it "
                                "needs the host's node definitions.",
                                hint="Queue it with --server, or export it from ComfyUI as API format.")
        return ui_to_api(data, object_info)
    if not isinstance(data, dict) or not data or not all(
            isinstance(n, dict) and "class_type" in n and isinstance(n.get("inputs"), dict) for n in data.values()):
        raise BadInputError(f"Workflow {path} is neither a UI workflow nor an API-format prompt: expected nodes and "
                            "links, or {id: {class_type, inputs}} for every node.",
                            hint="Save it from ComfyUI (Workflow > Save, or Export (API)).")
    return data


def node_label(prompt: Dict[str, dict], node_id: str) -> str:
    """``#3 TextFrameFilter "Text filter"``: how messages name a node."""
    node = prompt.get(str(node_id), {})
    title = node.get("_meta", {}).get("title")
    label = f"#{node_id} {node.get('class_type', '?')}"
    return f'{label} "{title}"' if title and title != node.get("class_type") else label


def node_title(prompt: Dict[str, dict], node_id: str) -> str:
    node = prompt.get(str(node_id), {})
    return node.get("_meta", {}).get("title") or node.get("class_type") or f"node {node_id}"


@dataclass
class Override:
    target: str          # a node id, class_type or _meta.title
    name: str            # the input's name
    raw: str             # the text after "=", kept for STRING inputs ("007" stays "007")
    value: Any           # the text parsed as JSON when it parses
    upload: Optional[Path] = None   # "@FILE" on a file choice: a local file to upload into the input folder


def parse_override(text: str) -> Override:
    """``CLASS_OR_TITLE.input=value``; the value is JSON when it parses (numbers, true/false,
    lists), else the text itself."""
    left, eq, raw = text.partition("=")
    # Titles may contain dots ("v1.5 sampler"); input names never do, so split at the last one.
    target, dot, name = left.rpartition(".")
    if not eq or not dot or not target.strip() or not name.strip():
        raise BadInputError(f"--set {text!r} is not CLASS_OR_TITLE.input=value.",
                            hint="For example --set VideoFrameExtract.max_frames=20 or --set \"Kept frames.images=…\".")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return Override(target.strip(), name.strip(), raw, value)


def find_node(prompt: Dict[str, dict], target: str, what: str) -> str:
    """The one node whose id, class_type or title is ``target``."""
    hits = [i for i, n in prompt.items()
            if target in (i, n.get("class_type"), n.get("_meta", {}).get("title"))]
    if len(hits) == 1:
        return hits[0]
    listing = "; ".join(node_label(prompt, i) for i in (hits or prompt))
    if hits:
        raise BadInputError(f"{what}: {target!r} matches {len(hits)} nodes: {listing}.",
                            hint="Name one by its id instead, e.g. " f"--set {hits[0]}.<input>=….")
    raise BadInputError(f"{what}: no node has the id, class or title {target!r}. The workflow has: {listing}.")


def input_spec(info: dict, name: str) -> list:
    """``[type, options]`` of input ``name`` in a node's ``/object_info`` entry, or None."""
    for group in ("required", "optional"):
        spec = info.get("input", {}).get(group, {}).get(name)
        if spec is not None:
            return list(spec) + [{}] * (2 - len(spec))
    return None


def input_names(info: dict) -> List[str]:
    return [n for g in ("required", "optional") for n in info.get("input", {}).get(g, {})]


def check_value(where: str, spec: list, value: Any, raw: str) -> Any:
    """``value`` as the input's type wants it, or a BadInputError saying what is allowed."""
    kind, opts = spec[0], spec[1] or {}
    if isinstance(kind, list) or kind == "COMBO":
        options = kind if isinstance(kind, list) else opts.get("options", [])
        for candidate in (value, raw):       # "1.5" typed for a combo of strings means the string
            if candidate in options:
                return candidate
        shown = ", ".join(map(str, options[:20])) + (", …" if len(options) > 20 else "")
        raise BadInputError(f"{where}: {raw!r} is not one of its choices: {shown}.")
    if kind == "STRING":
        return raw if not isinstance(value, str) else value
    if kind == "BOOLEAN":
        if isinstance(value, bool):
            return value
        raise BadInputError(f"{where} is a BOOLEAN; {raw!r} is not true or false.")
    if kind in ("INT", "FLOAT"):
        number = value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInputError(f"{where} is an {kind}; {raw!r} is not a number.")
        if kind == "INT":
            if isinstance(value, float) and not value.is_integer():
                raise BadInputError(f"{where} is an INT; {raw!r} is not a whole number.")
            number = int(value)
        else:
            number = float(value)
        low, high = opts.get("min"), opts.get("max")
        if (low is not None and number < low) or (high is not None and number > high):
            raise BadInputError(f"{where}: {raw} is outside its range {low} … {high}.")
        return number
    raise BadInputError(f"{where} is a connection ({kind}) from another node, not a setting.",
                        hint="--set changes widget values (numbers, text, choices, switches) only.")


UPLOAD_OPTIONS = ("image_upload", "video_upload", "animated_image_upload", "audio_upload", "file_upload")


def takes_uploads(spec: list) -> bool:
    """A file choice with an upload button (LoadImage's image, VideoFrameExtract's video): what
    "@FILE" uploads into.  Anywhere else "@…" is just text or a choice."""
    return (isinstance(spec[0], list) or spec[0] == "COMBO") and any((spec[1] or {}).get(o) for o in UPLOAD_OPTIONS)


def apply_override(prompt: Dict[str, dict], override: Override, object_info: Callable[[str], dict]) -> str:
    """Set ``override`` on its node after checking it against the host's definition of that node;
    returns the node's id.  ``object_info(class_type)`` gives ``/object_info``'s entry."""
    node_id = find_node(prompt, override.target, f"--set {override.target}.{override.name}")
    node = prompt[node_id]
    info = object_info(node["class_type"])
    where = f"--set {override.target}.{override.name} ({node_label(prompt, node_id)})"
    spec = input_spec(info, override.name)
    if spec is None:
        raise BadInputError(f"{where}: {node['class_type']} has no input {override.name!r}. "
                            f"Its inputs: {', '.join(input_names(info))}.")
    if override.raw.startswith("@") and takes_uploads(spec):
        upload = Path(override.raw[1:]).expanduser()
        if not upload.is_file():
            raise BadInputError(f"{where}: {upload} is not a file to upload.",
                                hint="@FILE uploads a local file into the host's input folder and sets its name.")
        override.upload, override.value = upload, upload.name      # the uploaded name is set after the upload
        node["inputs"][override.name] = upload.name
        return node_id
    node["inputs"][override.name] = check_value(where, spec, override.value, override.raw)
    return node_id


def video_nodes(prompt: Dict[str, dict]) -> List[str]:
    """The VideoFrameExtract nodes that take --video's upload; checked before uploading anything."""
    ids = [i for i, n in prompt.items() if n["class_type"] == VIDEO_NODE]
    if not ids:
        raise BadInputError(f"--video was given but the workflow has no {VIDEO_NODE} node to take it.",
                            hint="Drop --video, or queue a workflow that starts from a video.")
    return ids
