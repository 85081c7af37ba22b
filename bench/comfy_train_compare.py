"""Run inside ComfyUI's own Python (by bench/train.py): time ComfyUI's built-in TrainLoraNode and
Anim2LoRA's trainer over ComfyBackend on the same checkpoint, pictures, resolution and rank, in one
process on the CPU, and print the figures as one JSON line.

    COMFYUI_DIR=… $COMFY_VENV/bin/python bench/comfy_train_compare.py CHECKPOINT
        [--steps 3] [--rank 4] [--resolution 256] [--pictures 4] [--dtype default|fp32|bf16]
        [--bf16-unet] [--work DIR]

The checkpoint's family (SD1.5 or SDXL) is ComfyUI's own guess; both trainers take it as loaded.
--bf16-unet starts ComfyUI with that flag (the host then keeps the UNet in bf16: a full-size SDXL
UNet and each trainer's private copy of it take 5 GB each on the CPU instead of 10).  --ours-first
trains ours first and lets the CLIP and VAE go before the built-in runs.  Each trainer's figures
go to stderr as a ``DONE <trainer> {json}`` line as soon as it finishes.

Both train the UNet only (the built-in cannot train the text encoder; ours with text_encoder_lr 0)
with gradient checkpointing on (the built-in's default), batch 1, AdamW, on drawn pictures of
--resolution px (tests/trainkit.py).  The built-in gets what its graph would feed it: VAEEncode latents and one
CLIPTextEncode conditioning per picture, and runs as the host runs nodes, under inference_mode.
Each trainer runs 1 + --steps steps; the first (warm-up) is not timed, nor is loading or setup.
--dtype default keeps each trainer's own default (built-in: bf16 compute and LoRA; ours: auto =
float32 on the CPU); fp32 or bf16 sets both.  The built-in adapts every Linear and Conv weight and
every bias and norm of the UNet; ours kohya's attention-block modules (192 on SD1.5, 722 on SDXL):
the ratio compares what a user of each gets.
"""

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("checkpoint")
ap.add_argument("--steps", type=int, default=3, help="timed steps of each trainer (after one warm-up step)")
ap.add_argument("--rank", type=int, default=4)
ap.add_argument("--resolution", type=int, default=256)
ap.add_argument("--pictures", type=int, default=4)
ap.add_argument("--dtype", choices=("default", "fp32", "bf16"), default="default")
ap.add_argument("--bf16-unet", action="store_true", help="start ComfyUI with --bf16-unet (a UNet in bf16)")
ap.add_argument("--ours-first", action="store_true",
                help="train ours first, then drop the CLIP and VAE before the built-in (which needs neither)")
ap.add_argument("--work", default=None)
args = ap.parse_args()
HOST_FLAGS = ["--cpu"] + (["--bf16-unet"] if args.bf16_unet else [])

sys.path.insert(0, os.environ["COMFYUI_DIR"])
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.argv = [sys.argv[0], *HOST_FLAGS]      # ComfyUI reads its flags at import when told to: run on the CPU
import comfy.options  # noqa: E402

comfy.options.enable_args_parsing()
import numpy as np  # noqa: E402
import torch  # noqa: E402

import comfy.model_management as mm  # noqa: E402
import comfy.sd  # noqa: E402
import comfy.utils  # noqa: E402
import comfy_extras.nodes_train as nodes_train  # noqa: E402


class RssWatch:
    """The peak resident memory of this process within each phase (sampled every 50 ms)."""

    def __init__(self):
        self.peak, self._stop = 0, False
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def now_mb() -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _run(self):
        while not self._stop:
            self.peak = max(self.peak, self.now_mb())
            time.sleep(0.05)

    def phase(self) -> None:
        self.peak = self.now_mb()

    def result(self) -> float:
        return max(self.peak, self.now_mb())


def step_times(stamps):
    """Wall and CPU seconds per step from (wall, cpu) stamps at each step's start plus one at the end;
    the first step (warm-up) left out."""
    steps = list(zip(stamps, stamps[1:]))
    wall = [b[0] - a[0] for a, b in steps]
    cpu = [b[1] - a[1] for a, b in steps]
    return {"warmup_seconds": wall[0], "step_seconds": wall[1:], "cpu_seconds": cpu[1:],
            "s_per_step": float(np.median(wall[1:])), "cpu_s_per_step": float(np.median(cpu[1:]))}


def stamp():
    return time.perf_counter(), time.process_time()


def builtin(model, samples, conds, watch: RssWatch) -> dict:
    """ComfyUI's TrainLoraNode, called as the executor calls a V3 node (inputs as lists: the node
    is is_input_list), under inference_mode as the host runs every node."""
    from comfy.weight_adapter import adapter_maps

    training_dtype, lora_dtype = {"default": ("bf16", "bf16"), "fp32": ("fp32", "fp32"),
                                  "bf16": ("bf16", "bf16")}[args.dtype]
    stamps = []
    cls = nodes_train.TrainSampler
    step_fn, sample_fn = cls._train_step_standard_mode, cls.sample

    def timed_step(self, *a, **k):
        stamps.append(stamp())
        return step_fn(self, *a, **k)

    def timed_sample(self, *a, **k):
        out = sample_fn(self, *a, **k)
        stamps.append(stamp())
        return out

    cls._train_step_standard_mode, cls.sample = timed_step, timed_sample
    watch.phase()
    started = time.perf_counter()
    try:
        with torch.inference_mode():
            out = nodes_train.TrainLoraNode.execute(
                model=[model], latents=[{"samples": samples}], positive=conds, batch_size=[1],
                steps=[1 + args.steps], grad_accumulation_steps=[1], learning_rate=[5e-4], rank=[args.rank],
                optimizer=["AdamW"], loss_function=["MSE"], seed=[0], training_dtype=[training_dtype],
                lora_dtype=[lora_dtype], quantized_backward=[False], algorithm=[list(adapter_maps)[0]],
                gradient_checkpointing=[True], checkpoint_depth=[1], offloading=[False], existing_lora=["[None]"],
                bucket_mode=[False], bypass_mode=[False])
    finally:
        cls._train_step_standard_mode, cls.sample = step_fn, sample_fn
    lora = out.args[0] if hasattr(out, "args") else out[0]
    modules = len({k.rsplit(".", 1)[0] for k in lora if not k.endswith((".diff", ".diff_b"))})
    return {**step_times(stamps), "setup_seconds": stamps[0][0] - started, "peak_rss_mb": watch.result(),
            "notes": f"{modules} weights with LoRA (+{sum(k.endswith(('.diff', '.diff_b')) for k in lora)} "
                     f"bias/norm diffs), compute {training_dtype}, LoRA {lora_dtype}"}


