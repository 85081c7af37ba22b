"""GPU training benchmark (run through bench/gpu.sh): SD1.5 at 512 px and SDXL at 1024 px on random
full-size models, bf16, batch 1 and 4, TrainLoRA's diffusers backend against the minimal
diffusers + peft loop a competent engineer writes, s/step and peak VRAM side by side.

The models are built here, randomly initialised on the device from the diffusers/transformers
configs the pack ships (anim2lora/train/sd15_config, sdxl_config): no checkpoint file, no network.
Both sides train the same UNet modules (kohya's attention targets) at the same rank, alpha and
learning rate, LoRA weights float32 under bf16 autocast, the UNet and text encoders in bf16, the
VAE in float32, latents encoded once before the first step, text encoders frozen, gradient
checkpointing on the UNet (as SDXL LoRAs are trained on consumer cards; --no-checkpointing turns it
off on both sides).  Each (family, batch) pair runs TrainLoRA then the baseline on the same models
(adapters removed in between); s/step is the median over the timed steps after the warm-up, peak
VRAM is torch.cuda.max_memory_allocated over the run (weights included).

--smoke: tiny models of the same shapes on the CPU, float32, a few steps: checks the script runs
(CI), the figures mean nothing.
"""

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

RANK, ALPHA, LR = 16, 8.0, 1e-4
RESOLUTION = {"sd15": 512, "sdxl": 1024}
SMOKE_RESOLUTION = 64


def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_reset(device):
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def _peak_mb(device) -> float:
    import torch

    return torch.cuda.max_memory_allocated(device) / 2 ** 20 if device.type == "cuda" else float("nan")


# --- the models --------------------------------------------------------------------------------

