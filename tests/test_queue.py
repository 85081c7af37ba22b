"""python -m anim2lora.queue against a small fake ComfyUI: the same routes, message shapes and
websocket as the real one (object_info built from the pack's own node definitions), with
scripted runs.  tests/test_real_host.py runs the client against a real ComfyUI."""

import base64
import copy
import email
import email.policy
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest

import nodeinfo
from conftest import REPO

from anim2lora.errors import BadInputError
from anim2lora.queue.__main__ import main
from anim2lora.queue.progress import ProgressView
from anim2lora.queue.prompt import apply_override, load_prompt, parse_override

EXTRACT = REPO / "workflows" / "api" / "extract_demo.json"
REPORT = "VideoFrameExtract: 280 frames in 6 shots; kept 20"
VERDICT = "| check | #1 | #2 |\n|---|---|---|\n| ghost text | none | none |"
PNG = {"filename": "a2l_preview_0001.png", "subfolder": "", "type": "temp"}
PNG_BYTES = b"\x89PNG\r\n\x1a\n not really a picture "


# --- a fake ComfyUI ------------------------------------------------------------------------------

def _frame(payload: bytes, opcode: int) -> bytes:
    n = len(payload)
    size = bytes([n]) if n < 126 else bytes([126]) + n.to_bytes(2, "big") if n < 65536 else \
        bytes([127]) + n.to_bytes(8, "big")
    return bytes([0x80 | opcode]) + size + payload


def _read_frame(rfile):
    head = rfile.read(2)
    if len(head) < 2:
        return None
    n = head[1] & 0x7F
    if n >= 126:
        n = int.from_bytes(rfile.read(2 if n == 126 else 8), "big")
    mask = rfile.read(4)
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(rfile.read(n)))
    return head[0] & 0x0F, data


def success(prompt_id, prompt):
    """A run as ComfyUI reports it, after the end of another user's prompt, with a preview frame mixed in."""
    messages = [
        ("progress", {"value": 1, "max": 2, "node": "9", "prompt_id": "someone-elses"}),
        ("anim2lora.train", {"node": "9", "step": 1, "total": 2, "loss": 0.9}),
        ("execution_start", {"prompt_id": prompt_id}),
        ("execution_cached", {"nodes": [], "prompt_id": prompt_id}),
        ("executing", {"node": "1", "display_node": "1", "prompt_id": prompt_id}),
        ("progress", {"value": 5, "max": 20, "node": "1", "prompt_id": prompt_id}),
        b"\x00\x00\x00\x01preview-jpeg",
        ("anim2lora.train", {"node": "1", "name": "demo", "step": 1, "total": 2, "loss": 0.1234,
                             "seconds_per_step": 1.5, "seconds_left": 125.0}),
        ("executed", {"node": "1", "output": {"a2l_report": [REPORT]}, "prompt_id": prompt_id}),
        ("executing", {"node": "2", "display_node": "2", "prompt_id": prompt_id}),
        ("executed", {"node": "2", "output": {"images": [PNG]}, "prompt_id": prompt_id}),
        ("execution_success", {"prompt_id": prompt_id}),
        ("executing", {"node": None, "prompt_id": prompt_id}),
    ]
    history = {"prompt": [0, prompt_id, prompt, {}, ["2"]],
               "outputs": {"1": {"a2l_report": [REPORT]}, "2": {"images": [PNG]}},
               "status": {"status_str": "success", "completed": True,
                          "messages": [list(m) for m in messages if isinstance(m, tuple) and m[0].startswith("execution")]}}
    return messages, history


def failure(prompt_id, prompt):
    error = {"prompt_id": prompt_id, "node_id": "1", "node_type": "VideoFrameExtract", "executed": [],
             "exception_message": "demo.mp4 is damaged after frame 12; re-export it.",
             "exception_type": "anim2lora.errors.BadInputError", "traceback": ["  File ...\n"]}
    messages = [("execution_start", {"prompt_id": prompt_id}),
                ("executing", {"node": "1", "prompt_id": prompt_id}),
                ("execution_error", error)]
    history = {"outputs": {}, "status": {"status_str": "error", "completed": False,
                                         "messages": [["execution_start", messages[0][1]], ["execution_error", error]]}}
    return messages, history


def interrupted(prompt_id, prompt):
    stop = {"prompt_id": prompt_id, "node_id": "1", "node_type": "VideoFrameExtract", "executed": []}
    history = {"outputs": {}, "status": {"status_str": "error", "completed": False,
                                         "messages": [["execution_interrupted", stop]]}}
    return [("execution_start", {"prompt_id": prompt_id}), ("execution_interrupted", stop)], history


