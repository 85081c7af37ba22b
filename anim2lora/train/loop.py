"""The training loop: kohya's semantics over any ``Backend``.

Per step: a batch from one aspect bucket, its captions shuffled and dropped out afresh and
encoded with clip skip (through the text encoder's LoRA when it trains), noise and timesteps,
the UNet's prediction, min-SNR-weighted MSE, an optimizer step every ``gradient_accumulation``
batches.  Whatever stops the run (a cancel, a NaN, running out of memory) first saves a LoRA
that loads and a state that resumes to the same weights an unbroken run would have reached.
"""

import logging
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

from ..dataset.run import Dataset
from ..errors import CancelledError, TrainingError
from ..hashing import settings_digest
from ..progress import Progress
from ..sample.ddim import ddim_batch
from ..sample.prompts import group_prompts
from . import adapters
from .data import batches_per_epoch, epoch_batches, items_of, repeats_of, step_captions
from .family import zero_terminal_snr
from .latents import LatentCache
from .lora_file import existing_owner, kohya_metadata, kohya_tensors, refuse_foreign, save_lora
from .objective import add_noise, loss, noise_and_timesteps, target
from .scoring import Scoring
from .settings import TrainSettings
from .state import State, clear_state, load_state, save_state
from .text_cache import TextCache, fixed_captions, varies_because

log = logging.getLogger("anim2lora")


