"""The shipped v1_naive and v2_clean workflows in a real ComfyUI: listed by its template browser,
loaded by its front end as a dropped file, converted by it to exactly the API twins, and v2_clean
queued end to end through the queue client, on the demo clip and on a realistic clip.  Runs with COMFYUI_DIR and COMFY_VENV set."""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import nodeinfo
from browser import open_page, wait_for
from comfyhost import needs_host
from conftest import REPO

from anim2lora.errors import BadInputError
from anim2lora.queue.ui_format import declared_inputs, ui_to_api

pytestmark = needs_host
NAMES = ["v1_naive", "v2_clean", "v2_clean_sdxl"]
PACK = "ComfyUI-Anim2LoRA"


def _ui(name):
    return json.loads((REPO / "workflows" / f"{name}.json").read_text())


def _twin(name):
    return json.loads((REPO / "workflows" / "api" / f"{name}.json").read_text())


def test_the_recorded_host_nodes_are_the_hosts(host):
    """tests/data/host_object_info.json (used by the host-free tests) still says what the host says."""
    for name, recorded in json.loads(nodeinfo.HOST_NODES.read_text()).items():
        live = host.get(f"/object_info/{name}")[name]
        assert live["output"] == recorded["output"]
        assert [(n, s[0] if not isinstance(s[0], list) else []) for n, s in declared_inputs(live)] == \
            [(n, s[0]) for n, s in declared_inputs(recorded)], name


@pytest.mark.parametrize("name", NAMES)
def test_the_hosts_definitions_convert_the_canvas_file_to_its_twin(host, name):
    assert ui_to_api(_ui(name), lambda cls: host.get(f"/object_info/{cls}")[cls]) == _twin(name)


def test_the_template_browser_lists_both_with_thumbnails(host):
    assert sorted(host.get("/api/workflow_templates")[PACK]) == NAMES
    for name in NAMES:
        assert host.get(f"/api/workflow_templates/{PACK}/{name}.json") == _ui(name)
        with urllib.request.urlopen(f"{host.url}/api/workflow_templates/{PACK}/{name}.jpg", timeout=30) as r:
            assert r.headers["Content-Type"] == "image/jpeg" and r.read()[:3] == b"\xff\xd8\xff"


DROP = """
const [text, fileName, done] = arguments;
(async () => {
  const app = window.app;
  // what dropping the file on the canvas does
  await app.handleFile(new File([text], fileName, {type: "application/json"}));
  const nodes = app.graph._nodes;
  const unknown = nodes.filter(n => !window.LiteGraph.registered_node_types[n.type]).map(n => n.type);
  const prompt = (await app.graphToPrompt()).output;
  // the pack's display widgets (reports, galleries, the loss chart) are never saved with the workflow
  for (const n of nodes) n.onExecuted?.({a2l_report: ["a report"], a2l_losses: [0.5, 0.4]});
  const saved = app.graph.serialize().nodes.flatMap(n => Object.keys(n.widgets_values_named ?? {}))
    .filter(k => k.startsWith("a2l"));
  done(JSON.stringify({count: nodes.length, unknown, prompt, saved, groups: app.graph._groups.map(g => g.title)}));
})().catch(e => done(JSON.stringify({error: String(e)})));
"""


def test_the_front_end_loads_a_dropped_file_and_queues_the_twin(host):
    driver = open_page(host.url)
    try:
        driver.set_script_timeout(60)
        for name in NAMES:
            loaded = json.loads(driver.execute_async_script(DROP, (REPO / "workflows" / f"{name}.json").read_text(),
                                                            f"{name}.json"))
            assert "error" not in loaded, loaded
            twin = _twin(name)
            assert loaded["count"] == len(twin) and loaded["unknown"] == [], loaded["unknown"]
            assert len(loaded["groups"]) == 3 and loaded["saved"] == []
            for node_id, node in twin.items():
                got = loaded["prompt"][node_id]
                info = host.get(f"/object_info/{node['class_type']}")[node["class_type"]]
                declared = {n for n, _ in declared_inputs(info)}
                # the front end adds its own preview widget's value (video-preview); the host ignores it
                sent = {k: v for k, v in got["inputs"].items() if k in declared}
                # an optional widget added to a node after the file was saved (PersonCountFilter's
                # framings) is absent from the file: the front end sends its default, the twin leaves
                # it out and the host applies the same default
                optional = info["input"].get("optional", {})
                for k in set(sent) - set(node["inputs"]):
                    assert k in optional and sent.pop(k) == optional[k][1].get("default"), (name, node_id, k)
                assert sent == node["inputs"], (name, node_id)
                assert got["class_type"] == node["class_type"] and got["_meta"] == node["_meta"]
        wait_for(driver, "return document.title.length > 0")
    finally:
        driver.quit()


