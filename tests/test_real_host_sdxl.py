"""TrainLoRA on a full-size SDXL checkpoint inside a real ComfyUI: the shipped v2_clean_sdxl
prompt's data half (on 30 frames) and training, on a checkpoint of random weights made from
ComfyUI's own classes (../shared/tools/make_random_sdxl.py, 6.9 GB), both text encoders trained
for 2 steps at 512 px; the file loads through LoraLoader's path with every key patched.

Runs when COMFYUI_DIR and COMFY_VENV are set (like the other real-host tests) and RANDOM_SDXL
names the checkpoint; skipped otherwise.  The host runs on the CPU with ``--bf16-unet``, so the
2.6-billion-parameter UNet and the trainer's private copy of it take 10 GB, not 20.
"""

import json
import os
import time
from pathlib import Path

import pytest

from comfyhost import Host, needs_host
from conftest import REPO
from test_real_host import _lora_check, _upload_references

pytestmark = [needs_host, pytest.mark.skipif(not os.environ.get("RANDOM_SDXL"),
                                             reason="set RANDOM_SDXL to a single-file SDXL checkpoint")]
FLAGS = "--bf16-unet"
KOHYA_NAMES = Path(__file__).parent / "data" / "kohya_sdxl_lora_names.json"


def _peak_rss_gib(pid: str) -> float:
    """The host process's peak resident memory so far (VmHWM), in GiB; 0 where /proc has none."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 2 ** 20


def _train_in_host(tmp_path_factory, demo_clip, tmp_path, checkpoint: Path):
    """v2_clean_sdxl's nodes up to TrainLoRA and its loss preview, queued on a host with the
    checkpoint in models/checkpoints; the host is stopped before this returns, so the LoRA
    check's own ComfyUI never shares the memory with it."""
    host = Host(tmp_path_factory.mktemp("comfy-sdxl"))
    host.env.update(COMFY_CHECKPOINTS=str(checkpoint), COMFY_EXTRA_ARGS=FLAGS)
    started = host.tool("start")
    assert started.returncode == 0, started.stderr
    pid = started.stdout.strip().splitlines()[-1]
    try:
        shipped = json.loads((REPO / "workflows" / "api" / "v2_clean_sdxl.json").read_text())
        # no sampling (1024 px on a CPU): the data and training nodes, PairCompose and its preview included
        prompt = {k: v for k, v in shipped.items() if int(k) <= 14 or v["class_type"] == "PairCompose"
                  or v["_meta"]["title"] == "Composed pairs"}
        prompt["1"]["inputs"]["max_frames"] = 30      # fewer pictures for SDXL's VAE to encode on a CPU
        prompt["12"]["inputs"]["ckpt_name"] = checkpoint.name
        prompt["13"]["inputs"].update(name="a2l_sdxl", max_steps=2, resolution=512, rank=4, alpha=2.0,
                                      warmup_steps=0, batch_size=1, text_encoder_lr=5e-5)
        prompt["1"]["inputs"]["video"] = host.upload(demo_clip)["name"]
        _upload_references(host, prompt, tmp_path, {"A": "4", "B": "6"})
        started_at = time.monotonic()
        result = host.wait(host.queue(prompt), timeout=3600)
        print(f"SDXL prompt: {time.monotonic() - started_at:.0f} s, host peak RSS {_peak_rss_gib(pid):.1f} GiB")
        return host, result
    finally:
        host.tool("stop")


def test_train_lora_trains_sdxl_in_the_host_and_its_file_loads_with_no_key_left_over(tmp_path_factory, demo_clip,
                                                                                      tmp_path):
    from safetensors import safe_open

    checkpoint = Path(os.environ["RANDOM_SDXL"])
    host, result = _train_in_host(tmp_path_factory, demo_clip, tmp_path, checkpoint)
    assert result["status"]["status_str"] == "success", result["status"]
    report = result["outputs"]["13"]["a2l_report"][0]
    print(report)
    assert report.startswith("TrainLoRA: 2/2 steps"), report
    assert "UNet 722, text encoder 264" in report and "SDXL, clip skip fixed (penultimate)" in report, report
    assert "resolution 512" in report, report
    losses = result["outputs"]["13"]["a2l_losses"]
    assert len(losses) == 2 and all(loss == loss for loss in losses), losses
    assert result["outputs"]["14"]["images"], "the loss curve is shown"
    log = host.log.read_text(errors="replace")
    assert "lora key not loaded" not in log        # TrainLoRA applied its file to the MODEL and CLIP it returns

    lora = host.base / "models" / "loras" / "a2l_sdxl.safetensors"
    with safe_open(str(lora), "pt") as f:
        keys, meta = set(f.keys()), f.metadata()
    modules = {k.rsplit(".", 2)[0] if k.endswith(".weight") else k.rsplit(".", 1)[0] for k in keys}
    assert modules == set(json.loads(KOHYA_NAMES.read_text())), "the module set kohya's own code creates"
    assert len(keys) == 3 * len(modules)
    assert meta["ss_base_model_version"] == "sdxl_base_v1-0" and meta["ss_clip_skip"] == "None"
    assert meta["modelspec.architecture"] == "stable-diffusion-xl-v1-base/lora"
    assert meta["ss_network_train_unet_only"] == "False" and meta["ss_steps"] == "2"
    assert meta["ss_resolution"] == "(512, 512)" and meta["ss_network_dim"] == "4"
    assert _lora_check(checkpoint, lora, FLAGS) == {"missing": [], "unet_patches": 722, "clip_patches": 264}