@dataclass
class TrainResult:
    lora: Path
    steps: int
    total_steps: int
    steps_per_epoch: int
    losses: List[float]
    seconds: float
    resumed_from: int
    precision: str
    prediction: str
    images: int
    latents_encoded: int
    checkpoints: List[Path] = field(default_factory=list)
    previews: List[Tuple[str, int, np.ndarray]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    modules: Dict[str, int] = field(default_factory=dict)
    setup_seconds: float = 0.0      # loading the models and encoding the latents, before the first step
    resolution: int = 0             # the buckets' side it trained at (settings' 0 resolved)
    family: str = "SD1.5"
    captions_cached: int = 0        # distinct captions encoded once (0: the text encoder ran at every step)
    scores: List[dict] = field(default_factory=list)   # resemblance per scored step ({"step", "score", "groups"})
    best: Optional[dict] = None     # the best-scoring step: {"step", "score", "lora"}

    @property
    def seconds_per_step(self) -> float:
        done = self.steps - self.resumed_from
        return (self.seconds - self.setup_seconds) / done if done else 0.0


def compute_dtype(choice: str, device: torch.device) -> torch.dtype:
    if choice == "fp16":
        return torch.float16
    if choice == "bf16":
        return torch.bfloat16
    if choice == "auto" and device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32          # "no"; "auto" on the CPU and on MPS, where half precision is slow or partial


def _optimizer(name: str, groups: list, device: torch.device, notes: List[str]):
    if name == "adamw8bit":
        try:
            import bitsandbytes as bnb
        except ImportError:
            bnb = None
        if bnb is not None and device.type == "cuda":
            return bnb.optim.AdamW8bit(groups, weight_decay=0.01)
        notes.append("adamw8bit needs bitsandbytes on a CUDA device: trained with AdamW instead.")
    return torch.optim.AdamW(groups, weight_decay=0.01)


def _fingerprint(settings: TrainSettings, items, repeats, prediction: str, base_model: str) -> dict:
    """What a saved state must match to be resumed: the math settings, the base model and every
    picture, caption, bucket and repeat of the dataset."""
    data = [(i.image.name, i.image.stat().st_size, i.caption, i.group, i.bucket, repeats[i.group]) for i in items]
    return {"settings": settings.math(), "prediction": prediction, "base_model": base_model,
            "dataset": settings_digest(data, 24)}


def _out_of_memory(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


class _Run:
    """One training run's moving parts; ``train()`` below is the entry point."""

    def __init__(self, backend, dataset: Dataset, settings: TrainSettings, lora_path: Path, base_model: str,
                 progress: Progress, on_event: Optional[Callable[[dict], None]]):
        self.backend, self.dataset, self.s = backend, dataset, settings
        self.lora_path, self.base_model = lora_path, base_model
        self.progress, self.on_event = progress, on_event or (lambda event: None)
        self.items = items_of(dataset, settings.resolution)
        self.repeats = repeats_of(dataset)
        self.per_epoch = batches_per_epoch(self.items, self.repeats, settings.batch_size)
        # as kohya (accelerate): an optimizer step every `gradient_accumulation` batches and at
        # every epoch's end, so epoch checkpoints and previews land on an update
        self.steps_per_epoch = math.ceil(self.per_epoch / settings.gradient_accumulation)
        total = self.steps_per_epoch * settings.epochs
        self.total = min(total, settings.max_steps) if settings.max_steps else total
        self.dtype = compute_dtype(settings.mixed_precision, backend.device)
        self.family = backend.family
        # v_prediction_zsnr: v-prediction over the zero-terminal-SNR schedule (kohya's
        # --v_parameterization --zero_terminal_snr); auto follows the model
        self.zero_terminal_snr = settings.prediction == "v_prediction_zsnr" or (
            settings.prediction == "auto" and backend.zero_terminal_snr)
        self.prediction = (backend.prediction_type if settings.prediction == "auto" else
                           "v_prediction" if self.zero_terminal_snr else settings.prediction)
        self.alphas_cumprod = (zero_terminal_snr(backend.alphas_cumprod) if self.zero_terminal_snr
                               else backend.alphas_cumprod)
        self.notes: List[str] = []
        self.layers: Dict[str, object] = {}
        self.step = 0
        self.losses: List[float] = []
        self.encode_text = backend.encode_text      # or a TextCache's lookup, once the captions are cached
        self.captions_cached = 0
        self.scoring: Optional[Scoring] = None

    def autocast(self):
        return torch.autocast(device_type=self.backend.device.type, dtype=self.dtype,
                              enabled=self.dtype != torch.float32)

    # -- the file ------------------------------------------------------------------------------
    def metadata(self, epoch: float) -> Dict[str, str]:
        s = self.s
        return kohya_metadata(
            rank=s.rank, alpha=s.alpha, name=self.lora_path.stem, family=self.family,
            clip_skip=s.clip_skip if self.family.uses_clip_skip else None,
            keep_tokens=self.dataset.keep_tokens, resolution=s.resolution, num_train_images=len(self.items),
            tag_frequency=self.dataset.tag_frequency, train_text_encoder=s.train_text_encoder,
            extra={"ss_sd_model_name": self.base_model, "ss_learning_rate": s.unet_lr, "ss_unet_lr": s.unet_lr,
                   "ss_text_encoder_lr": s.text_encoder_lr, "ss_lr_scheduler": s.lr_scheduler,
                   "ss_lr_warmup_steps": s.warmup_steps, "ss_optimizer": s.optimizer, "ss_seed": s.seed,
                   "ss_epoch": f"{epoch:g}", "ss_num_epochs": s.epochs, "ss_steps": self.step,
                   "ss_max_train_steps": self.total, "ss_num_batches_per_epoch": self.per_epoch,
                   "ss_max_grad_norm": s.max_grad_norm,
                   "ss_batch_size_per_device": s.batch_size,
                   "ss_gradient_accumulation_steps": s.gradient_accumulation,
                   "ss_gradient_checkpointing": s.gradient_checkpointing,
                   "ss_mixed_precision": str(self.dtype).replace("torch.", ""),
                   "ss_noise_offset": s.noise_offset, "ss_min_snr_gamma": s.min_snr_gamma,
                   "ss_v_parameterization": self.prediction == "v_prediction",
                   "ss_zero_terminal_snr": self.zero_terminal_snr,
                   "ss_shuffle_caption": s.shuffle_caption, "ss_caption_dropout_rate": s.caption_dropout,
                   "ss_caption_tag_dropout_rate": s.caption_tag_dropout,
                   "ss_keep_tokens_separator": self.dataset.keep_tokens_separator,
                   "ss_enable_bucket": True, "ss_bucket_no_upscale": True,
                   "ss_dataset_dirs": _dataset_dirs(self.dataset),
                   "ss_training_comment": "trained with Anim2LoRA"})

    def save_lora(self, path: Path, extra: Optional[dict] = None) -> Path:
        """Write the LoRA as it is now (``extra``: more metadata); a file of that name someone else
        made gets a new name."""
        if existing_owner(path) == "other":
            taken, path = path.name, path.with_name(f"{path.stem}-anim2lora{path.suffix}")
            note = f"{taken} exists and is not Anim2LoRA's: saved as {path.name}"
            self.notes.extend([note] if note not in self.notes else [])
        try:
            meta = self.metadata(self.micro_of(self.step) / self.per_epoch)
            return save_lora(path, kohya_tensors(self.layers, self.s.alpha),
                             {**meta, **{k: str(v) for k, v in (extra or {}).items()}})
        except OSError as e:
            raise TrainingError(f"Could not write {path} ({e.strerror or e}).",
                                hint="Free space in that folder or point the loras folder elsewhere.") from None

    def micro_of(self, step: int) -> int:
        """The batches done after ``step`` optimizer steps."""
        epoch, within = divmod(step, self.steps_per_epoch)
        return epoch * self.per_epoch + min(within * self.s.gradient_accumulation, self.per_epoch)


def _dataset_dirs(dataset: Dataset) -> str:
    import json

    return json.dumps({s.folder.name: {"n_repeats": s.repeats, "img_count": len(s.images)} for s in dataset.subsets})


def train(backend, dataset: Dataset, settings: TrainSettings, lora_path, *, state_dir=None, latent_dir=None,
          base_model: str = "", progress: Optional[Progress] = None,
          on_event: Optional[Callable[[dict], None]] = None, resume: bool = True,
          cache_text: bool = True, scorer=None) -> TrainResult:
    """Train a LoRA on ``dataset`` and write it to ``lora_path`` (kohya format).  With
    ``state_dir``, a stopped run leaves a state there and ``resume`` continues it.
    ``cache_text`` False: a frozen text encoder runs at every step even where its outputs could
    be cached (the benchmark's and tests' comparison; the result is the same).  ``scorer``: the
    resemblance scorer ``score_every_n_steps`` uses (``scoring.py``); without one nothing is
    scored."""
    started = time.monotonic()
    progress = progress or Progress()
    refuse_foreign(lora_path)
    if not settings.resolution:          # 0: the family's own size (SD1.5 512, SDXL 1024)
        settings = replace(settings, resolution=backend.family.resolution)
    run = _Run(backend, dataset, settings, Path(lora_path), base_model, progress, on_event)
    s = settings
    _start_scoring(run, scorer)
    if backend.decode_note and (s.sample_every_n_epochs or (run.scoring and run.scoring.active)):
        run.notes.append(backend.decode_note)
    fingerprint = _fingerprint(s, run.items, run.repeats, run.prediction + "+zsnr" * run.zero_terminal_snr,
                               f"{base_model} ({run.family.name})" if run.family.name != "sd15" else base_model)
    cache = LatentCache(backend, s.cache_latents, latent_dir)
    if s.cache_latents != "off" or backend.encodes_before_training:
        _encode_first(run, cache)
    unet_paths: Dict[str, str] = {}
    encoders: List[Tuple[torch.nn.Module, Dict[str, str]]] = []
    resumed_from, checkpoints, previews = 0, [], []
    try:
        run.dtype = backend.begin(run.dtype, s.gradient_checkpointing)
        if cache_text and not s.train_text_encoder:
            _cache_captions(run)
        unet_paths = backend.unet_targets()
        encoders = backend.text_encoders() if s.train_text_encoder else []
        unet_layers = adapters.inject(backend.unet, unet_paths, s.rank, s.alpha, s.seed)
        te_layers = {}
        for i, (encoder, paths) in enumerate(encoders):
            te_layers.update(adapters.inject(encoder, paths, s.rank, s.alpha, s.seed + 1 + i))
        run.layers = {**unet_layers, **te_layers}
        groups = [{"params": adapters.parameters(unet_layers), "lr": s.unet_lr}]
        if te_layers:
            groups.append({"params": adapters.parameters(te_layers), "lr": s.text_encoder_lr})
        optimizer = _optimizer(s.optimizer, groups, backend.device, run.notes)
        from diffusers.optimization import get_scheduler

        scheduler = get_scheduler(s.lr_scheduler, optimizer, num_warmup_steps=s.warmup_steps,
                                  num_training_steps=run.total)
        scaler = (torch.amp.GradScaler("cuda") if run.dtype == torch.float16 and backend.device.type == "cuda"
                  else None)
        state = load_state(state_dir, fingerprint) if (resume and state_dir is not None) else None
        if state is not None:
            adapters.load_weights(run.layers, state.weights)
            optimizer.load_state_dict(state.optimizer)
            scheduler.load_state_dict(state.scheduler)
            if scaler is not None and state.scaler:
                scaler.load_state_dict(state.scaler)
            run.step, run.losses, resumed_from = state.step, list(state.losses), state.step
            run.notes.append(f"resumed a stopped run at step {state.step}")
            if run.scoring:
                run.scoring.restore(state.scoring)

        def current_state() -> State:
            return State(run.step, run.losses, adapters.weights(run.layers), optimizer.state_dict(),
                         scheduler.state_dict(), scaler.state_dict() if scaler else None, fingerprint,
                         run.scoring.state() if run.scoring else None)

        progress.set_total(run.total)
        # per-step speed and time left count the steps only: model loading and the latents came first
        steps_started = time.monotonic()
        try:
            _steps(run, cache, optimizer, scheduler, scaler, checkpoints, previews, steps_started, resumed_from)
            run.save_lora(run.lora_path)
        except BaseException as error:
            _stopped(run, error, state_dir, current_state, resumed_from)
        if state_dir is not None:
            clear_state(state_dir)           # finished: nothing left to resume
    except RuntimeError as error:
        if _out_of_memory(error):
            raise TrainingError(f"Ran out of memory on {backend.device} while loading the models.",
                                hint="Close other models or use a smaller resolution.") from None
        raise
    finally:
        if not backend.keeps_adapters:
            adapters.remove(backend.unet, unet_paths)
            for encoder, paths in encoders:
                adapters.remove(encoder, paths)
        backend.end()
    return TrainResult(run.lora_path, run.step, run.total, run.steps_per_epoch, run.losses,
                       time.monotonic() - started, resumed_from, str(run.dtype).replace("torch.", ""),
                       run.prediction, len(run.items), cache.encoded, checkpoints, previews, run.notes,
                       {"unet": len(unet_paths), "text_encoder": sum(len(paths) for _, paths in encoders)},
                       steps_started - started, s.resolution, run.family.label, run.captions_cached,
                       run.scoring.history if run.scoring else [], _best(run))


def _start_scoring(run: "_Run", scorer) -> None:
    """Scoring as asked, or a note saying why there is none."""
    every = run.s.score_every_n_steps
    if not every:
        return
    if scorer is None:
        run.notes.append(f"score_every_n_steps {every}: no reference stills were given, so nothing was scored "
                         "(connect the characters' references to score resemblance)")
        return
    run.scoring = Scoring(scorer, every, run.dataset, run.lora_path)
    if run.scoring.skipped:
        run.notes.append(f"not scored: group {', '.join(run.scoring.skipped)} (a character without reference "
                         "stills)")


def _best(run: "_Run") -> Optional[dict]:
    best = run.scoring.best if run.scoring else None
    return {**best, "lora": run.scoring.path} if best else None


def _encode_first(run: "_Run", cache: LatentCache) -> None:
    """Latents of every picture before training (kohya's cache_latents), so steps time the
    training alone; in ComfyUI also before the UNet is loaded, whose place on the device the VAE
    would otherwise take mid-run."""
    if run.s.cache_latents == "off":
        cache.mode = "memory"
        run.notes.append("cache_latents off is not possible in ComfyUI (the VAE would push the UNet off the "
                         "device at every step): latents were cached in memory.")
    for item in run.items:
        cache.prepare(item)
        run.progress.check_cancelled()


def _cache_captions(run: "_Run") -> None:
    """A frozen text encoder's captions encoded once, then the encoders off the device, when the
    captions do not vary from step to step (``text_cache``); else a note says why not."""
    s = run.s
    why = varies_because(s)
    if why:
        run.notes.append(why)
        return
    captions = fixed_captions(run.items, s, run.dataset.keep_tokens_separator)
    if s.sample_every_n_epochs:
        captions += [""] + [prompt for _, prompt in group_prompts(run.dataset)]
    cache = TextCache(run.backend)
    with run.autocast():           # the precision the steps would encode in
        cache.fill(captions, s.clip_skip, run.progress.check_cancelled)
        if run.scoring:            # apart: the training captions are encoded in the same batches either way
            cache.fill(run.scoring.captions(), s.clip_skip, run.progress.check_cancelled)
    run.backend.release_text_encoders()
    run.encode_text, run.captions_cached = cache.encode, len(cache)


def _stopped(run: "_Run", error: BaseException, state_dir, current_state, resumed_from: int) -> None:
    """Whatever stopped the run, the weights are those of the last finished step: keep them (state
    first: it is what resumes), say what was kept, and raise the error with that added."""
    kept, failed = [], []
    if run.step > resumed_from and adapters.finite(run.layers):
        if state_dir is not None:
            try:
                save_state(state_dir, current_state())
                kept.append(f"a resumable state in {state_dir}")
            except OSError as e:
                failed.append(f"the state could not be saved ({e.strerror or e})")
        try:
            kept.append(str(run.save_lora(run.lora_path.with_name(f"{run.lora_path.stem}-step{run.step:08d}"
                                                                  f"{run.lora_path.suffix}"))))
        except TrainingError as e:
            failed.append(e.message)
    where = (f" Kept {' and '.join(kept)}." if kept else "") + (f" But {'; '.join(failed)}." if failed else "")
    if where:      # the host's own cancel exception carries no message of ours: say it here
        log.warning("Training stopped at step %d of %d.%s", run.step, run.total, where)
    s = run.s
    if _out_of_memory(error):
        raise TrainingError(f"Ran out of memory on {run.backend.device} at step {run.step + 1} (batch_size "
                            f"{s.batch_size}, resolution {s.resolution}).{where}",
                            hint="Lower batch_size or resolution, turn gradient_checkpointing on, or use "
                                 "mixed_precision bf16/fp16.") from None
    if isinstance(error, (TrainingError, CancelledError)) and where:
        raise type(error)(f"{error.message}{where}", hint=error.hint) from None
    raise error


def _steps(run: _Run, cache: LatentCache, optimizer, scheduler, scaler, checkpoints, previews, started: float,
           resumed_from: int) -> None:
    s, backend = run.s, run.backend
    accum = s.gradient_accumulation
    micro = run.micro_of(run.step)
    autocast = run.autocast()
    ac = run.alphas_cumprod.to(backend.device)
    pending: List[float] = []
    batches, batches_epoch = None, -1
    params = [p for g in optimizer.param_groups for p in g["params"]]
    _score(run)                    # a resumed run stopped before scoring its last step
    while run.step < run.total:
        epoch, index = divmod(micro, run.per_epoch)
        if epoch != batches_epoch:
            batches, batches_epoch = epoch_batches(run.items, run.repeats, s.batch_size, s.seed, epoch), epoch
        batch = batches[index]
        latents = cache.batch(batch)
        captions = step_captions(batch, s.seed, micro, shuffle=s.shuffle_caption, tag_dropout=s.caption_tag_dropout,
                                 caption_dropout=s.caption_dropout, separator=run.dataset.keep_tokens_separator)
        noise, timesteps = noise_and_timesteps(latents, s.seed, micro, s.noise_offset, len(ac))
        with autocast:
            with torch.set_grad_enabled(s.train_text_encoder):
                cond = run.encode_text(captions, s.clip_skip, run.family.item_sizes(batch))
            noisy = add_noise(latents, noise, timesteps, ac).to(run.dtype)
            prediction = backend.predict(noisy, timesteps, cond.to(run.dtype))
        value = loss(prediction, target(latents, noise, timesteps, ac, run.prediction), timesteps, ac,
                     run.prediction, s.min_snr_gamma)
        number = float(value.detach())          # one device sync a batch: the check and the record
        if not math.isfinite(number):
            raise TrainingError(f"The loss became {number} at step {run.step + 1}.",
                                hint="Lower unet_lr/text_encoder_lr, or use mixed_precision bf16 or no instead "
                                     "of fp16.")
        (scaler.scale(value / accum) if scaler is not None else value / accum).backward()
        pending.append(number)
        micro += 1
        if (micro % run.per_epoch) % accum:
            continue
        _optimizer_step(optimizer, scheduler, scaler, params, run.step, s.max_grad_norm)
        run.step += 1
        run.losses.append(sum(pending) / len(pending))
        pending = []
        _report_step(run, scheduler, started, resumed_from)
        if micro % run.per_epoch == 0:
            _epoch_end(run, micro // run.per_epoch, checkpoints, previews)
        _score(run)


def _optimizer_step(optimizer, scheduler, scaler, params, step: int, max_grad_norm: float) -> None:
    if scaler is not None:
        scaler.unscale_(optimizer)
    with_grads = [p for p in params if p.grad is not None]
    # kohya clips at max_grad_norm (1.0 by default); the norm is also the one-sync finiteness check
    norm = (torch.nn.utils.clip_grad_norm_(with_grads, max_grad_norm if max_grad_norm > 0 else float("inf"))
            if with_grads else torch.tensor(0.0))
    if scaler is not None:          # fp16: the scaler skips a step whose gradients overflowed
        scaler.step(optimizer)
        scaler.update()
    else:
        if not torch.isfinite(norm):
            optimizer.zero_grad(set_to_none=True)
            raise TrainingError(f"The gradients became NaN or infinite at step {step + 1}.",
                                hint="Lower unet_lr/text_encoder_lr, or use mixed_precision bf16 or no.")
        optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)


def _report_step(run: _Run, scheduler, started: float, resumed_from: int) -> None:
    elapsed = time.monotonic() - started
    per_step = elapsed / max(1, run.step - resumed_from)
    event = {"step": run.step, "total": run.total, "loss": run.losses[-1], "lr": scheduler.get_last_lr()[0],
             "epoch": round(run.micro_of(run.step) / run.per_epoch, 3),
             "seconds_per_step": round(per_step, 3), "seconds_left": round(per_step * (run.total - run.step), 1)}
    run.on_event(event)
    run.progress.update(run.step, force=run.step == run.total)


def _epoch_end(run: _Run, epoch: int, checkpoints: list, previews: list) -> None:
    s = run.s
    if s.save_every_n_epochs and epoch % s.save_every_n_epochs == 0 and epoch < s.epochs:
        path = run.lora_path.with_name(f"{run.lora_path.stem}-{epoch:06d}.safetensors")
        checkpoints.append(run.save_lora(path))
    if s.sample_every_n_epochs and epoch % s.sample_every_n_epochs == 0:
        size = _preview_size(run)
        for group, prompt in group_prompts(run.dataset):
            with run.autocast():
                picture = ddim_batch(run.backend, prompt, size=size, seed=s.seed, clip_skip=s.clip_skip,
                                     alphas_cumprod=run.alphas_cumprod, encode=run.encode_text)[0]
            previews.append((group, epoch, picture))
            # the picture rides along (an RGB array) so a front end can show it as it comes
            run.on_event({"preview": group, "epoch": epoch, "step": run.step, "total": run.total, "picture": picture})


def _score(run: _Run) -> None:
    if run.scoring and run.scoring.due(run.step, run.total):
        run.on_event(run.scoring.score(run, _preview_size(run)))


def _preview_size(run: _Run) -> Tuple[int, int]:
    sizes = [item.bucket for item in run.items]
    return max(set(sizes), key=sizes.count)