def full_models(family: str, device):
    """Random full-size models from the shipped configs, initialised on the device."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from anim2lora.train import sd15, sdxl

    folder = sd15.CONFIG_DIR if family == "sd15" else sdxl.CONFIG_DIR
    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(str(folder), subfolder="unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(str(folder), subfolder="vae"))
        te1 = CLIPTextModel(CLIPTextConfig.from_pretrained(str(sd15.CONFIG_DIR / "text_encoder")))
        te2 = (CLIPTextModelWithProjection(CLIPTextConfig.from_pretrained(str(sdxl.CONFIG_DIR / "text_encoder_2")))
               if family == "sdxl" else None)
    return unet, vae, te1, te2


def tiny_models(family: str, device):
    from trainkit import tiny_backend, tiny_sdxl_backend

    b = tiny_sdxl_backend() if family == "sdxl" else tiny_backend()
    return b.unet, b.vae, b.text_encoder, getattr(b, "text_encoder_2", None)


def backend_of(family: str, models, device):
    from anim2lora.train.backend import DiffusersBackend
    from anim2lora.train.sdxl import SdxlDiffusersBackend

    unet, vae, te1, te2 = models
    if family == "sdxl":
        return SdxlDiffusersBackend(unet, vae, te1, te2, device=device, identity="bench-sdxl")
    from anim2lora.train.sd15 import clip_tokenizer

    return DiffusersBackend(unet, vae, te1, clip_tokenizer(), device=device, identity="bench-sd15")


def dataset(root: Path, resolution: int, batch: int, steps: int):
    from trainkit import drawn_dataset

    repeats = max(1, math.ceil(steps * batch / 8))       # 8 pictures of one bucket: one epoch covers the steps
    return drawn_dataset(root, sizes=((resolution, resolution),) * 4, repeats=(repeats, repeats))


# --- TrainLoRA ---------------------------------------------------------------------------------

def run_trainlora(family, models, device, args, batch, work: Path) -> dict:
    import torch

    from anim2lora.train import adapters
    from anim2lora.train.loop import train
    from anim2lora.train.settings import TrainSettings

    resolution = SMOKE_RESOLUTION if args.smoke else RESOLUTION[family]
    total = args.warmup + args.steps
    data = dataset(work / f"d-{family}-{batch}", resolution, batch, total)
    backend = backend_of(family, models, device)
    stamps = []
    settings = TrainSettings(name=f"bench-{family}-{batch}", rank=RANK, alpha=ALPHA, unet_lr=LR, text_encoder_lr=0.0,
                             lr_scheduler="constant", warmup_steps=0, batch_size=batch, max_steps=total, epochs=1,
                             resolution=max(256, resolution), gradient_checkpointing=args.checkpointing,
                             mixed_precision=args.dtype, shuffle_caption=False, min_snr_gamma=0.0)
    _peak_reset(device)
    try:
        result = train(backend, data, settings, work / "loras" / f"{settings.name}.safetensors",
                       on_event=lambda e: "loss" in e and stamps.append(time.perf_counter()))
    finally:
        adapters.remove(backend.unet, backend.unet_targets())
        backend.end()
    return {"s_per_step": _per_step(stamps, args.warmup), "peak_vram_mb": _peak_mb(device),
            "steps": result.steps, "modules": result.modules["unet"], "precision": result.precision}


def _per_step(stamps, warmup: int) -> float:
    gaps = [b - a for a, b in zip(stamps[warmup:], stamps[warmup + 1:])]
    return statistics.median(gaps) if gaps else float("nan")


# --- the minimal diffusers + peft loop ----------------------------------------------------------

def run_baseline(family, models, device, args, batch, work: Path) -> dict:
    import numpy as np
    import torch
    from diffusers import DDPMScheduler
    from peft import LoraConfig, inject_adapter_in_model

    from anim2lora.train.data import items_of, load_pixels
    from anim2lora.train.sd15 import clip_tokenizer
    from anim2lora.train.sdxl import clip_g_tokenizer

    unet, vae, te1, te2 = models
    resolution = SMOKE_RESOLUTION if args.smoke else RESOLUTION[family]
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "no": torch.float32}[args.dtype]
    total = args.warmup + args.steps
    data = dataset(work / f"b-{family}-{batch}", resolution, batch, total)
    items = items_of(data, max(256, resolution))
    _peak_reset(device)
    vae.to(device, torch.float32).requires_grad_(False)
    scale = vae.config.scaling_factor
    with torch.no_grad():
        latents = [vae.encode(torch.from_numpy(np.ascontiguousarray(load_pixels(i)))[None].to(device))
                   .latent_dist.sample() * scale for i in items]
    for te in (te1, te2):
        if te is not None:
            te.to(device, dtype).requires_grad_(False)
    unet.to(device, dtype).requires_grad_(False).train()
    if args.checkpointing:
        unet.enable_gradient_checkpointing()
    targets = [n for n, m in unet.named_modules() if n.endswith(("to_q", "to_k", "to_v", "to_out.0", "proj_in",
                                                               "proj_out", "ff.net.0.proj", "ff.net.2"))
               and ".attentions." in n]
    inject_adapter_in_model(LoraConfig(r=RANK, lora_alpha=ALPHA, target_modules=targets), unet)
    params = [p for n, p in unet.named_parameters() if "lora_" in n]
    for p in params:
        p.data = p.data.float()
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(params, lr=LR)
    scheduler = DDPMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    tok1, tok2 = clip_tokenizer(), clip_g_tokenizer()
    stamps = []
    try:
        for step in range(total):
            batch_items = [items[(step * batch + k) % len(items)] for k in range(batch)]
            x0 = torch.cat([latents[i.index] for i in batch_items])
            captions = [i.caption for i in batch_items]
            with torch.no_grad():
                ids1 = tok1(captions, padding="max_length", max_length=77, truncation=True,
                            return_tensors="pt").input_ids.to(device)
                if te2 is None:
                    context, added = te1(ids1).last_hidden_state, None
                else:
                    ids2 = tok2(captions, padding="max_length", max_length=77, truncation=True,
                                return_tensors="pt").input_ids.to(device)
                    out2 = te2(ids2, output_hidden_states=True)
                    context = torch.cat([te1(ids1, output_hidden_states=True).hidden_states[-2],
                                         out2.hidden_states[-2]], dim=-1)
                    h, w = x0.shape[-2] * 8, x0.shape[-1] * 8
                    added = {"text_embeds": out2.text_embeds,
                             "time_ids": torch.tensor([[h, w, 0, 0, h, w]] * batch, device=device, dtype=dtype)}
            noise = torch.randn_like(x0)
            t = torch.randint(0, 1000, (batch,), device=device)
            noisy = scheduler.add_noise(x0, noise, t)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
                pred = unet(noisy.to(dtype), t, encoder_hidden_states=context, added_cond_kwargs=added).sample
            loss = torch.nn.functional.mse_loss(pred.float(), noise.float())
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            _sync(device)
            stamps.append(time.perf_counter())
    finally:
        from anim2lora.train.adapters import remove

        remove(unet, {n: n for n in targets})
        if args.checkpointing:
            unet.disable_gradient_checkpointing()
    return {"s_per_step": _per_step(stamps, args.warmup), "peak_vram_mb": _peak_mb(device), "steps": total,
            "modules": len(targets), "precision": str(dtype).replace("torch.", "")}


# --- the run -----------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny models on the CPU, a few steps (CI)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per run (default 10; smoke 2)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 3; smoke 0)")
    p.add_argument("--families", default="sd15,sdxl")
    p.add_argument("--batches", default=None, help="default 1,4; smoke 1,2")
    p.add_argument("--dtype", default=None, choices=("bf16", "fp16", "no"), help="default bf16; smoke: no")
    p.add_argument("--no-checkpointing", dest="checkpointing", action="store_false")
    p.add_argument("--json", default=None, help="write the results here (default: $OUT/gpu.json when OUT is set)")
    args = p.parse_args()
    args.steps = args.steps or (2 if args.smoke else 10)
    args.warmup = args.warmup if args.warmup is not None else (0 if args.smoke else 3)
    args.batches = args.batches or ("1,2" if args.smoke else "1,4")
    args.dtype = args.dtype or ("no" if args.smoke else "bf16")

    import torch

    device = torch.device("cpu" if args.smoke else "cuda")
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("bench/gpu.sh needs a CUDA device (--smoke runs tiny models on the CPU).")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (smoke: tiny models)"
    versions = {m: __import__(m).__version__ for m in ("torch", "diffusers", "transformers", "peft")}
    print(f"device: {name}; {versions}; dtype {args.dtype}; checkpointing {args.checkpointing}; "
          f"{args.warmup} warm-up + {args.steps} timed steps", flush=True)
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="a2l-gpu-bench-") as tmp:
        for family in args.families.split(","):
            t0 = time.perf_counter()
            models = (tiny_models if args.smoke else full_models)(family, device)
            print(f"{family}: random models built in {time.perf_counter() - t0:.1f} s", flush=True)
            for batch in (int(b) for b in args.batches.split(",")):
                for trainer, run in (("TrainLoRA", run_trainlora), ("diffusers+peft", run_baseline)):
                    t0 = time.perf_counter()
                    out = run(family, models, device, args, batch, Path(tmp))
                    row = {"family": family, "resolution": SMOKE_RESOLUTION if args.smoke else RESOLUTION[family],
                           "batch": batch, "trainer": trainer, **out, "wall_s": round(time.perf_counter() - t0, 1)}
                    rows.append(row)
                    print(f"  {family} batch {batch} {trainer}: {out['s_per_step']:.3f} s/step, peak "
                          f"{out['peak_vram_mb']:.0f} MiB ({row['wall_s']} s)", flush=True)
            del models
            _peak_reset(device)
    table = _table(rows)
    print("\n" + table)
    result = {"device": name, "versions": versions, "dtype": args.dtype, "checkpointing": args.checkpointing,
              "rank": RANK, "alpha": ALPHA, "warmup": args.warmup, "steps": args.steps, "smoke": args.smoke,
              "rows": rows, "seconds": round(time.perf_counter() - started, 1), "table": table}
    target = args.json or (str(Path(os.environ["OUT"]) / "gpu.json") if os.environ.get("OUT") else None)
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(f"results: {target}")


def _table(rows) -> str:
    lines = ["| family | px | batch | TrainLoRA s/step | diffusers+peft s/step | ratio | TrainLoRA peak MiB | "
             "diffusers+peft peak MiB |", "|---|---|---|---|---|---|---|---|"]
    keys = sorted({(r["family"], r["resolution"], r["batch"]) for r in rows}, key=lambda k: (k[0] != "sd15", k))
    for family, px, batch in keys:
        ours = next(r for r in rows if (r["family"], r["batch"], r["trainer"]) == (family, batch, "TrainLoRA"))
        base = next(r for r in rows if (r["family"], r["batch"], r["trainer"]) == (family, batch, "diffusers+peft"))
        ratio = ours["s_per_step"] / base["s_per_step"] if base["s_per_step"] else float("nan")
        lines.append(f"| {family} | {px} | {batch} | {ours['s_per_step']:.3f} | {base['s_per_step']:.3f} | "
                     f"{ratio:.2f} | {ours['peak_vram_mb']:.0f} | {base['peak_vram_mb']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