def endless(prompt_id, prompt):
    """A run that never ends unless interrupted."""
    return [("execution_start", {"prompt_id": prompt_id}), ("executing", {"node": "1", "prompt_id": prompt_id})], None


class FakeComfy:
    def __init__(self, pack, scenario=success, websocket=True, refuse=None):
        self.scenario, self.websocket, self.refuse = scenario, websocket, refuse
        self.info = nodeinfo.object_info(pack)
        self.uploads, self.prompts, self.posts, self.ws_clients = {}, [], [], []
        self.history, self.history_polls = {}, 0
        self.queued, self.sent = threading.Condition(), threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = self.path.split("?")[0]
                if path == "/ws":
                    return fake.serve_ws(self) if fake.websocket else self.reply(404, {})
                if path.startswith("/object_info/"):
                    name = path.rsplit("/", 1)[1]
                    info = copy.deepcopy(fake.info.get(name))
                    if name in ("VideoFrameExtract", "LoadImage"):     # the input folder's files
                        info["input"]["required"]["video" if name == "VideoFrameExtract" else "image"][0] = \
                            sorted(fake.uploads)
                    return self.reply(200, {name: info} if info else {})
                if path.startswith("/history/"):
                    fake.history_polls += 1
                    prompt_id = path.rsplit("/", 1)[1]
                    entry = fake.history.get(prompt_id)
                    return self.reply(200, {prompt_id: entry} if entry else {})
                self.reply(404, {})

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/upload/image":
                    msg = email.message_from_bytes(b"Content-Type: " + self.headers["Content-Type"].encode()
                                                   + b"\r\n\r\n" + body, policy=email.policy.default)
                    parts = {p.get_param("name", header="content-disposition"): p for p in msg.iter_parts()}
                    assert parts["overwrite"].get_content() == "true"
                    name = parts["image"].get_filename()
                    fake.uploads[name] = parts["image"].get_payload(decode=True)
                    return self.reply(200, {"name": name, "subfolder": "", "type": "input"})
                payload = json.loads(body)
                fake.posts.append((self.path, payload))
                if self.path == "/prompt":
                    if fake.refuse:
                        return self.reply(400, fake.refuse)
                    prompt_id = f"p{len(fake.prompts) + 1}"
                    if not fake.websocket:
                        fake.history[prompt_id] = fake.scenario(prompt_id, payload["prompt"])[1]
                    with fake.queued:
                        fake.prompts.append(payload)
                        fake.queued.notify_all()
                    return self.reply(200, {"prompt_id": prompt_id, "number": 0, "node_errors": {}})
                self.reply(200, {})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve_ws(self, h):
        before = len(self.prompts)       # read before the handshake: the client queues right after it
        key = h.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        h.send_response(101)
        h.send_header("Upgrade", "websocket")
        h.send_header("Connection", "Upgrade")
        h.send_header("Sec-WebSocket-Accept", accept.decode())
        h.end_headers()
        self.ws_clients.append(h.path.split("clientId=", 1)[1])
        send = lambda event, data: h.wfile.write(_frame(json.dumps({"type": event, "data": data}).encode(), 1))  # noqa: E731
        send("status", {"status": {"exec_info": {"queue_remaining": 0}}, "sid": self.ws_clients[-1]})
        with self.queued:                      # this connection scripts the next prompt queued
            queued = self.queued.wait_for(lambda: len(self.prompts) > before, timeout=10)
        if queued:
            prompt_id = f"p{before + 1}"
            messages, history = self.scenario(prompt_id, self.prompts[-1]["prompt"])
            for message in messages:
                h.wfile.write(_frame(message, 2)) if isinstance(message, bytes) else send(*message)
                time.sleep(0.01)
            if history is not None:
                self.history[prompt_id] = history
            self.sent.set()
        while (frame := _read_frame(h.rfile)) is not None:
            if frame[0] == 8:                      # the client closes: answer as a server must
                h.wfile.write(_frame(frame[1], 8))
                break
        h.close_connection = True

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def comfy(pack):
    made = []

    def start(**kw):
        made.append(FakeComfy(pack, **kw))
        return made[-1]

    yield start
    for fake in made:
        fake.close()


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "my clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    return path


# --- the prompt: loading and --set ---------------------------------------------------------------

@pytest.fixture
def object_info(pack):
    return nodeinfo.object_info(pack).__getitem__