EVERY_NODE = """
const [classes, done] = arguments;
(async () => {
  const app = window.app;
  app.graph.clear();
  const failed = [];
  for (const type of classes) {
    try { app.graph.add(window.LiteGraph.createNode(type)); } catch (e) { failed.push(type + ": " + e); }
  }
  // the node as the front end saves it, and the prompt it sends for it
  const saved = app.graph.serialize().nodes;
  const prompt = (await app.graphToPrompt()).output;
  done(JSON.stringify({saved, prompt, failed}));
})().catch(e => done(JSON.stringify({error: String(e)})));
"""


def test_core_and_pack_nodes_convert_as_the_front_end_sends_them(host):
    """Every node of ComfyUI's nodes.py and of the pack, created on the canvas and saved there: the
    host's own definitions lay its saved widget values out into exactly what the front end sends
    (seeds with their controls, upload buttons, combos), or the converter refuses it naming the node;
    never a different value."""
    infos = host.get("/object_info")
    classes = sorted(name for name, info in infos.items()
                     if info.get("python_module") == "nodes" or PACK in str(info.get("python_module")))
    driver = open_page(host.url)
    try:
        driver.set_script_timeout(120)
        made = json.loads(driver.execute_async_script(EVERY_NODE, classes))
    finally:
        driver.quit()
    assert "error" not in made and made["failed"] == [], made.get("error") or made["failed"]
    converted, refused, differ = [], [], []
    for node in made["saved"]:
        kind, node_id = node["type"], str(node["id"])
        try:
            got = ui_to_api({"nodes": [node], "links": []}, infos.__getitem__)[node_id]["inputs"]
        except BadInputError as e:
            assert str(e).startswith(f"Node #{node_id} {kind}: "), e
            refused.append(f"{kind}: {e}")
            continue
        declared = {n for n, _ in declared_inputs(infos[kind])}
        sent = {k: v for k, v in made["prompt"].get(node_id, {}).get("inputs", {}).items() if k in declared}
        (converted if got == sent else differ).append(kind if got == sent else (kind, got, sent))
    assert differ == [], differ
    assert {"KSampler", "KSamplerAdvanced", "LoadImage", "CheckpointLoaderSimple", "TrainLoRA",
            "VideoFrameExtract", "LineArtSampler"} <= set(converted), refused
    assert len(refused) <= len(classes) // 20, refused


