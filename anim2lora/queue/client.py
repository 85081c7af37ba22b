"""Talking to a running ComfyUI: its HTTP API through the standard library, its event websocket
through ``websocket-client``.  Nothing here imports the host; it is only a network peer."""

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional

from ..errors import Anim2LoRAError, BadInputError

# The events after which ComfyUI runs nothing more for a prompt.
FINAL_EVENTS = ("execution_success", "execution_error", "execution_interrupted")


class HostUnreachable(Anim2LoRAError):
    """The ComfyUI server could not be reached (or stopped answering); the message has its URL."""


class NoEvents(Exception):
    """The event websocket could not be opened; progress then comes from polling /history."""


class PromptRefused(BadInputError):
    """ComfyUI's validation refused the prompt (HTTP 400); ``node_errors`` as it sent them."""

    def __init__(self, message: str, node_errors: dict, body: dict):
        super().__init__(message)
        self.node_errors = node_errors
        self.body = body


def server_url(text: str) -> str:
    """``127.0.0.1:8188`` or ``http://host:8188/`` as ``http://host:8188``."""
    text = text.strip().rstrip("/")
    return text if "://" in text else f"http://{text}"


@dataclass
class Outcome:
    """How a prompt ended, read from its history entry."""
    status: str                                  # success, error or interrupted
    outputs: dict = field(default_factory=dict)  # node id -> its ui output
    error: Optional[dict] = None                 # the execution_error message


def outcome(entry: dict) -> Outcome:
    status = entry.get("status", {})
    messages = dict((m[0], m[1]) for m in status.get("messages", []) if len(m) == 2)
    if "execution_interrupted" in messages:
        state = "interrupted"
    elif status.get("status_str") == "success":
        state = "success"
    else:
        state = "error"
    return Outcome(state, entry.get("outputs", {}), messages.get("execution_error"))