def test_set_finds_nodes_by_class_title_and_id_and_types_values(object_info):
    prompt = load_prompt(REPO / "workflows" / "api" / "train_demo.json")
    assert apply_override(prompt, parse_override("VideoFrameExtract.max_frames=20"), object_info) == "1"
    assert prompt["1"]["inputs"]["max_frames"] == 20 and isinstance(prompt["1"]["inputs"]["max_frames"], int)
    title = prompt["1"]["_meta"]["title"]
    apply_override(prompt, parse_override(f"{title}.blur_threshold=1"), object_info)
    assert prompt["1"]["inputs"]["blur_threshold"] == 1.0 and isinstance(prompt["1"]["inputs"]["blur_threshold"], float)
    apply_override(prompt, parse_override("1.sampling=every_nth"), object_info)
    assert prompt["1"]["inputs"]["sampling"] == "every_nth"
    apply_override(prompt, parse_override("TrainLoRA.name=007"), object_info)    # text stays text
    assert prompt["15"]["inputs"]["name"] == "007"
    apply_override(prompt, parse_override("TrainLoRA.shuffle_caption=false"), object_info)
    assert prompt["15"]["inputs"]["shuffle_caption"] is False


@pytest.mark.parametrize("text, says", [
    ("CharacterReference.name=A", ["matches 2 nodes", "#5 CharacterReference \"Character Reference: A\"", "#7 CharacterReference", "by its id"]),
    ("VideoFrameExtrakt.max_frames=2", ["no node has the id, class or title 'VideoFrameExtrakt'", "#1 VideoFrameExtract",
                                        "#15 TrainLoRA"]),
    ("VideoFrameExtract.max_frame=2", ["has no input 'max_frame'", "max_frames", "blur_threshold"]),
    ("VideoFrameExtract.max_frames=-1", ["max_frames", "outside its range 0 … 1000000"]),
    ("VideoFrameExtract.max_frames=2.5", ["is an INT", "not a whole number"]),
    ("VideoFrameExtract.max_frames=many", ["is an INT", "'many' is not a number"]),
    ("VideoFrameExtract.sampling=every_second", ["not one of its choices", "unique_drawings, every_nth, target_fps"]),
    ("TrainLoRA.shuffle_caption=yes", ["BOOLEAN"]),
    ("TrainLoRA.model=x", ["connection (MODEL)"]),
    ("max_frames=2", ["not CLASS_OR_TITLE.input=value"]),
])
def test_set_errors_name_the_target_and_what_is_allowed(object_info, text, says):
    prompt = load_prompt(REPO / "workflows" / "api" / "train_demo.json")
    with pytest.raises(BadInputError) as e:
        apply_override(prompt, parse_override(text), object_info)
    for part in says:
        assert part in str(e.value)


def test_a_ui_format_workflow_needs_the_hosts_definitions(tmp_path):
    ui = tmp_path / "v2.json"
    ui.write_text(json.dumps({"last_node_id": 2, "nodes": [{"id": 1, "type": "VideoFrameExtract"}], "links": []}))
    with pytest.raises(BadInputError, match=r"UI format.*node definitions"):
        load_prompt(ui)


def test_the_terminal_bar_shows_node_value_and_training_loss():
    out = StringIO()
    view = ProgressView({"1": "Extract", "15": "Train"}, stream=out, tty=True)
    view.handle("executing", {"node": "1", "prompt_id": "p"})
    view.handle("progress", {"node": "1", "value": 5, "max": 10, "prompt_id": "p"})
    assert out.getvalue().endswith("\r#1 Extract [############------------] 5/10")
    view.handle("anim2lora.train", {"node": "15", "step": 3, "total": 4, "loss": 0.05, "seconds_left": 3725})
    assert view.status_line() == "#15 Train [##################------] 3/4  loss 0.0500  1h02m left"
    assert "5/10\n" in out.getvalue(), "the finished node's line stays"


# --- the client against the fake host ------------------------------------------------------------

