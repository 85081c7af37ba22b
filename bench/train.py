"""Training benchmark: what our trainer's own machinery costs per step, what the latent cache saves,
how much memory a run holds, and how it compares with ComfyUI's built-in trainer.

    python bench/train.py [--steps 20] [--warmup 2] [--families sd15,sdxl] [--checkpointing]
                          [--skip-comfy] [--comfy-steps 3] [--checkpoint CKPT] [--json]

Part 1, on a small random SD1.5-shaped model (UNet 64/128 channels with cross-attention in every
block, a small VAE and a 4-layer CLIP with the real tokenizer) and 128 px drawn pictures, fp32 on
the CPU, text encoder frozen, each phase in a subprocess of its own (for its own peak RSS), the
phases alternated over two rounds (--rounds) to spread machine noise.  The same phases run on a
small random SDXL-shaped model (suffix _xl: no attention at the first level, two transformer
layers at the second, ``text_time`` size conditioning, CLIP-L and CLIP-G of the same small width
with their real tokenizers) beside them, and SDXL/SD1.5 is printed in the same run:

- baseline: the minimal diffusers + peft loop a competent engineer writes (peft's
  inject_adapter_in_model on the same modules as ours, AdamW, latents precomputed, the caption
  encoded under no_grad each step, DDPM noise and timesteps, MSE on epsilon);
- ours: anim2lora.train.loop.train with cache_latents="memory" (the same latents, computed once);
- ours, no cache: cache_latents="off" (the VAE encodes each step's pictures again);
- ours, fixed captions: shuffle_caption off, the frozen text encoder still run at every step
  (``train(cache_text=False)``), against ours, text cache: the same with each caption encoded once
  and looked up (kohya's cache_text_encoder_outputs; automatic when captions do not vary).

After 2 warm-up steps (ours encodes every picture before its first step when caching, as
kohya's cache_latents does; the warm-up drops that), prints each phase's s/step (wall and CPU time; the median of its
least disturbed round, as other load only adds time), ours/baseline (goal <= 1.10; the difference
is our per-step work: caption shuffling, seeded noise, min-SNR, the NaN checks, progress), the
cache's speed-up (off/memory; small here, where the VAE is small and the pictures 128 px), the
text cache's speed-up (fixed/text cache) and each phase's peak RSS (the ratios give it side by side;
on the CPU a released encoder stays in the same memory, so RSS barely moves: the device memory it
frees shows on a GPU).  --checkpointing adds the same pair with gradient checkpointing on both sides.

Part 2, when COMFYUI_DIR and COMFY_VENV are set (--skip-comfy skips it; --comfy-only runs it
alone): bench/comfy_train_compare.py runs in ComfyUI's own Python on the CPU and times, in one
process per checkpoint, ComfyUI's TrainLoraNode and our trainer over ComfyBackend, rank 4, UNet
only, gradient checkpointing on: s/step each (after a warm-up step), ours/built-in (goal <= 0.3)
and each trainer's peak RSS; --comfy-dtype picks the compute type.  --comfy-families picks the
checkpoints:
- sd15 (the default): a full-size SD1.5 checkpoint (--checkpoint, or A2L_SD15_CHECKPOINT, or
  RANDOM_SD15 (a random one made earlier), or one built with ../shared/tools/make_random_sd15.py)
  at 256 px, --comfy-steps timed steps.  The built-in took 9.9 s/step (bf16) and 21 s/step
  (float32) on the 2-core CI machine, so this takes ~5-8 minutes.
- sdxl: a full-size SDXL checkpoint (--sdxl-checkpoint, or A2L_SDXL_CHECKPOINT, or RANDOM_SDXL;
  ../shared/tools/make_random_sdxl.py makes one of random weights, 6.9 GB; skipped without one)
  at 512 px on 2 pictures, --comfy-sdxl-steps (1) timed steps, ComfyUI started with --bf16-unet,
  ours trained first and the CLIP and VAE let go before the built-in.  A step takes minutes on
  the CPU and the process needs well over 20 GB: see docs/benchmarks.md.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

SMALL_UNET = dict(sample_size=16, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(64, 128),
                  down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                  up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=64,
                  attention_head_dim=8, norm_num_groups=32)
SMALL_VAE = dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(16, 32, 64, 64),
                 down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                 layers_per_block=1, norm_num_groups=8, sample_size=128)
SMALL_CLIP = dict(vocab_size=49408, hidden_size=64, intermediate_size=256, num_hidden_layers=4, num_attention_heads=4,
                  max_position_embeddings=77, bos_token_id=49406, eos_token_id=49407, pad_token_id=49407)
# SDXL's shape at the same small width: CLIP-L ⊕ CLIP-G context (64 + 64), the pooled CLIP-G
# projection (64) and six sizes of 16 each in the added embedding
SMALL_SDXL_UNET = dict(SMALL_UNET, layers_per_block=2, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                       up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), transformer_layers_per_block=(1, 2),
                       cross_attention_dim=128, use_linear_projection=True, addition_embed_type="text_time",
                       addition_time_embed_dim=16, projection_class_embeddings_input_dim=6 * 16 + 64)
SMALL_CLIP_G = dict(SMALL_CLIP, hidden_act="gelu", projection_dim=64, pad_token_id=0)
PICTURE = (128, 128)
RANK, ALPHA, LR, BATCH = 8, 4.0, 1e-4, 1
RESOLUTION = 256            # the setting's minimum; 128 px pictures are never enlarged, so they train at 128 px


def small_models(seed: int = 0, xl: bool = False):
    """UNet, VAE, CLIP-L and (SDXL) CLIP-G, random."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    if xl:
        return (UNet2DConditionModel(**SMALL_SDXL_UNET), AutoencoderKL(**SMALL_VAE, scaling_factor=0.13025),
                CLIPTextModel(CLIPTextConfig(**SMALL_CLIP)),
                CLIPTextModelWithProjection(CLIPTextConfig(**SMALL_CLIP_G)))
    return (UNet2DConditionModel(**SMALL_UNET), AutoencoderKL(**SMALL_VAE), CLIPTextModel(CLIPTextConfig(**SMALL_CLIP)),
            None)


