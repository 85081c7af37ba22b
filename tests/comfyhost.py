"""A real ComfyUI with the pack, started through ../shared/tools/comfyui-host (which never
modifies the checkout) and driven over its HTTP API.  Tests using it are marked ``needs_host``:
they run when COMFYUI_DIR (a ComfyUI checkout) and COMFY_VENV (its virtualenv) are set."""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from packload import REPO, random_sd15

HOST_TOOL = REPO.parent / "shared" / "tools" / "comfyui-host"
needs_host = pytest.mark.skipif(
    not (os.environ.get("COMFYUI_DIR") and os.environ.get("COMFY_VENV") and HOST_TOOL.is_file()),
    reason="set COMFYUI_DIR and COMFY_VENV to run against a real ComfyUI")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Host:
    def __init__(self, state: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PACK_DIR": str(REPO), "PACK_NAME": "ComfyUI-Anim2LoRA",
                    "PORT": str(self.port), "COMFY_STATE_DIR": str(state)}
        self.base = state / "base"
        self.log = state / "comfyui.log"

    def tool(self, cmd):
        return subprocess.run([str(HOST_TOOL), cmd], env=self.env, capture_output=True, text=True, timeout=300)

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read())

    def post(self, path, payload):
        req = urllib.request.Request(self.url + path, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def upload(self, path: Path):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{path.name}\"\r\n"
                f"Content-Type: video/mp4\r\n\r\n").encode() + path.read_bytes() + \
            f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\ntrue\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(self.url + "/upload/image", data=body,
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def queue(self, prompt):
        status, body = self.post("/prompt", {"prompt": prompt, "client_id": "anim2lora-tests"})
        assert status == 200, body
        return body["prompt_id"]

    def wait(self, prompt_id, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            history = self.get(f"/history/{prompt_id}")
            if prompt_id in history and history[prompt_id]["status"].get("completed") is not None \
                    and history[prompt_id]["status"]["status_str"] in ("success", "error"):
                return history[prompt_id]
            time.sleep(0.2)
        raise AssertionError(f"prompt {prompt_id} did not finish in {timeout}s")


def make_random_sd15(tmp_path_factory) -> Path:
    """packload.random_sd15 in a folder of the test session."""
    return random_sd15(tmp_path_factory.mktemp("sd15") / "random-sd15.safetensors")


def started_host(tmp_path_factory, name: str, checkpoint=None):
    """A host in a fresh base directory; ``checkpoint`` is linked into models/checkpoints, as a
    user's ComfyUI has theirs.  A generator: stops the host when closed."""
    h = Host(tmp_path_factory.mktemp(name))
    if checkpoint is not None:
        h.env["COMFY_CHECKPOINTS"] = str(checkpoint)
    started = h.tool("start")
    assert started.returncode == 0, started.stderr
    yield h
    h.tool("stop")