def _queue_v2(host, checkpoint, video: Path, stills: dict, lora: str) -> dict:
    """workflows/v2_clean.json queued with the client: the video and a reference still of A and of B
    uploaded, the checkpoint, 2 training steps at 256 px, samples of A, B and A+B at 2 steps; the
    client's --json summary."""
    sets = [f"Reference still of A.image=@{stills['A']}", f"Reference still of B.image=@{stills['B']}",
            f"CheckpointLoaderSimple.ckpt_name={checkpoint.name}", f"TrainLoRA.name={lora}",
            "TrainLoRA.max_steps=2", "TrainLoRA.resolution=256", "TrainLoRA.warmup_steps=0"]
    for who in ("A", "B", "A+B"):
        sets += [f"Samples: {who}.steps=2", f"Samples: {who}.width=256", f"Samples: {who}.height=256"]
    run = subprocess.run([sys.executable, "-m", "anim2lora.queue", str(REPO / "workflows" / "v2_clean.json"),
                          "--server", host.url, "--video", str(video), "--json",
                          *[arg for s in sets for arg in ("--set", s)]],
                         cwd=REPO, capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    assert summary["status"] == "success"
    reports = summary["outputs"]
    assert reports["13"].startswith("TrainLoRA: 2/2 steps"), reports["13"]
    lora_file = host.base / "models" / "loras" / f"{lora}.safetensors"
    assert lora_file.is_file() and lora_file.stat().st_size > 0
    for verdict, asked in (("16", "A"), ("19", "B"), ("22", "A+B")):
        assert reports[verdict].startswith(f"## Verdict: 1 pictures, asked {asked}, dataset stroke width "), \
            reports[verdict]
    nodes_with_images = {image["node"] for image in summary["images"]}
    assert {"9", "14", "17", "20", "23", "25"} <= nodes_with_images, nodes_with_images
    return summary


def _subsets(caption_report: str) -> dict:
    """The caption report's kohya subsets: folder (``4_A+B``, ``1_A+B~composed``, ``2_A~stills``)
    -> pictures."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^\s+(\d+_\S+): +(\d+) pictures x", caption_report, re.M)}


def _groups(subsets: dict, kind: str = "") -> dict:
    """Group -> pictures in its subset of ``kind`` ("" for the frames, "composed", "stills")."""
    found = {}
    for folder, n in subsets.items():
        group, _, sub = folder.split("_", 1)[1].partition("~")
        if sub == kind:
            found[group] = n
    return found


def test_v2_clean_runs_end_to_end_through_the_queue_client(train_host, random_sd15, demo_clip, tmp_path):
    """The canvas file, queued with the client: the demo clip and two reference stills uploaded, the
    random SD1.5 checkpoint, 2 training steps at 256 px, samples of A, B and A+B and their verdicts.
    PairCompose grows A+B from the solo frames; the reference stills train as their own subsets."""
    import cv2

    from anim2lora.demo.people_scenes import reference_stills

    stills = {}
    for character in "AB":
        stills[character] = tmp_path / f"ref_{character}.png"
        cv2.imwrite(str(stills[character]), cv2.cvtColor(reference_stills(character, 1)[0], cv2.COLOR_RGB2BGR))
    summary = _queue_v2(train_host, random_sd15, demo_clip, stills, "v2_e2e")
    reports = summary["outputs"]
    assert "GroupSplit: 47 frames in; A: 20, B: 15, A+B: 12" in reports["8"]
    composed = int(re.search(r"A\+B: (\d+) composed beside 12 real frames", reports["24"])[1])
    assert 0 < composed <= 24, reports["24"]
    subsets = _subsets(reports["11"])
    assert _groups(subsets)["A+B"] == 12 and _groups(subsets, "composed") == {"A+B": composed}, reports["11"]
    assert _groups(subsets, "stills") == {"A": 1, "B": 1}, reports["11"]
    assert "steps per character by source" in reports["11"]
    (Path(tmp_path) / "e2e_summary.json").write_text(json.dumps(summary))


def test_v2_clean_runs_end_to_end_on_a_realistic_clip(train_host, random_sd15, tmp_path):
    """Issue 15: the first 12 shots of the realistic set's tune half (every shot kind once: A alone,
    B alone, A+B, over-the-shoulder, an extra, a stranger, overlapping bodies, a fragment,
    subtitles, a pan, an empty plate; close-ups to full shots on paper, gradient, dark, painted and
    rendered backgrounds), written by `python -m anim2lora realclip`, with its reference stills of
    the characters on white, queued through the client: the run finishes and every group, A, B and
    A+B, holds frames in GroupSplit and in the dataset, with composed pairs beside A+B."""
    made = subprocess.run([sys.executable, "-m", "anim2lora", "realclip", "--half", "tune", "--shots", "12",
                           "--out", str(tmp_path / "real"), "--json"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert made.returncode == 0, made.stderr[-3000:]
    written = json.loads(made.stdout)
    # the full figure on white of each (refs/A_3.png): a still a user draws or cuts out for the purpose
    stills = {name: Path(written["refs"][name][2]) for name in "AB"}
    summary = _queue_v2(train_host, random_sd15, Path(written["video"]), stills, "v2_real")
    reports = summary["outputs"]
    groups = reports["8"].splitlines()[0].split("; ")[1]          # "A: 5, B: 5, A+B: 3"
    split = {name: int(n) for name, n in (g.split(": ") for g in groups.split(", "))}
    assert set(split) == {"A", "B", "A+B"} and min(split.values()) > 0, reports["8"]
    subsets = _subsets(reports["11"])
    frames = _groups(subsets)
    assert set(frames) == {"A", "B", "A+B"} and min(frames.values()) > 0, reports["11"]
    assert _groups(subsets, "composed").get("A+B", 0) > 0, reports["24"]
    (Path(tmp_path) / "real_summary.json").write_text(json.dumps(summary))