def small_dataset(root: Path):
    from trainkit import drawn_dataset

    return drawn_dataset(root, sizes=(PICTURE,) * 4, repeats=(1, 1))        # 8 pictures, one bucket


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024          # KiB on Linux


def step_times(stamps, skip: int) -> dict:
    """Wall and CPU seconds of each step from (wall, cpu) stamps at the end of each step, the first
    ``skip`` steps left out (the first stamp is before step 1; its setup is in step 1, never timed)."""
    steps = list(zip(stamps, stamps[1:]))[skip:]
    return {"step_seconds": [b[0] - a[0] for a, b in steps], "cpu_seconds": [b[1] - a[1] for a, b in steps]}


# -- the phases, each run in a subprocess of its own ----------------------------------------------------

def phase_baseline(steps: int, warmup: int, checkpointing: bool, work: Path, xl: bool = False) -> dict:
    """The hand-written loop (SDXL: both encoders' penultimate states, CLIP-G's pooled projection
    and each picture's sizes, as diffusers' SDXL LoRA example conditions)."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from diffusers import DDPMScheduler
    from peft import LoraConfig, inject_adapter_in_model

    from anim2lora.train.data import items_of, load_pixels
    from anim2lora.train.sd15 import clip_tokenizer
    from anim2lora.train.sdxl import clip_g_tokenizer
    from anim2lora.train.targets import module_paths, unet_targets

    unet, vae, te, te2 = small_models(xl=xl)
    tok, tok2 = clip_tokenizer(), clip_g_tokenizer()
    items = items_of(small_dataset(work), RESOLUTION)
    with torch.no_grad():
        latents = [vae.encode(torch.from_numpy(np.ascontiguousarray(load_pixels(i)))[None]).latent_dist.mean
                   * vae.config.scaling_factor for i in items]
    captions = [i.caption for i in items]
    for model in (unet, te, vae, *([te2] if xl else [])):
        model.requires_grad_(False)
    targets = sorted(set(module_paths(unet_targets(unet), unet).values()))
    inject_adapter_in_model(LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0, target_modules=targets), unet)
    params = [p for n, p in unet.named_parameters() if "lora_" in n]
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                              beta_schedule="scaled_linear")
    unet.train()
    if checkpointing:
        unet.enable_gradient_checkpointing()
    g = torch.Generator().manual_seed(0)
    stamps = [(time.perf_counter(), time.process_time())]
    for _ in range(warmup + steps):
        pick = torch.randint(len(items), (BATCH,), generator=g).tolist()
        lat = torch.cat([latents[i] for i in pick])
        text = [captions[i] for i in pick]
        ids = tok(text, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
        with torch.no_grad():
            if xl:
                ids2 = tok2(text, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
                out2 = te2(ids2, output_hidden_states=True)
                cond = torch.cat([te(ids, output_hidden_states=True).hidden_states[-2], out2.hidden_states[-2]], -1)
                h, w = lat.shape[-2] * 8, lat.shape[-1] * 8
                added = {"text_embeds": out2.text_embeds, "time_ids": torch.tensor([[h, w, 0, 0, h, w]] * BATCH,
                                                                                   dtype=torch.float32)}
            else:
                cond, added = te(ids)[0], None
        noise = torch.randn(lat.shape, generator=g)
        t = torch.randint(0, 1000, (BATCH,), generator=g)
        pred = unet(scheduler.add_noise(lat, noise, t), t, encoder_hidden_states=cond, added_cond_kwargs=added).sample
        loss = F.mse_loss(pred, noise)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        stamps.append((time.perf_counter(), time.process_time()))
    return {**step_times(stamps, warmup), "modules": len(targets), "peak_rss_mb": peak_rss_mb()}


def phase_ours(steps: int, warmup: int, checkpointing: bool, work: Path, cache: str, xl: bool = False,
               captions: str = "shuffled") -> dict:
    """Our trainer on the same models, pictures and settings.  ``captions``: "shuffled" (the
    default settings: each step's caption differs, the encoder runs every step), "fixed"
    (shuffle off, the encoder still run every step) or "cached" (shuffle off, encoded once)."""
    from anim2lora.train.backend import DiffusersBackend
    from anim2lora.train.loop import train
    from anim2lora.train.sd15 import clip_tokenizer
    from anim2lora.train.sdxl import SdxlDiffusersBackend
    from anim2lora.train.settings import TrainSettings

    unet, vae, te, te2 = small_models(xl=xl)
    backend = (SdxlDiffusersBackend(unet, vae, te, te2, identity="bench-small-xl") if xl else
               DiffusersBackend(unet, vae, te, clip_tokenizer(), identity="bench-small"))
    dataset = small_dataset(work)
    # the first interval also holds the up-front latent encoding (cache on): the warm-up drops it
    settings = TrainSettings(rank=RANK, alpha=ALPHA, unet_lr=LR, text_encoder_lr=0.0, epochs=1000,
                             max_steps=warmup + steps, batch_size=BATCH, resolution=RESOLUTION, cache_latents=cache,
                             gradient_checkpointing=checkpointing, mixed_precision="no",
                             shuffle_caption=captions == "shuffled")
    stamps = [(time.perf_counter(), time.process_time())]        # then one at the end of each step

    def on_event(event):
        if "loss" in event:
            stamps.append((time.perf_counter(), time.process_time()))

    result = train(backend, dataset, settings, work / "lora.safetensors", on_event=on_event,
                   cache_text=captions == "cached")
    return {**step_times(stamps, warmup), "modules": result.modules["unet"], "steps": result.steps,
            "warmup": warmup, "latents_encoded": result.latents_encoded, "captions_cached": result.captions_cached,
            "peak_rss_mb": peak_rss_mb()}


def run_phase(name: str, args) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--steps", str(args.steps), "--warmup", str(args.warmup)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"phase {name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- part 2: ComfyUI's built-in trainer ----------------------------------------------------------------

# per family: the checkpoint's setting, resolution, pictures and ComfyUI flags.  SDXL: 512 px (its
# 1024 px buckets take four times as long per step), 2 pictures (each costs the SDXL VAE twice on
# the CPU), the UNet kept in bf16 by the host (--bf16-unet; in fp32 the UNet and each trainer's copy
# of it would take 20 GB)
COMFY_FAMILIES = {
    "sd15": {"label": "SD1.5", "env": ("A2L_SD15_CHECKPOINT", "RANDOM_SD15"), "resolution": 256, "pictures": 4,
             "flags": []},
    "sdxl": {"label": "SDXL", "env": ("A2L_SDXL_CHECKPOINT", "RANDOM_SDXL"), "resolution": 512, "pictures": 2,
             "flags": ["--bf16-unet", "--ours-first"]},
}


def find_checkpoint(family: str, args, work: Path):
    """The full-size checkpoint of ``family`` to train on; None where there is none (SDXL: one
    must be named, 6.9 GB; SD1.5: one is built)."""
    named = args.checkpoint if family == "sd15" else args.sdxl_checkpoint
    if named:
        return Path(named)
    for var in COMFY_FAMILIES[family]["env"]:
        if os.environ.get(var):
            return Path(os.environ[var])
    if family == "sdxl":
        return None
    from packload import random_sd15

    print(f"building a random SD1.5 checkpoint in {work} (~2 min, 2 GB)", flush=True)
    return random_sd15(work / "random-sd15.safetensors")


def comfy_command(family: str, ckpt: Path, args, work: Path) -> list:
    """bench/comfy_train_compare.py's command line in ComfyUI's Python (its own options only: the
    ComfyUI flags are its --bf16-unet, which it passes to ComfyUI itself)."""
    spec = COMFY_FAMILIES[family]
    steps = args.comfy_steps if family == "sd15" else args.comfy_sdxl_steps
    return [str(Path(os.environ["COMFY_VENV"]) / "bin" / "python"), str(REPO / "bench" / "comfy_train_compare.py"),
            str(ckpt), "--steps", str(steps), "--dtype", args.comfy_dtype, "--resolution", str(spec["resolution"]),
            "--pictures", str(spec["pictures"]), "--work", str(work / f"comfy-{family}"), *spec["flags"]]


def run_comfy(family: str, args, work: Path) -> dict:
    ckpt = find_checkpoint(family, args, work)
    if ckpt is None:
        print(f"part 2, {family} skipped: name a full-size checkpoint with --sdxl-checkpoint or RANDOM_SDXL "
              "(../shared/tools/make_random_sdxl.py makes one of random weights)", flush=True)
        return {}
    cmd = comfy_command(family, ckpt, args, work)
    log = work / f"comfy_train_compare_{family}.log"
    print(f"ComfyUI comparison, {family}: {ckpt} (log: {log})\n  {' '.join(cmd)}", flush=True)
    with open(log, "w") as err:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ})
    if done.returncode:
        text = log.read_text()
        finished = [line for line in text.splitlines() if line.startswith("DONE ")]
        why = " (killed: most likely out of memory)" if done.returncode in (-9, 137) else ""
        raise SystemExit(f"comfy_train_compare.py failed (exit {done.returncode}){why}:\n{text[-4000:]}\n"
                         f"finished before that: {finished or 'none'}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "family": family}


# -- the report ---------------------------------------------------------------------------------------

def median(values) -> float:
    return statistics.median(values) if values else float("nan")


PHASES = ("baseline", "ours", "ours_nocache", "ours_fixed", "ours_textcache")
SUFFIX = {"sd15": "", "sdxl": "_xl"}


def run_named_phase(phase: str, args, work: Path) -> dict:
    """A phase by its name: <what>[_xl][_ckpt]."""
    ckpt = phase.endswith("_ckpt")
    name = phase[:-len("_ckpt")] if ckpt else phase
    xl = name.endswith("_xl")
    name = name[:-len("_xl")] if xl else name
    if name == "baseline":
        return phase_baseline(args.steps, args.warmup, ckpt, work, xl)
    cache = "off" if name == "ours_nocache" else "memory"
    captions = {"ours_fixed": "fixed", "ours_textcache": "cached"}.get(name, "shuffled")
    return phase_ours(args.steps, args.warmup, ckpt, work, cache, xl, captions)


def part1(args) -> dict:
    names = []
    for family in args.families.split(","):
        names += [p + SUFFIX[family] for p in PHASES]
        if args.checkpointing:
            names += [p + SUFFIX[family] + "_ckpt" for p in ("baseline", "ours")]
    runs = {n: [] for n in names}
    for r in range(args.rounds):          # rounds alternate the order, to spread the machine's noise
        for name in (names if r % 2 == 0 else names[::-1]):
            print(f"  round {r + 1}: {name} ...", flush=True)
            runs[name].append(run_phase(name, args))
    out = {}
    for name, results in runs.items():
        # the least disturbed round's median: other load on the machine only ever adds time
        out[name] = {"s_per_step": min(median(r["step_seconds"]) for r in results),
                     "cpu_s_per_step": min(median(r["cpu_seconds"]) for r in results),
                     "rounds": [median(r["step_seconds"]) for r in results],
                     "peak_rss_mb": max(r["peak_rss_mb"] for r in results), "modules": results[0]["modules"]}
    for key, (a, b) in RATIOS.items():
        if a in out and b in out:
            out[key] = {"wall": out[a]["s_per_step"] / out[b]["s_per_step"],
                        "cpu": out[a]["cpu_s_per_step"] / out[b]["cpu_s_per_step"],
                        "rss": out[a]["peak_rss_mb"] / out[b]["peak_rss_mb"]}
    return out


# key: (numerator phase, denominator phase, label)
RATIO_LABELS = {
    "ratio_ours_baseline": ("ours", "baseline", "ours / baseline (goal <= 1.10)"),
    "ratio_ours_baseline_ckpt": ("ours_ckpt", "baseline_ckpt", "ours / baseline, checkpointing on (goal <= 1.10)"),
    "cache_speedup": ("ours_nocache", "ours", "latent cache speed-up (cache off / memory)"),
    "text_cache_speedup": ("ours_fixed", "ours_textcache", "text cache speed-up (every step / cached)"),
    "ratio_ours_baseline_xl": ("ours_xl", "baseline_xl", "SDXL: ours / baseline (goal <= 1.10)"),
    "ratio_ours_baseline_xl_ckpt": ("ours_xl_ckpt", "baseline_xl_ckpt", "SDXL: ours / baseline, checkpointing on"),
    "cache_speedup_xl": ("ours_nocache_xl", "ours_xl", "SDXL: latent cache speed-up (off / memory)"),
    "text_cache_speedup_xl": ("ours_fixed_xl", "ours_textcache_xl", "SDXL: text cache speed-up (every step / cached)"),
    "sdxl_over_sd15": ("ours_xl", "ours", "SDXL-shaped / SD1.5-shaped, ours"),
    "sdxl_over_sd15_baseline": ("baseline_xl", "baseline", "SDXL-shaped / SD1.5-shaped, baseline"),
}
RATIOS = {key: (a, b) for key, (a, b, _) in RATIO_LABELS.items()}


def print_report(p1: dict, comfy: dict, args) -> None:
    if p1:
        print_part1(p1, args)
    for family, result in comfy.items():
        print_comfy(family, result)


def print_part1(p1: dict, args) -> None:
    print(f"\nsmall models (SD1.5-shaped; _xl: SDXL-shaped), {PICTURE[0]} px, rank {RANK}, batch {BATCH}, fp32, text encoder frozen, "
          f"{args.steps} timed steps x {args.rounds} rounds; s/step: the best round's median (CPU: process time)")
    print(f"{'phase':20} {'s/step':>8} {'CPU s/step':>10}  {'round medians':24} {'peak RSS MB':>11} {'modules':>7}")
    for name in [n for n in p1 if "s_per_step" in p1[n]]:
        r = p1[name]
        rounds = " ".join(f"{x:.3f}" for x in r["rounds"])
        print(f"{name:20} {r['s_per_step']:8.4f} {r['cpu_s_per_step']:10.4f}  {rounds:24} {r['peak_rss_mb']:11.0f} "
              f"{r['modules']:7d}")
    for key, (_, _, label) in RATIO_LABELS.items():
        if key in p1:
            print(f"{label:50} wall {p1[key]['wall']:.3f}   CPU {p1[key]['cpu']:.3f}   peak RSS {p1[key]['rss']:.3f}")


def print_comfy(family: str, comfy: dict) -> None:
    flags = " ".join(f for f in comfy.get("host_flags", []) if f != "--cpu") or "no flags"
    print(f"\nComfyUI on the CPU ({flags}), full-size {COMFY_FAMILIES[family]['label']} "
          f"({Path(comfy['checkpoint']).name}, UNet {comfy['loaded']['unet_dtype'].replace('torch.', '')}), "
          f"{comfy['resolution']} px, {comfy['pictures']} pictures, rank {comfy['rank']}, UNet only, gradient "
          f"checkpointing on, {comfy['steps']} timed steps after 1 warm-up step, dtype {comfy['dtype']}")
    print(f"{'trainer':10} {'s/step':>8} {'CPU s/step':>10}  {'steps (s)':24} {'peak RSS MB':>11} "
          f"{'setup s':>8}  notes")
    for name in ("builtin", "ours"):
        r = comfy[name]
        steps = " ".join(f"{x:.1f}" for x in r["step_seconds"])
        print(f"{name:10} {r['s_per_step']:8.2f} {r['cpu_s_per_step']:10.2f}  {steps:24} {r['peak_rss_mb']:11.0f} "
              f"{r['setup_seconds']:8.1f}  {r['notes']}")
    print(f"{'ours / built-in (goal <= 0.3)':50} wall {comfy['ratio']['wall']:.3f}   CPU {comfy['ratio']['cpu']:.3f}   "
          f"peak RSS {comfy['ours']['peak_rss_mb'] / comfy['builtin']['peak_rss_mb']:.3f}")
    print(f"ComfyUI process peak RSS: {comfy['process_peak_rss_mb']:.0f} MB")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20, help="timed steps per phase and round (part 1)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps before them")
    ap.add_argument("--rounds", type=int, default=2, help="alternated rounds of the part-1 phases")
    ap.add_argument("--families", default="sd15,sdxl", help="part 1's model shapes: sd15, sdxl or both")
    ap.add_argument("--checkpointing", action="store_true", help="also compare with gradient checkpointing on")
    ap.add_argument("--skip-comfy", action="store_true", help="skip the comparison with ComfyUI's TrainLoraNode")
    ap.add_argument("--comfy-steps", type=int, default=3, help="timed steps of each ComfyUI-side trainer")
    ap.add_argument("--comfy-dtype", choices=("default", "fp32", "bf16"), default="default",
                    help="default: each trainer's own (built-in bf16, ours float32 on the CPU); else both")
    ap.add_argument("--checkpoint", default=None, help="SD1.5 checkpoint for the ComfyUI comparison")
    ap.add_argument("--comfy-families", default="sd15",
                    help="part 2's checkpoints: sd15, sdxl or both (sdxl: a full-size SDXL, ~30 min and 18 GB)")
    ap.add_argument("--sdxl-checkpoint", default=None, help="SDXL checkpoint for the ComfyUI comparison "
                                                            "(else A2L_SDXL_CHECKPOINT or RANDOM_SDXL)")
    ap.add_argument("--comfy-sdxl-steps", type=int, default=1, help="timed steps of each trainer on SDXL")
    ap.add_argument("--comfy-only", action="store_true", help="part 2 alone (part 1 skipped)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:                  # one phase, in its own process
        work = Path(tempfile.mkdtemp(prefix=f"a2l-bench-train-{args.phase}-"))
        print(json.dumps(run_named_phase(args.phase, args, work)))
        return
    work = Path(tempfile.mkdtemp(prefix="a2l-bench-train-"))
    p1 = {}
    if not args.comfy_only:
        print("part 1: our trainer against a hand-written diffusers + peft loop", flush=True)
        p1 = part1(args)
    comfy = {}
    if args.skip_comfy:
        pass
    elif os.environ.get("COMFYUI_DIR") and os.environ.get("COMFY_VENV"):
        print("part 2: our trainer against ComfyUI's TrainLoraNode", flush=True)
        for family in args.comfy_families.split(","):
            result = run_comfy(family, args, work)
            if result:
                comfy[family] = result
    else:
        print("part 2 skipped: set COMFYUI_DIR and COMFY_VENV to compare with ComfyUI's TrainLoraNode")
    if args.json:
        print(json.dumps({"part1": p1, "comfy": comfy}, indent=2))
    else:
        print_report(p1, comfy, args)


if __name__ == "__main__":
    main()
