#!/usr/bin/env bash
# GPU training benchmark: SD1.5 at 512 px and SDXL at 1024 px on random full-size models (built
# from the configs the pack ships, no checkpoint, no network), bf16, batch 1 and 4: TrainLoRA's
# diffusers backend and a minimal diffusers+peft loop, s/step and peak VRAM side by side.
#
#   bash bench/gpu.sh            # on a CUDA machine; ~3-5 min on an H200, <= 8 min
#   bash bench/gpu.sh --smoke    # tiny models on the CPU, seconds (CI: tests/test_bench_gpu.py)
#   extra options go to bench/gpu_bench.py (--steps, --warmup, --families, --batches, --dtype,
#   --no-checkpointing, --json)
#
# Needs, in the Python it runs ($PYTHON, else python3): torch (CUDA build), diffusers, transformers,
# peft, safetensors, numpy, opencv-python-headless (the trainer reads the drawn pictures with cv2),
# plus this repository (run from anywhere: it cds to the repo root).  Nothing else: no ComfyUI, no
# Hugging Face access.  With OUT set, the results also go to $OUT/gpu.json.
set -euo pipefail
export PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" -c "import torch, diffusers, transformers, peft, safetensors, numpy, cv2" || {
  echo "bench/gpu.sh: a package is missing (see the header for the list)" >&2; exit 2; }
exec "$PY" bench/gpu_bench.py "$@"
