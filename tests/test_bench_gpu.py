"""bench/gpu.sh's CPU smoke mode: the GPU benchmark script runs end to end on tiny models of the
same shapes and writes its table and results (the figures themselves come from a GPU run)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("diffusers")
pytest.importorskip("peft")

REPO = Path(__file__).resolve().parent.parent


def test_gpu_bench_smoke_mode_runs_both_trainers_on_both_families(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(tmp_path)}
    run = subprocess.run(["bash", str(REPO / "bench" / "gpu.sh"), "--smoke"], env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads((tmp_path / "gpu.json").read_text())
    assert result["smoke"] and result["device"].startswith("CPU")
    rows = {(r["family"], r["batch"], r["trainer"]): r for r in result["rows"]}
    assert set(rows) == {(f, b, t) for f in ("sd15", "sdxl") for b in (1, 2) for t in ("TrainLoRA", "diffusers+peft")}
    for key, row in rows.items():
        assert row["s_per_step"] > 0 and row["steps"] == 2, key
    # both sides adapt the same UNet modules
    for f in ("sd15", "sdxl"):
        assert rows[(f, 1, "TrainLoRA")]["modules"] == rows[(f, 1, "diffusers+peft")]["modules"] > 0
    assert "| sdxl | 64 | 2 |" in run.stdout and "TrainLoRA s/step" in result["table"]