def test_uploads_sets_video_and_overrides_and_prints_the_report(comfy, clip, capsys):
    fake = comfy()
    code = main([str(EXTRACT), "--server", fake.url, "--video", str(clip), "--set", "VideoFrameExtract.max_frames=20",
                 "--set", "1.cut_margin=3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert fake.uploads == {clip.name: clip.read_bytes()}
    posted = fake.prompts[0]
    inputs = posted["prompt"]["1"]["inputs"]
    assert inputs["video"] == clip.name and inputs["max_frames"] == 20 and inputs["cut_margin"] == 3
    assert posted["client_id"] == fake.ws_clients[0], "the websocket listens for the queued prompt's client"
    assert f"== #1 Video Frame Extract (Anim2LoRA) ==\n{REPORT}" in out
    assert f"image from #2: {fake.url}/view?filename=a2l_preview_0001.png&subfolder=&type=temp" in out
    assert "#1 Video Frame Extract (Anim2LoRA)" in err and "loss 0.1234" in err and "2m05s left" in err
    assert "#9" not in err and "0.9" not in err, "another prompt's progress is not shown"


def test_the_verdict_table_is_printed_last_and_in_the_json_summary(comfy, pack, capsys):
    def verdict_run(prompt_id, prompt):
        messages, history = success(prompt_id, prompt)
        history["outputs"] = {"9": {"a2l_report": [VERDICT]}, "2": {"a2l_report": ["Line art sampler: 2 pictures"]},
                              "10": {"images": [PNG]}}
        return messages, history

    fake = comfy(scenario=verdict_run)
    workflow = REPO / "workflows" / "api" / "verdict_demo.json"
    code = main([str(workflow), "--server", fake.url, "--set", "LineArtVerdict.ask=A+B"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert fake.prompts[0]["prompt"]["9"]["inputs"]["ask"] == "A+B"
    assert out.index("Line art sampler") < out.index("== Verdict: #9 ") < out.index(VERDICT)

    assert main([str(workflow), "--server", fake.url, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["prompt_id"] == "p2" and summary["status"] == "success"
    assert summary["outputs"] == {"9": VERDICT, "2": "Line art sampler: 2 pictures"}
    assert summary["images"] == [{"node": "10", **PNG, "url": f"{fake.url}/view?filename={PNG['filename']}&subfolder=&type=temp"}]


@pytest.mark.parametrize("name", ["v2_clean", "v2_clean_sdxl"])
def test_a_canvas_workflow_is_queued_as_its_api_twin_with_uploaded_stills(comfy, clip, tmp_path, capsys, name):
    """workflows/v2_clean.json (and its SDXL sibling) as the canvas saves it: converted with the
    host's definitions, the video and both reference stills uploaded and set, the rest exactly its
    API twin."""
    fake = comfy()
    stills = {c: tmp_path / f"my {c}.png" for c in "AB"}
    for c, path in stills.items():
        path.write_bytes(PNG_BYTES + c.encode())
    code = main([str(REPO / "workflows" / f"{name}.json"), "--server", fake.url, "--video", str(clip),
                 "--set", f"Reference still of A.image=@{stills['A']}", "--set", f"6.image=@{stills['B']}",
                 "--set", "TrainLoRA.max_steps=2"])
    assert code == 0, capsys.readouterr().err
    assert fake.uploads == {clip.name: clip.read_bytes(), **{p.name: p.read_bytes() for p in stills.values()}}
    want = json.loads((REPO / "workflows" / "api" / f"{name}.json").read_text())
    want["1"]["inputs"]["video"] = clip.name
    want["4"]["inputs"]["image"], want["6"]["inputs"]["image"] = "my A.png", "my B.png"
    want["13"]["inputs"]["max_steps"] = 2
    assert fake.prompts[0]["prompt"] == want


def test_a_canvas_file_that_does_not_fit_the_hosts_nodes_is_refused_before_anything_is_sent(comfy, tmp_path, capsys):
    """A node the host lacks, or values shifted against the host's definition: exit 2 with the node
    named on stderr, no traceback, nothing uploaded or queued."""
    fake = comfy()
    for change, says in ((lambda n: n.update(type="NoSuchFilter"), "error: Node #2 NoSuchFilter: ComfyUI at "),
                         (lambda n: n["widgets_values"].insert(0, "paddle"),
                          "error: Node #2 TextFrameFilter: widget 'min_score' holds 'drop', which is not a FLOAT value")):
        ui = json.loads((REPO / "workflows" / "v2_clean.json").read_text())
        node = next(n for n in ui["nodes"] if n["id"] == 2)
        node.pop("widgets_values_named")
        change(node)
        workflow = tmp_path / "edited.json"
        workflow.write_text(json.dumps(ui))
        assert main([str(workflow), "--server", fake.url]) == 2
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, err
    assert not fake.uploads and not fake.prompts


def test_at_uploads_only_into_file_choices_and_everything_is_checked_before_uploading(comfy, tmp_path, capsys):
    fake = comfy()
    still = tmp_path / "a.png"
    still.write_bytes(PNG_BYTES)
    workflow = str(REPO / "workflows" / "api" / "v2_clean.json")
    # a missing still, or a missing video after a good still: nothing is uploaded
    assert main([workflow, "--server", fake.url, "--set", f"4.image=@{tmp_path / 'missing.png'}"]) == 2
    assert "missing.png is not a file to upload" in capsys.readouterr().err
    assert main([workflow, "--server", fake.url, "--set", f"4.image=@{still}", "--video", str(tmp_path / "no.mp4")]) == 2
    assert "--video " in capsys.readouterr().err
    assert not fake.uploads and not fake.prompts
    # "@" in a text setting is text; in a choice without an upload button it is a choice that does not exist
    assert main([workflow, "--server", fake.url, "--set", "CaptionWithKeepTokens.trigger=@mia"]) == 0
    assert fake.prompts[-1]["prompt"]["11"]["inputs"]["trigger"] == "@mia" and not fake.uploads
    assert main([workflow, "--server", fake.url, "--set", f"TrainLoRA.optimizer=@{still}"]) == 2
    assert "not one of its choices" in capsys.readouterr().err and not fake.uploads


def test_a_bad_set_fails_before_uploading_or_queueing(comfy, clip, capsys):
    fake = comfy()
    code = main([str(EXTRACT), "--server", fake.url, "--video", str(clip), "--set", "VideoFrameExtract.max_frames=-1"])
    assert code == 2
    assert "max_frames" in capsys.readouterr().err
    assert not fake.uploads and not fake.prompts


def test_a_refused_prompt_prints_the_hosts_node_errors(comfy, capsys):
    refusal = {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                         "details": "", "extra_info": {}},
               "node_errors": {"1": {"class_type": "VideoFrameExtract", "dependent_outputs": ["2"], "errors": [
                   {"type": "value_not_in_list", "message": "Value not in list",
                    "details": "video: 'demo.mp4' not in []", "extra_info": {"input_name": "video"}}]}}}
    fake = comfy(refuse=refusal)
    code = main([str(EXTRACT), "--server", fake.url])
    err = capsys.readouterr().err
    assert code == 2
    assert "ComfyUI refused the prompt: Prompt outputs failed validation." in err
    assert "#1 VideoFrameExtract \"Video Frame Extract (Anim2LoRA)\": Value not in list: video: 'demo.mp4' not in []" in err


def test_a_failing_node_exits_1_with_its_id_type_and_message(comfy, capsys):
    fake = comfy(scenario=failure)
    code = main([str(EXTRACT), "--server", fake.url])
    err = capsys.readouterr().err
    assert code == 1
    assert "#1 VideoFrameExtract" in err and "demo.mp4 is damaged after frame 12; re-export it." in err


def test_an_interrupt_on_the_host_exits_130(comfy, capsys):
    fake = comfy(scenario=interrupted)
    assert main([str(EXTRACT), "--server", fake.url]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_without_a_websocket_it_polls_history(comfy, capsys):
    fake = comfy(websocket=False)
    code = main([str(EXTRACT), "--server", fake.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "polling" in err and fake.history_polls >= 1
    assert REPORT in out


def test_an_unreachable_host_exits_2_naming_its_url(capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main([str(EXTRACT), "--server", f"127.0.0.1:{port}", "--set", "VideoFrameExtract.max_frames=20"])
    assert code == 2
    assert f"Cannot reach ComfyUI at http://127.0.0.1:{port}" in capsys.readouterr().err


def test_ctrl_c_stops_the_prompt_on_the_host_and_exits_130(comfy):
    fake = comfy(scenario=endless)
    run = subprocess.Popen([sys.executable, "-m", "anim2lora.queue", str(EXTRACT), "--server", fake.url],
                           cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert fake.sent.wait(30), "the client never queued"
        # Ctrl-C once the client says it queued (it then follows the run), not after a guessed pause
        seen = []
        reader = threading.Thread(target=lambda: seen.extend(iter(run.stderr.readline, "")), daemon=True)
        reader.start()
        deadline = time.monotonic() + 30
        while not any("queued prompt p1" in line for line in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        run.wait(timeout=30)
        reader.join(timeout=10)
        err = "".join(seen)
    finally:
        run.kill()
    assert run.returncode == 130, err
    assert ("/interrupt", {"prompt_id": "p1"}) in fake.posts and ("/queue", {"delete": ["p1"]}) in fake.posts
    assert "cancelled: asked ComfyUI to stop prompt p1" in err