class Host:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = server_url(url)
        self.timeout = timeout
        self._info: Dict[str, dict] = {}

    # --- HTTP --------------------------------------------------------------------------------

    def _open(self, path: str, data: Optional[bytes] = None, headers: Optional[dict] = None):
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
            reason = getattr(e, "reason", e)
            raise HostUnreachable(f"Cannot reach ComfyUI at {self.url} ({reason}).",
                                  hint="Is it running? Pass its address with --server.") from None

    def _json(self, path: str, status: int, body: bytes):
        try:
            return json.loads(body or b"{}")
        except ValueError:
            raise HostUnreachable(f"{self.url}{path} answered {status} with something that is not JSON; "
                                  "is this a ComfyUI server?") from None

    def get(self, path: str):
        status, body = self._open(path)
        if status != 200:
            raise Anim2LoRAError(f"ComfyUI at {self.url} answered {status} to GET {path}: {body[:300]!r}")
        return self._json(path, status, body)

    def post(self, path: str, payload: dict):
        status, body = self._open(path, json.dumps(payload).encode(), {"Content-Type": "application/json"})
        return status, self._json(path, status, body)

    def object_info(self, class_type: str) -> dict:
        """The host's definition of a node class (inputs, types, ranges, choices)."""
        if class_type not in self._info:
            info = self.get("/object_info/" + urllib.parse.quote(class_type, safe="")).get(class_type)
            if info is None:
                raise BadInputError(f"ComfyUI at {self.url} has no node {class_type!r}.",
                                    hint="Is the pack (or the node's own pack) installed, and ComfyUI restarted?")
            self._info[class_type] = info
        return self._info[class_type]

    def upload(self, path: Path, what: str) -> str:
        """``path`` copied into the host's input folder (overwriting a same-named file); the name
        the host's file lists show it under."""
        path = Path(path)
        try:
            content = path.read_bytes()
        except OSError as e:
            raise BadInputError(f"{what} {path}: cannot read it to upload ({e.strerror or e}).",
                                hint="Give the path of a readable file on this computer.") from None
        boundary = uuid.uuid4().hex
        filename = path.name.replace('"', "_")
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{filename}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + content + \
            (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\ntrue"
             f"\r\n--{boundary}--\r\n").encode()
        status, raw = self._open("/upload/image", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        if status != 200:
            raise BadInputError(f"ComfyUI at {self.url} refused the upload of {path} ({status}: {raw[:200]!r}).")
        answer = self._json("/upload/image", status, raw)
        return f"{answer['subfolder']}/{answer['name']}" if answer.get("subfolder") else answer["name"]

    def queue(self, prompt: dict, client_id: str) -> str:
        status, body = self.post("/prompt", {"prompt": prompt, "client_id": client_id})
        if status == 400:
            error = body.get("error", {})
            message = error.get("message", "invalid prompt") if isinstance(error, dict) else str(error)
            raise PromptRefused(f"ComfyUI refused the prompt: {message}.", body.get("node_errors") or {}, body)
        if status != 200 or "prompt_id" not in body:
            raise Anim2LoRAError(f"ComfyUI at {self.url} answered {status} to POST /prompt: {body}")
        return body["prompt_id"]

    def history(self, prompt_id: str) -> Optional[dict]:
        """The prompt's history entry once it has finished, else None."""
        entry = self.get(f"/history/{prompt_id}").get(prompt_id)
        if entry and entry.get("status", {}).get("status_str") in ("success", "error"):
            return entry
        return None

    def wait(self, prompt_id: str, interval: float = 0.5) -> Outcome:
        """Poll ``/history`` until the prompt has finished (there is no deadline: Ctrl-C stops it)."""
        while True:
            entry = self.history(prompt_id)
            if entry is not None:
                return outcome(entry)
            time.sleep(interval)

    def cancel(self, prompt_id: str) -> None:
        """Drop the prompt from the queue if it waits there and stop it if it runs, leaving other
        users' prompts alone (``/interrupt`` with a prompt_id only stops that prompt)."""
        self.post("/queue", {"delete": [prompt_id]})
        self.post("/interrupt", {"prompt_id": prompt_id})

    # --- websocket ---------------------------------------------------------------------------

    def events(self, client_id: str) -> "EventStream":
        """The host's event stream for ``client_id``; open it before queueing so that no event of
        the prompt is missed.  Raises NoEvents, saying why, when it cannot connect."""
        try:
            import websocket      # a declared dependency, imported here so the HTTP part never needs it
        except ImportError:
            raise NoEvents("websocket-client is not installed (pip install websocket-client)") from None
        ws_url = "ws" + self.url[len("http"):] + "/ws?clientId=" + urllib.parse.quote(client_id)
        try:
            return EventStream(websocket.create_connection(ws_url, timeout=self.timeout), self)
        except (websocket.WebSocketException, OSError) as e:
            raise NoEvents(f"cannot open {ws_url}: {e}") from None


class EventStream:
    # Between two events the stream is quiet for as long as a node computes; asking /history now
    # and then notices an end whose message was lost (a proxy dropping frames, a host restart).
    RECV_TIMEOUT = 1.0
    HISTORY_EVERY = 10.0

    def __init__(self, ws, host: Host):
        self.ws, self.host = ws, host

    def follow(self, prompt_id: str, on_event: Callable[[str, dict], None]) -> Optional[Outcome]:
        """Pass the prompt's events to ``on_event`` until it finishes; its outcome, or None when
        the connection was lost (the caller then polls /history)."""
        import websocket

        self.ws.settimeout(self.RECV_TIMEOUT)
        ours = False                       # custom events carry no prompt_id: trust them while ours runs
        checked = time.monotonic()
        while True:
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                if time.monotonic() - checked >= self.HISTORY_EVERY:
                    checked = time.monotonic()
                    entry = self.host.history(prompt_id)
                    if entry is not None:
                        return outcome(entry)
                continue
            except (websocket.WebSocketException, OSError):
                return None
            if not isinstance(raw, str):
                continue                   # binary frames are preview images
            try:
                message = json.loads(raw)
                event, data = message["type"], message.get("data") or {}
            except (ValueError, KeyError, TypeError):
                continue
            if "prompt_id" in data:
                # ComfyUI runs one prompt at a time: from its execution_start on, events without
                # a prompt_id (the pack's training events) belong to the prompt that runs.
                if event == "execution_start":
                    ours = data["prompt_id"] == prompt_id
                if data["prompt_id"] != prompt_id:
                    continue
                ours = True
            elif event != "status" and not ours:
                continue
            on_event(event, data)
            if event in FINAL_EVENTS or (event == "executing" and data.get("node") is None and "prompt_id" in data):
                return self.host.wait(prompt_id, interval=0.1)

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:          # noqa: BLE001 - closing a dead socket must not hide the result
            pass
