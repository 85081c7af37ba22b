"""Hostile workflows in a real ComfyUI: node inputs that name paths, and a cached frame set edited
to point outside the output folder.  Nothing may be read or written outside ComfyUI's input,
output, temp and models folders (and its own user folder): the files around the base directory
are compared before and after, and a sentinel picture outside it must gain no hard link.

Runs when COMFYUI_DIR and COMFY_VENV are set; skipped otherwise.
"""

import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path

import numpy as np

from anim2lora.png import encode_png
from comfyhost import needs_host
from packload import REPO
from test_real_host import _extract_prompt

pytestmark = needs_host
HOST_OWN = ("input", "output", "temp", "models", "user")


def _around(host) -> dict:
    """Every file under the host's state folder except what ComfyUI itself may write (its own
    folders and log), plus the pack's checkout as git sees it."""
    state = host.base.parent
    found = {}
    for dirpath, dirnames, filenames in os.walk(state):
        here = Path(dirpath)
        if here == host.base:
            dirnames[:] = [d for d in dirnames if d not in HOST_OWN]
        for name in filenames:
            p = here / name
            if here == state and (name.endswith((".log", ".pid")) or name.startswith("comfyui")):
                continue
            found[str(p.relative_to(state))] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "?"
    found["<pack>"] = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO,
                                     capture_output=True, text=True).stdout
    return found


def _sentinel(host) -> Path:
    path = host.base.parent / "sentinel" / "secret.png"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_bytes(encode_png(np.full((64, 64, 3), 30, np.uint8)))
    return path


def _defaults(host, class_type: str, **inputs) -> dict:
    info = host.get(f"/object_info/{class_type}")[class_type]["input"]
    values = {}
    for part in ("required", "optional"):
        for name, spec in info.get(part, {}).items():
            options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
            if "default" in options:
                values[name] = options["default"]
            elif isinstance(spec[0], list) and spec[0]:      # a list without a default: its first choice
                values[name] = spec[0][0]
    return {"class_type": class_type, "inputs": {**values, **inputs}}


def _one_group(host, video: str, name: str) -> dict:
    info = host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"]
    prompt = _extract_prompt(info, video)
    prompt.pop("2")
    prompt["3"] = _defaults(host, "SingleGroup", frames=["1", 0], name=name)
    prompt["4"] = _defaults(host, "CaptionWithKeepTokens", groups=["3", 0], tagger="offline")
    return prompt


def _failed(host, prompt) -> str:
    """Queue ``prompt``; it must be refused (at validation, or as a node error): the message."""
    status, body = host.post("/prompt", {"prompt": prompt, "client_id": "anim2lora-tests"})
    if status != 200:
        return json.dumps(body)
    result = host.wait(body["prompt_id"])
    assert result["status"]["status_str"] == "error", result["status"]
    errors = [m for e, m in result["status"]["messages"] if e == "execution_error"]
    assert errors and errors[0]["exception_type"].endswith(("BadInputError", "Anim2LoRAError")), errors
    return errors[0]["exception_message"]


def test_names_from_a_workflow_never_leave_the_hosts_folders(host, demo_clip):
    secret = _sentinel(host)
    video = host.upload(demo_clip)["name"]
    ref = host.base.parent / "ref.png"
    ref.write_bytes(encode_png(np.pad(np.full((80, 40, 3), 20, np.uint8), ((8, 8), (20, 20), (0, 0)),
                                      constant_values=255)))
    still = host.upload(ref)["name"]
    ref.unlink()
    before = _around(host)
    away = f"/tmp/a2l-evil-{uuid.uuid4().hex[:8]}"
    for name in ["../../../../evil", "../../sentinel/secret.png", away, "crops", ".."]:
        message = _failed(host, _one_group(host, video, name))
        assert name in message or "reserved" in message, message
        reference = {"1": _defaults(host, "LoadImage", image=still),
                     "2": _defaults(host, "CharacterReference", name=name, images=["1", 0]),
                     "3": _defaults(host, "GroupSplit", frames=["9", 0], references=["2", 0]),
                     "4": _defaults(host, "PreviewImage", images=["3", 2]),
                     "9": _extract_prompt(host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"], video)["1"]}
        message = _failed(host, reference)
        assert name in message or "reserved" in message, message
    for video_name in ["../../sentinel/secret.png", str(secret), "../output/anim2lora/analysis.sqlite"]:
        assert video_name in _failed(host, _one_group(host, video_name, "A"))
    assert not Path(away).exists()
    assert _around(host) == before, "a file outside ComfyUI's folders changed"
    assert os.stat(secret).st_nlink == 1


def test_a_cached_set_edited_to_point_outside_is_refused(host, demo_clip):
    secret = _sentinel(host)
    video = host.upload(demo_clip)["name"]
    good = host.wait(host.queue(_one_group(host, video, "Mika")))
    assert good["status"]["status_str"] == "success", good["status"]
    sets = host.base / "output" / "anim2lora" / "sets"
    manifest = max(sets.glob("*.json"), key=lambda p: p.stat().st_mtime)
    data = json.loads(manifest.read_text())
    if data["stage"] != "extract":
        manifest = next(p for p in sets.glob("*.json") if json.loads(p.read_text())["stage"] == "extract")
        data = json.loads(manifest.read_text())
    kept = [r for r in data["frames"] if r.get("file")]
    before = _around(host)
    for target in (str(secret), os.path.relpath(secret, host.base / "output" / "anim2lora")):
        kept[0]["file"] = target
        manifest.write_text(json.dumps(data))
        assert host.post("/free", {"free_memory": True})[0] == 200     # drop the host's cached outputs
        message = _failed(host, _one_group(host, video, "Mika"))
        assert str(manifest) in message and "outside" in message, message
    assert _around(host) == before, "a file outside ComfyUI's folders changed"
    assert os.stat(secret).st_nlink == 1, "the picture outside was linked into the output"
