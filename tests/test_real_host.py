"""The pack inside a real ComfyUI, driven over its HTTP API like a user's queue.

Runs when COMFYUI_DIR (a ComfyUI checkout) and COMFY_VENV (its virtualenv) are set; skipped
otherwise.  Uses ../shared/tools/comfyui-host, which never modifies the checkout.
"""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from comfyhost import needs_host
from conftest import REPO

pytestmark = needs_host


def _extract_prompt(node_info, video, **overrides):
    inputs = {name: spec[1].get("default") for name, spec in node_info["input"]["required"].items()
              if name != "video"}
    inputs.update(video=video, **overrides)
    return {"1": {"class_type": "VideoFrameExtract", "inputs": inputs},
            "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 1]}}}


def test_pack_loads_without_import_failures(host):
    info = host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"]
    assert info["category"] == "anim2lora/data"
    assert info["output"] == ["A2L_FRAMES", "IMAGE", "STRING"]
    text = host.get("/object_info/TextFrameFilter")["TextFrameFilter"]
    assert text["input"]["required"]["frames"][0] == "A2L_FRAMES"
    assert text["output"] == ["A2L_FRAMES", "A2L_FRAMES", "IMAGE", "STRING"]
    log = host.log.read_text()
    assert "IMPORT FAILED" not in "\n".join(line for line in log.splitlines() if "Anim2LoRA" in line)
    assert "Anim2LoRA: node module" not in log
    assert "/extensions/ComfyUI-Anim2LoRA/anim2lora.js" in host.get("/extensions")


def test_extract_through_the_prompt_api(host, demo_clip):
    uploaded = host.upload(demo_clip)
    info = host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"]
    assert uploaded["name"] in host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"]["input"]["required"]["video"][0]
    result = host.wait(host.queue(_extract_prompt(info, uploaded["name"])))
    assert result["status"]["status_str"] == "success", result["status"]
    report = result["outputs"]["1"]["a2l_report"][0]
    assert "kept" in report and "6 shots" in report
    assert result["outputs"]["2"]["images"], "the preview reached PreviewImage"
    sets = list((host.base / "output" / "anim2lora" / "sets").glob("*.json"))
    assert len(sets) == 1 and json.loads(sets[0].read_text())["source"]["name"] == uploaded["name"]


def test_escaping_names_are_refused_before_running(host):
    info = host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"]
    status, body = host.post("/prompt", {"prompt": _extract_prompt(info, "../../../etc/passwd")})
    assert status == 400
    details = json.dumps(body["node_errors"])
    assert "outside" in details or "absolute" in details


def test_interrupt_stops_extraction_and_leaves_no_partial_set(host, tmp_path):
    from anim2lora.demo.clip import write_clip

    long_clip = tmp_path / "long.mp4"
    write_clip(long_clip, 960, 540, loops=8)
    uploaded = host.upload(long_clip)
    info = host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"]
    prompt_id = host.queue(_extract_prompt(info, uploaded["name"], cut_margin=3))
    frames_dir = host.base / "output" / "anim2lora" / "frames"
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".") for p in frames_dir.glob("*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    asked = time.monotonic()
    assert host.post("/interrupt", {})[0] == 200
    result = host.wait(prompt_id)
    latency = time.monotonic() - asked
    print(f"interrupt latency {latency:.2f}s")
    events = [e for e, _ in result["status"]["messages"]]
    assert "execution_interrupted" in events
    assert not any(p.name.startswith(".") for p in frames_dir.glob("*")), "partial frames left behind"


def test_text_filter_after_extraction_in_one_prompt(host, demo_clip):
    uploaded = host.upload(demo_clip)
    info = host.get("/object_info/VideoFrameExtract")["VideoFrameExtract"]
    text = host.get("/object_info/TextFrameFilter")["TextFrameFilter"]
    prompt = _extract_prompt(info, uploaded["name"])
    settings = {name: spec[1].get("default") for name, spec in text["input"]["required"].items() if name != "frames"}
    prompt["3"] = {"class_type": "TextFrameFilter", "inputs": {"frames": ["1", 0], **settings}}
    prompt["4"] = {"class_type": "PreviewImage", "inputs": {"images": ["3", 2]}}
    result = host.wait(host.queue(prompt), timeout=600)
    assert result["status"]["status_str"] == "success", result["status"]
    report = result["outputs"]["3"]["a2l_report"][0]
    assert "TextFrameFilter: 78 frames in; 31 show text; kept 47" in report, report
    assert result["outputs"]["4"]["images"], "the boxes preview reached PreviewImage"


def _queue_shipped(host, name, demo_clip, tmp_path):
    """A shipped API prompt as a user queues it: the demo clip and a reference still of A and of B
    uploaded into the host's input folder and set on its nodes."""
    prompt = json.loads((REPO / "workflows" / "api" / name).read_text())
    prompt["1"]["inputs"]["video"] = host.upload(demo_clip)["name"]
    _upload_references(host, prompt, tmp_path, {"A": "4", "B": "6"})
    return host.wait(host.queue(prompt), timeout=600)


def _upload_references(host, prompt, tmp_path, nodes):
    """A reference still of each character (name -> its LoadImage node) uploaded into the host's
    input folder and set on the prompt."""
    import cv2

    from anim2lora.demo.people_scenes import reference_stills

    for character, node in nodes.items():
        path = tmp_path / f"ref_{character}.png"
        cv2.imwrite(str(path), cv2.cvtColor(reference_stills(character, 1)[0], cv2.COLOR_RGB2BGR))
        prompt[node]["inputs"]["image"] = host.upload(path)["name"]


def test_the_shipped_group_prompt_counts_and_splits(host, demo_clip, tmp_path):
    """workflows/api/groups_demo.json as shipped: extraction, text filter, PersonCountFilter,
    two CharacterReference nodes fed by LoadImage, GroupSplit and two previews."""
    result = _queue_shipped(host, "groups_demo.json", demo_clip, tmp_path)
    assert result["status"]["status_str"] == "success", result["status"]
    counted = result["outputs"]["3"]["a2l_report"][0]
    assert "PersonCountFilter: 47 frames in; kept 47" in counted and "detector: ink" in counted, counted
    report = result["outputs"]["8"]["a2l_report"][0]
    assert "GroupSplit: 47 frames in; A: 20, B: 15, A+B: 12" in report, report
    folder = Path(report.rsplit("group folders: ", 1)[1].strip())
    assert folder.is_relative_to(host.base), "group folders stay under the host's base directory"
    assert (folder / "groups.json").is_file() and len(list((folder / "A+B" / "images").iterdir())) == 12
    assert result["outputs"]["9"]["images"] and result["outputs"]["10"]["images"]


def test_the_shipped_dataset_prompt_writes_a_kohya_dataset(host, demo_clip, tmp_path):
    """workflows/api/dataset_demo.json: the group prompt, then LineArtPrep and CaptionWithKeepTokens."""
    import tomllib

    result = _queue_shipped(host, "dataset_demo.json", demo_clip, tmp_path)
    assert result["status"]["status_str"] == "success", result["status"]
    assert "stroke width" in result["outputs"]["11"]["a2l_report"][0]
    report = result["outputs"]["13"]["a2l_report"][0]
    assert report.startswith("CaptionWithKeepTokens: 106 pictures in 3 groups"), report
    folder = Path(report.rsplit("dataset: ", 1)[1].split("  (kohya")[0].strip())
    assert folder.is_relative_to(host.base)
    config = tomllib.loads((folder / "dataset_config.toml").read_text())
    dirs = sorted(Path(s["image_dir"]).name for s in config["datasets"][0]["subsets"])
    assert dirs == ["1_A", "1_B", "4_A+B"], dirs
    assert result["outputs"]["12"]["images"]


def _full_kohya_lora(path: Path) -> Path:
    """A rank-4 LoRA file with every SD1.5 name anim2lora.train.targets gives."""
    import torch
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from anim2lora.train.lora_file import save_lora
    from anim2lora.train.targets import text_encoder_targets, unet_targets

    with torch.device("meta"):
        unet, te = UNet2DConditionModel(sample_size=64, cross_attention_dim=768), CLIPTextModel(CLIPTextConfig())
    tensors = {}
    for name, m in {**unet_targets(unet), **text_encoder_targets(te)}.items():
        shape_in, shape_out = ((m.in_channels, 1, 1), (m.out_channels,)) if isinstance(m, torch.nn.Conv2d) else \
            ((m.in_features,), (m.out_features,))
        tensors[f"{name}.lora_down.weight"] = torch.full((4, *shape_in), 0.01, dtype=torch.float16)
        tensors[f"{name}.lora_up.weight"] = torch.full((*shape_out, 4, *shape_in[1:]), 0.01, dtype=torch.float16)
        tensors[f"{name}.alpha"] = torch.tensor(2.0, dtype=torch.float16)
    return save_lora(path, tensors, {})


def test_a_kohya_named_lora_loads_in_comfyui_with_no_key_left_over(random_sd15, tmp_path):
    """Every name anim2lora.train.targets gives (192 UNet, 72 text encoder) is one ComfyUI's
    LoraLoader path patches: no 'lora key not loaded' warning."""
    result = _lora_check(random_sd15, _full_kohya_lora(tmp_path / "lora.safetensors"))
    assert result == {"missing": [], "unet_patches": 192, "clip_patches": 72}, result


@pytest.mark.skipif(not os.environ.get("RANDOM_SDXL"), reason="set RANDOM_SDXL to a single-file SDXL checkpoint "
                                                          "(a random one: ComfyUI's own classes, 7 GB)")
def test_a_kohya_named_sdxl_lora_loads_in_comfyui_with_no_key_left_over(tmp_path):
    """Every SDXL name the trainer gives (the set kohya's own code creates: 722 UNet, 72 CLIP-L,
    192 CLIP-G) is one ComfyUI's LoraLoader patches on an SDXL checkpoint."""
    import torch
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from anim2lora.train import sd15, sdxl
    from anim2lora.train.lora_file import save_lora

    config = UNet2DConditionModel.load_config(str(sdxl.CONFIG_DIR), subfolder="unet")
    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(config)
        te1 = CLIPTextModel(CLIPTextConfig.from_pretrained(str(sd15.CONFIG_DIR / "text_encoder")))
        te2 = CLIPTextModelWithProjection(CLIPTextConfig.from_pretrained(str(sdxl.CONFIG_DIR / "text_encoder_2")))
    backend = sdxl.SdxlDiffusersBackend(unet, None, te1, te2)
    tensors = {}
    for model, paths in [(unet, backend.unet_targets())] + backend.text_encoders():
        for name, path in paths.items():
            out_features, in_features = model.get_submodule(path).weight.shape
            tensors[f"{name}.lora_down.weight"] = torch.full((4, in_features), 0.01, dtype=torch.float16)
            tensors[f"{name}.lora_up.weight"] = torch.full((out_features, 4), 0.01, dtype=torch.float16)
            tensors[f"{name}.alpha"] = torch.tensor(2.0, dtype=torch.float16)
    result = _lora_check(os.environ["RANDOM_SDXL"], save_lora(tmp_path / "xl.safetensors", tensors, {}))
    assert result == {"missing": [], "unet_patches": 722, "clip_patches": 264}, result


def _lora_check(checkpoint, lora, *flags):
    """What ComfyUI's own LoraLoader path makes of ``lora`` on ``checkpoint`` (comfy_lora_check.py),
    in a ComfyUI process of its own started with ``flags``."""
    return _in_comfy("comfy_lora_check.py", checkpoint, lora, *flags)


def _in_comfy(script: str, *args):
    """The JSON a script of tests/ prints when run in ComfyUI's own Python."""
    run = subprocess.run([str(Path(os.environ["COMFY_VENV"]) / "bin" / "python"), str(REPO / "tests" / script),
                          *map(str, args)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "COMFYUI_DIR": os.environ["COMFYUI_DIR"]})
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_pictures_a_run_draws_in_the_host_are_its_vaes_decode(random_sd15):
    """TrainLoRA's ComfyUI backend decodes what it draws (previews, resemblance scores) with the
    graph's VAE: the same pictures as VAE Decode, whole or tiled, without moving the models the run
    loaded; given no VAE, the live preview, with a note for the report."""
    r = _in_comfy("comfy_decode_check.py", random_sd15)
    assert r["note_with_vae"] is None and r["shape"] == r["tiled_shape"] == [1, 3, 128, 128], r
    assert r["vae_vs_decode"] < 1e-5 and r["one_tile_vs_decode"] < 1e-5, r
    assert 0.0 <= r["tiled_range"][0] <= r["tiled_range"][1] <= 1.0, r
    assert r["kept_loaded"] == r["kept_loaded_tiled"] == [True, True, True], "UNet, CLIP and VAE stay loaded"
    assert r["drawn"] == [1, 128, 128, 3]
    assert r["preview_vs_decode"] > 0.02, "the preview is another picture"
    assert r["fallback_vs_preview"] == 0.0 and "no VAE was given" in r["note_without_vae"], r


def test_train_lora_trains_in_the_host_and_its_file_loads_with_no_key_left_over(train_host, random_sd15,
                                                                                 demo_clip, tmp_path):
    """workflows/api/train_demo.json (the dataset prompt, Load Checkpoint and TrainLoRA) on the
    random SD1.5 checkpoint: 2 steps at 256 px inside ComfyUI, UNet and text encoder; the file in
    models/loras loads through LoraLoader's path with every key patched."""
    from safetensors import safe_open

    prompt = json.loads((REPO / "workflows" / "api" / "train_demo.json").read_text())
    prompt["14"]["inputs"]["ckpt_name"] = random_sd15.name
    prompt["15"]["inputs"].update(name="a2l_host", max_steps=2, resolution=256, rank=4, alpha=2.0, warmup_steps=0)
    prompt["1"]["inputs"]["video"] = train_host.upload(demo_clip)["name"]
    _upload_references(train_host, prompt, tmp_path, {"A": "4", "B": "6"})
    result = train_host.wait(train_host.queue(prompt), timeout=1200)
    assert result["status"]["status_str"] == "success", result["status"]
    report = result["outputs"]["15"]["a2l_report"][0]
    assert report.startswith("TrainLoRA: 2/2 steps") and "UNet 192, text encoder 72" in report, report
    assert len(result["outputs"]["15"]["a2l_losses"]) == 2
    assert result["outputs"]["16"]["images"], "the loss curve is shown"
    lora = train_host.base / "models" / "loras" / "a2l_host.safetensors"
    assert lora.is_file(), list((train_host.base / "models").rglob("*"))
    with safe_open(str(lora), "pt") as f:
        meta = f.metadata()
    assert meta["ss_network_dim"] == "4" and meta["ss_clip_skip"] == "2" and meta["ss_steps"] == "2"
    assert meta["ss_keep_tokens"] == "3" and meta["ss_num_train_images"] == "106"
    assert _lora_check(random_sd15, lora) == {"missing": [], "unet_patches": 192, "clip_patches": 72}
    log = train_host.log.read_text(errors="replace")
    assert "lora key not loaded" not in log


def test_cancelling_training_keeps_a_lora_and_the_same_prompt_resumes(train_host, random_sd15, demo_clip, tmp_path):
    """ComfyUI's cancel (POST /interrupt) during TrainLoRA: a usable <name>-stepN LoRA and a state
    are kept; queueing the same prompt again continues from step N to the end."""
    import re

    prompt = json.loads((REPO / "workflows" / "api" / "train_demo.json").read_text())
    prompt["14"]["inputs"]["ckpt_name"] = random_sd15.name
    prompt["15"]["inputs"].update(name="a2l_cancel", max_steps=8, resolution=256, rank=4, text_encoder_lr=0.0,
                                  warmup_steps=0)
    prompt["1"]["inputs"]["video"] = train_host.upload(demo_clip)["name"]
    _upload_references(train_host, prompt, tmp_path, {"A": "4", "B": "6"})
    prompt_id = train_host.queue(prompt)
    deadline = time.monotonic() + 1200
    while not re.search(r"TrainLoRA a2l_cancel: step [2-7]/8", train_host.log.read_text(errors="replace")):
        assert time.monotonic() < deadline, "training never reached step 2"
        time.sleep(0.5)
    assert train_host.post("/interrupt", {})[0] == 200
    stopped = train_host.wait(prompt_id, timeout=600)
    assert stopped["status"]["status_str"] == "error", stopped["status"]
    loras = train_host.base / "models" / "loras"
    kept = sorted(loras.glob("a2l_cancel-step*.safetensors"))
    assert kept and not (loras / "a2l_cancel.safetensors").exists(), list(loras.iterdir())
    done_at = int(kept[-1].stem.rsplit("step", 1)[1])
    assert 2 <= done_at < 8
    assert _lora_check(random_sd15, kept[-1])["missing"] == []
    state = train_host.base / "output" / "anim2lora" / "train_state" / "a2l_cancel"
    assert (state / "state.json").is_file()

    resumed = train_host.wait(train_host.queue(prompt), timeout=1200)
    assert resumed["status"]["status_str"] == "success", resumed["status"]
    report = resumed["outputs"]["15"]["a2l_report"][0]
    assert report.startswith("TrainLoRA: 8/8 steps") and f"resumed a stopped run at step {done_at}" in report, report
    assert len(resumed["outputs"]["15"]["a2l_losses"]) == 8
    assert (loras / "a2l_cancel.safetensors").is_file() and not state.exists()


def test_line_art_sampler_draws_with_the_hosts_sampler_and_a_listed_lora(train_host, random_sd15):
    """workflows/api/sample_demo.json on the random SD1.5 checkpoint, with a LoRA picked from the
    loras list: 2 steps at 64x64, batch 2, the host's own sampler in-process; both previews show
    two pictures, the cleaned ones binarised, and every LoRA key is patched."""
    import cv2

    _full_kohya_lora(train_host.base / "models" / "loras" / "a2l_sampler.safetensors")
    info = train_host.get("/object_info/LineArtSampler")["LineArtSampler"]
    required = info["input"]["required"]
    assert "a2l_sampler.safetensors" in required["lora_name"][0]
    assert "dpmpp_2m_sde_gpu" in required["sampler_name"][0]          # the host's list, not the fallback
    prompt = json.loads((REPO / "workflows" / "api" / "sample_demo.json").read_text())
    prompt["1"]["inputs"]["ckpt_name"] = random_sd15.name
    prompt["2"]["inputs"].update(steps=2, width=64, height=64, batch_size=2, characters="A+B", binarise=True,
                                 lora_name="a2l_sampler.safetensors", lora_strength=0.5)
    result = train_host.wait(train_host.queue(prompt), timeout=900)
    assert result["status"]["status_str"] == "success", result["status"]
    cleaned, raw = result["outputs"]["3"]["images"], result["outputs"]["4"]["images"]
    assert len(cleaned) == 2 and len(raw) == 2
    for image in cleaned:
        picture = cv2.imread(str(train_host.base / image["type"] / image["subfolder"] / image["filename"]))
        assert picture.shape == (64, 64, 3) and set(map(int, set(picture.ravel()))) <= {0, 255}
    assert "lora key not loaded" not in train_host.log.read_text(errors="replace")


def test_line_art_verdict_judges_the_samplers_pictures_in_the_same_prompt(train_host, random_sd15, tmp_path):
    """workflows/api/verdict_demo.json: Line Art Sampler's pictures, two Character Reference
    nodes and Line Art Verdict in one prompt; the verdict's report, JSON and grid come back."""
    prompt = json.loads((REPO / "workflows" / "api" / "verdict_demo.json").read_text())
    prompt["1"]["inputs"]["ckpt_name"] = random_sd15.name
    prompt["2"]["inputs"].update(steps=2, width=64, height=64, batch_size=2, characters="A+B")
    prompt["9"]["inputs"].update(ask="A+B")
    _upload_references(train_host, prompt, tmp_path, {"A": "5", "B": "7"})
    result = train_host.wait(train_host.queue(prompt), timeout=900)
    assert result["status"]["status_str"] == "success", result["status"]
    report = result["outputs"]["9"]["a2l_report"][0]
    assert "#1" in report and "#2" in report and "ghost text" in report.lower(), report
    assert len(result["outputs"]["10"]["images"]) == 1, "one annotated grid"


def test_the_queue_client_uploads_sets_and_reports(host, demo_clip):
    """python -m anim2lora.queue as a user runs it: the shipped extract prompt, the demo clip
    uploaded through the client, max_frames overridden and checked against the host's
    definition, progress followed over the websocket, the report printed."""
    import sys

    run = subprocess.run([sys.executable, "-m", "anim2lora.queue", str(REPO / "workflows" / "api" / "extract_demo.json"),
                          "--server", host.url, "--video", str(demo_clip), "--set", "VideoFrameExtract.max_frames=20"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "== #1 Video Frame Extract (Anim2LoRA) ==" in run.stdout, run.stdout
    assert "6 shots; kept 20" in run.stdout, run.stdout
    assert "image from #2: " in run.stdout and "polling" not in run.stderr, run.stderr
    assert "#1 Video Frame Extract (Anim2LoRA)" in run.stderr, "progress names the running node"

    refused = subprocess.run([sys.executable, "-m", "anim2lora.queue", str(REPO / "workflows" / "api" / "extract_demo.json"),
                              "--server", host.url, "--set", "VideoFrameExtract.sampling=every_other"],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "unique_drawings, every_nth, target_fps" in refused.stderr, refused.stderr