def host_memory():
    """The bridge's own, from the pack loaded as ComfyUI loads it (folder_paths is importable here)."""
    from packload import load_pack

    return sys.modules[load_pack().__name__ + ".nodes.bridge"].host_memory()


def ours(model, clip, vae, dataset, work: Path, watch: RssWatch) -> dict:
    from anim2lora.train.comfy_backend import ComfyBackend, module_identity
    from anim2lora.train.loop import train
    from anim2lora.train.settings import TrainSettings

    precision = {"default": "auto", "fp32": "no", "bf16": "bf16"}[args.dtype]
    settings = TrainSettings(rank=args.rank, alpha=1.0, unet_lr=5e-4, text_encoder_lr=0.0, epochs=1000,
                             max_steps=1 + args.steps, batch_size=1, resolution=args.resolution,
                             gradient_checkpointing=True, mixed_precision=precision, cache_latents="memory")
    backend = ComfyBackend(model, clip, vae, host_memory(), train_text_encoder=False,
                           identity=module_identity(getattr(vae, "first_stage_model", None)))
    stamps = []
    begin = backend.begin

    def timed_begin(*a, **k):           # the models are loaded and the pictures encoded: step 1 starts
        out = begin(*a, **k)
        stamps.append(stamp())
        return out

    backend.begin = timed_begin
    watch.phase()
    started = time.perf_counter()
    with torch.inference_mode():                # as the host runs the node
        with torch.inference_mode(False):       # as our node runs the trainer
            result = train(backend, dataset, settings, work / "ours.safetensors",
                           on_event=lambda e: stamps.append(stamp()) if "loss" in e else None)
    return {**step_times(stamps), "setup_seconds": stamps[0][0] - started, "peak_rss_mb": watch.result(),
            "notes": f"{result.modules['unet']} weights with LoRA, compute {result.precision}, LoRA float32; "
                     f"{result.latents_encoded} pictures encoded"}


def main():
    from anim2lora.train.data import items_of, load_pixels
    from trainkit import drawn_dataset

    work = Path(args.work or tempfile.mkdtemp(prefix="a2l-bench-comfy-"))
    work.mkdir(parents=True, exist_ok=True)
    watch = RssWatch()
    started = time.perf_counter()
    model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(args.checkpoint, output_vae=True,
                                                                output_clipvision=False)
    loaded = {"load_seconds": time.perf_counter() - started, "rss_mb": RssWatch.now_mb(),
              "unet_dtype": str(model.model.get_dtype()), "family": type(model.model.model_config).__name__}
    print(f"loaded {args.checkpoint} in {loaded['load_seconds']:.1f} s", file=sys.stderr, flush=True)
    half = args.pictures // 2
    dataset = drawn_dataset(Path(tempfile.mkdtemp(prefix="data-", dir=work)),
                            sizes=((args.resolution, args.resolution),) * half, repeats=(1, 1))
    items = items_of(dataset, args.resolution)
    with torch.inference_mode():                # what VAEEncode and CLIPTextEncode give the built-in
        images = [torch.from_numpy((load_pixels(i).transpose(1, 2, 0) + 1) / 2)[None] for i in items]
        samples = torch.cat([vae.encode(image[:, :, :, :3]) for image in images])
        conds = [clip.encode_from_tokens_scheduled(clip.tokenize(i.caption)) for i in items]
    results = {}

    def run_builtin():
        print("built-in TrainLoraNode ...", file=sys.stderr, flush=True)
        results["builtin"] = builtin(model, samples, conds, watch)

    def run_ours():
        print("Anim2LoRA train ...", file=sys.stderr, flush=True)
        results["ours"] = ours(model, clip, vae, dataset, work, watch)

    for name, run in ((("ours", run_ours), ("builtin", run_builtin)) if args.ours_first else
                      (("builtin", run_builtin), ("ours", run_ours))):
        run()
        # each trainer's figures as soon as it is done: they outlive a later trainer killed for memory
        print(f"DONE {name} {json.dumps(results[name])}", file=sys.stderr, flush=True)
        if name == "ours" and args.ours_first:
            del clip, vae                       # the built-in needs neither (its latents and conditioning are made)
        mm.unload_all_models()
        gc.collect()                            # the trainer's private UNet copy goes before the next is made
        mm.soft_empty_cache()
    b, o = results["builtin"], results["ours"]
    print(json.dumps({"checkpoint": args.checkpoint, "resolution": args.resolution, "rank": args.rank,
                      "steps": args.steps, "pictures": len(items), "dtype": args.dtype, "host_flags": HOST_FLAGS,
                      "loaded": loaded,
                      "builtin": b, "ours": o,
                      "ratio": {"wall": o["s_per_step"] / b["s_per_step"],
                                "cpu": o["cpu_s_per_step"] / b["cpu_s_per_step"]},
                      "process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
