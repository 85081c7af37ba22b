"""TrainLoRA's loop on tiny random diffusers models (CPU, seconds): it learns, its file
reproduces the trained model, a cancel resumes to the very weights of an unbroken run, a NaN
stops with what was made kept, and the data follows kohya's rules."""

import numpy as np

import pytest
import torch
from safetensors import safe_open

from anim2lora.errors import CancelledError, TrainingError
from anim2lora.progress import Progress
from anim2lora.train import adapters
from anim2lora.train.data import (Item, batches_per_epoch, epoch_batches, items_of, no_upscale_bucket, repeats_of,
                                  step_captions)
from anim2lora.train.loop import train
from anim2lora.train.objective import add_noise, loss, target
from anim2lora.train.settings import TrainSettings

from trainkit import drawn_dataset, tiny_backend

FAST = dict(resolution=256, rank=4, alpha=2.0, epochs=1, warmup_steps=0, lr_scheduler="constant",
            gradient_checkpointing=False, min_snr_gamma=0.0)


def _settings(**kw):
    return TrainSettings(**{**FAST, **kw})


def _fixed_loss(backend, latents, cond, n=6):
    """The objective on fixed noise and timesteps (an evaluation, not a training step)."""
    g = torch.Generator().manual_seed(123)
    ac = backend.alphas_cumprod
    total = 0.0
    with torch.no_grad():
        for _ in range(n):
            noise = torch.randn(latents.shape, generator=g)
            t = torch.randint(0, 1000, (latents.shape[0],), generator=g)
            pred = backend.predict(add_noise(latents, noise, t, ac), t, cond)
            total += float(loss(pred, target(latents, noise, t, ac, "epsilon"), t, ac, "epsilon", 0))
    return total / n


def test_the_loss_falls_on_a_fixed_batch(tmp_path):
    dataset = drawn_dataset(tmp_path / "d", sizes=((64, 64),), repeats=(60, 1))
    dataset.subsets = dataset.subsets[:1]
    backend = tiny_backend()
    backend.begin(torch.float32, False)
    from anim2lora.train.data import load_pixels

    item = items_of(dataset, 256)[0]
    latents = backend.encode_images(torch.from_numpy(load_pixels(item))[None])
    cond = backend.encode_text([item.caption], 2).detach()
    before = _fixed_loss(backend, latents, cond)
    result = train(backend, dataset, _settings(unet_lr=1e-2, text_encoder_lr=0.0, shuffle_caption=False),
                   tmp_path / "loras" / "fall.safetensors")
    after = _fixed_loss(backend, latents, cond)
    assert result.steps == 60 and len(result.losses) == 60
    assert after < 0.7 * before, (before, after)


def _unet_outputs(unet, seed=5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((1, 4, 8, 8), generator=g)
    cond = torch.randn((1, 77, 32), generator=g)
    with torch.no_grad():
        return unet(x, torch.tensor([500]), encoder_hidden_states=cond).sample


def test_the_file_reproduces_the_trained_model_in_diffusers(tmp_path):
    from diffusers import DDPMScheduler, StableDiffusionPipeline

    backend = tiny_backend()
    result = train(backend, drawn_dataset(tmp_path / "d"), _settings(unet_lr=5e-3, text_encoder_lr=5e-3),
                   tmp_path / "loras" / "mine.safetensors")
    trained_unet = _unet_outputs(backend.unet)
    ids = backend.tokenizer(["A, B, 2people"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        trained_te = backend.text_encoder(ids).last_hidden_state

    fresh = tiny_backend()              # the same seed: the same base weights
    base_unet = _unet_outputs(fresh.unet)
    assert (trained_unet - base_unet).abs().max() > 1e-3, "training changed the model"
    pipe = StableDiffusionPipeline(vae=fresh.vae, text_encoder=fresh.text_encoder, tokenizer=fresh.tokenizer,
                                   unet=fresh.unet, scheduler=DDPMScheduler(), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    pipe.load_lora_weights(str(result.lora))
    loaded_unet = _unet_outputs(pipe.unet)
    with torch.no_grad():
        loaded_te = pipe.text_encoder(ids).last_hidden_state
    # the file is fp16: agreement to fp16 rounding of the LoRA's weights
    assert torch.allclose(loaded_unet, trained_unet, atol=2e-3), (loaded_unet - trained_unet).abs().max()
    assert torch.allclose(loaded_te, trained_te, atol=2e-3), (loaded_te - trained_te).abs().max()


def test_the_file_has_kohyas_names_alpha_and_metadata(tmp_path):
    backend = tiny_backend()
    dataset = drawn_dataset(tmp_path / "d")
    result = train(backend, dataset, _settings(rank=4, alpha=2.0, clip_skip=2), tmp_path / "loras" / "m.safetensors")
    with safe_open(str(result.lora), "pt") as f:
        keys, meta = set(f.keys()), f.metadata()
        alphas = {float(f.get_tensor(k)) for k in keys if k.endswith(".alpha")}
        dtypes = {f.get_tensor(k).dtype for k in keys}
    unet = {k.split(".")[0] for k in keys if k.startswith("lora_unet_")}
    te = {k.split(".")[0] for k in keys if k.startswith("lora_te_")}
    assert len(unet) == result.modules["unet"] == 48 and len(te) == result.modules["text_encoder"] == 18
    assert "lora_te_text_model_encoder_layers_0_self_attn_q_proj" in te
    assert alphas == {2.0} and dtypes == {torch.float16}
    assert len(keys) == 3 * (len(unet) + len(te))
    assert meta["ss_network_dim"] == "4" and meta["ss_network_alpha"] == "2.0" and meta["ss_clip_skip"] == "2"
    assert meta["ss_keep_tokens"] == "3" and meta["ss_num_train_images"] == "6"
    assert meta["ss_steps"] == str(result.steps) and meta["ss_network_train_unet_only"] == "False"
    for key in ("ss_network_module", "ss_network_args", "ss_base_model_version", "ss_v2", "ss_tag_frequency",
                "ss_output_name", "ss_resolution", "sshs_model_hash", "modelspec.architecture", "ss_dataset_dirs"):
        assert meta.get(key), key


class _CancelAt(Progress):
    def __init__(self, step):
        super().__init__()
        self.at = step

    def update(self, done, *, force=False):
        super().update(done, force=True)
        if done == self.at:
            raise CancelledError("cancelled in the test")


def test_cancel_keeps_a_lora_and_resuming_gives_the_unbroken_runs_weights(tmp_path):
    settings = _settings(epochs=2, gradient_accumulation=2, batch_size=2, unet_lr=1e-3, text_encoder_lr=1e-3,
                         lr_scheduler="cosine", warmup_steps=2, caption_tag_dropout=0.3)
    dataset = drawn_dataset(tmp_path / "d")
    whole = tiny_backend()
    done = train(whole, dataset, settings, tmp_path / "whole" / "w.safetensors")
    reference = adapters.weights({**_layers(whole)})

    broken = tiny_backend()
    state = tmp_path / "state"
    with pytest.raises(CancelledError):
        train(broken, dataset, settings, tmp_path / "loras" / "r.safetensors", state_dir=state, progress=_CancelAt(3))
    assert (tmp_path / "loras" / "r-step00000003.safetensors").is_file(), "a usable LoRA is kept"
    assert (state / "state.json").is_file()

    again = tiny_backend()
    resumed = train(again, dataset, settings, tmp_path / "loras" / "r.safetensors", state_dir=state)
    assert resumed.resumed_from == 3 and resumed.steps == done.steps == done.total_steps
    got = adapters.weights(_layers(again))
    assert got.keys() == reference.keys()
    for k in reference:
        assert torch.allclose(got[k], reference[k], atol=1e-6), k
    assert resumed.losses[:3] == done.losses[:3] or torch.allclose(torch.tensor(resumed.losses),
                                                                     torch.tensor(done.losses), atol=1e-5)
    assert not state.exists(), "a finished run leaves no state behind"


def _layers(backend):
    paths = {**backend.unet_targets()}
    out = {name: backend.unet.get_submodule(p) for name, p in paths.items()}
    out.update({name: backend.text_encoder.get_submodule(p) for name, p in backend.text_encoder_targets().items()})
    return out


def test_a_nan_loss_stops_with_a_clear_error_and_keeps_the_last_good_lora(tmp_path):
    backend = tiny_backend()
    real = backend.predict
    calls = {"n": 0}

    def poisoned(noisy, t, cond):
        calls["n"] += 1
        out = real(noisy, t, cond)
        return out * float("nan") if calls["n"] == 4 else out

    backend.predict = poisoned
    with pytest.raises(TrainingError) as caught:
        train(backend, drawn_dataset(tmp_path / "d"), _settings(), tmp_path / "loras" / "n.safetensors",
              state_dir=tmp_path / "state")
    message = str(caught.value)
    assert "loss became nan at step 4" in message and "n-step00000003.safetensors" in message
    assert "unet_lr" in message
    with safe_open(str(tmp_path / "loras" / "n-step00000003.safetensors"), "pt") as f:
        assert all(torch.isfinite(f.get_tensor(k)).all() for k in f.keys())
    assert not (tmp_path / "loras" / "n.safetensors").exists()


def test_out_of_memory_names_the_settings_to_lower(tmp_path):
    backend = tiny_backend()

    def oom(*args):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    backend.predict = oom
    with pytest.raises(TrainingError, match="batch_size.*resolution.*gradient_checkpointing"):
        train(backend, drawn_dataset(tmp_path / "d"), _settings(), tmp_path / "loras" / "o.safetensors")


def test_every_step_encodes_its_own_shuffled_caption_with_the_names_first(tmp_path):
    backend = tiny_backend()
    seen = []
    real = backend.encode_text

    def spy(captions, clip_skip, sizes=None):
        seen.extend(captions)
        assert clip_skip == 2 and sizes is None       # SD1.5 takes no size conditioning
        return real(captions, clip_skip, sizes)

    backend.encode_text = spy
    dataset = drawn_dataset(tmp_path / "d", repeats=(4, 4))
    train(backend, dataset, _settings(epochs=2, text_encoder_lr=0.0), tmp_path / "l.safetensors")
    pairs = [c for c in seen if c.startswith("A, B, 2people, ")]
    solo = [c for c in seen if not c.startswith("A, B")]
    assert len(seen) == 2 * 4 * 6 and len(pairs) == len(solo) == 24
    assert all(c.startswith("A, ") and "2people" not in c for c in solo)
    assert len(set(pairs)) > 5, "free tags are shuffled anew at every step"
    assert {frozenset(c.split(", ")[3:]) for c in pairs} == {frozenset(["monochrome", "lineart", "white background",
                                                                        "full body"])}


def test_step_captions_follow_kohya_with_a_separator_and_dropouts(tmp_path):
    dataset = drawn_dataset(tmp_path / "d", separator="|||")
    items = items_of(dataset, 256)
    pair = [i for i in items if i.group == "A+B"][0]
    outs = [step_captions([pair], 7, m, shuffle=True, tag_dropout=0.5, caption_dropout=0.2, separator="|||")[0]
            for m in range(300)]
    empty = sum(1 for o in outs if o == "")
    assert 30 < empty < 90, "caption dropout ~20 %"
    kept = [o for o in outs if o]
    assert all(o.startswith("A, B, 2people") and "|||" not in o for o in kept)
    lengths = {len(o.split(", ")) for o in kept}
    assert min(lengths) == 3 and max(lengths) == 7, "tag dropout drops free tags only"
    again = [step_captions([pair], 7, m, shuffle=True, tag_dropout=0.5, caption_dropout=0.2, separator="|||")[0]
             for m in range(300)]
    assert again == outs, "a step's caption is a function of (seed, step): resumable"


def test_buckets_never_enlarge_and_batches_stay_in_one_bucket(tmp_path):
    # (bucket, resized) as kohya's BucketManager.select_bucket gives them with bucket_no_upscale
    assert no_upscale_bucket(1920, 1080, 512) == ((640, 384), (683, 384))
    assert no_upscale_bucket(1308, 1000, 512) == ((576, 448), (586, 448))
    assert no_upscale_bucket(300, 883, 512) == ((256, 704), (256, 753))
    assert no_upscale_bucket(100, 300, 512) == ((64, 256), (100, 300)), "never enlarged: cropped"
    assert no_upscale_bucket(512, 512, 512) == ((512, 512), (512, 512))
    dataset = drawn_dataset(tmp_path / "d", repeats=(1, 3))
    items, repeats = items_of(dataset, 256), repeats_of(dataset)
    batches = epoch_batches(items, repeats, 2, seed=1, epoch=0)
    assert len(batches) == batches_per_epoch(items, repeats, 2) == 6   # (2 + 6) / 2 at 64x64, (1 + 3) / 2 at 128x64
    assert all(len({i.bucket for i in b}) == 1 for b in batches)
    shown = [i.group for b in batches for i in b]
    assert shown.count("A") == 3 and shown.count("A+B") == 9
    assert epoch_batches(items, repeats, 2, seed=1, epoch=1) != batches


def test_clip_skip_is_the_earlier_layer_through_the_final_layer_norm():
    backend = tiny_backend()
    ids = backend.tokenizer(["A, lineart"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        out = backend.text_encoder(ids, output_hidden_states=True)
        two = backend.encode_text(["A, lineart"], 2)
        one = backend.encode_text(["A, lineart"], 1)
    norm = getattr(backend.text_encoder, "text_model", backend.text_encoder).final_layer_norm
    assert torch.allclose(two, norm(out.hidden_states[-2]))
    assert torch.allclose(one, out.last_hidden_state)
    assert not torch.allclose(one, two)


def test_v_prediction_and_min_snr_follow_kohya():
    from anim2lora.train.backend import ddpm_alphas_cumprod

    ac = ddpm_alphas_cumprod()
    assert abs(float(ac[0]) - (1 - 0.00085)) < 1e-6 and abs(float(ac[-1]) - 0.0047) < 2e-4
    x0, noise, t = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8), torch.tensor([10, 900])
    a = ac[t].reshape(-1, 1, 1, 1)
    assert torch.allclose(target(x0, noise, t, ac, "v_prediction"), a.sqrt() * noise - (1 - a).sqrt() * x0)
    pred = torch.zeros_like(x0)
    per = ((pred - noise) ** 2).mean(dim=(1, 2, 3))
    snr = ac[t] / (1 - ac[t])
    assert torch.allclose(loss(pred, noise, t, ac, "epsilon", 5.0), (per * torch.clamp(snr, max=5) / snr).mean())
    assert torch.allclose(loss(pred, noise, t, ac, "v_prediction", 5.0),
                          (per * torch.clamp(snr, max=5) / (snr + 1)).mean())


def test_disk_latent_cache_encodes_each_picture_once_across_runs(tmp_path):
    dataset = drawn_dataset(tmp_path / "d")
    s = _settings(cache_latents="disk", max_steps=3)
    first = train(tiny_backend(), dataset, s, tmp_path / "a.safetensors", latent_dir=tmp_path / "lat")
    second = train(tiny_backend(), dataset, s, tmp_path / "b.safetensors", latent_dir=tmp_path / "lat")
    assert first.latents_encoded >= 1 and second.latents_encoded == 0 and second.steps == 3


def test_the_disk_cache_tells_apart_one_bucket_reached_from_two_resizes(tmp_path):
    """A 300 px square picture trains in the 256 px bucket both at resolution 256 (resized to 256,
    nothing cropped) and at 320 (kept at 300, cropped): two pictures, two latents."""
    import cv2

    from anim2lora.train.latents import LatentCache

    picture = tmp_path / "big.png"
    cv2.imwrite(str(picture), np.full((300, 300, 3), 255, np.uint8))
    at_256 = Item(0, picture, "A", 1, "A", (256, 256), (256, 256))
    at_320 = Item(0, picture, "A", 1, "A", (256, 256), (300, 300))
    cache = LatentCache(tiny_backend(), "disk", tmp_path / "lat")
    assert cache._path(at_256) != LatentCache(tiny_backend(), "disk", tmp_path / "lat")._path(at_320)


def test_epoch_checkpoints_and_previews_come_every_n_epochs(tmp_path):
    events = []
    result = train(tiny_backend(), drawn_dataset(tmp_path / "d"),
                   _settings(epochs=2, save_every_n_epochs=1, sample_every_n_epochs=1),
                   tmp_path / "loras" / "e.safetensors", on_event=events.append)
    assert [p.name for p in result.checkpoints] == ["e-000001.safetensors"], "the last epoch is the LoRA itself"
    assert [(g, e) for g, e, _ in result.previews] == [("A", 1), ("A+B", 1), ("A", 2), ("A+B", 2)]
    assert all(p.shape == (64, 64, 3) and p.dtype.name == "uint8" for _, _, p in result.previews)
    steps = [e for e in events if "loss" in e]
    assert [e["step"] for e in steps] == list(range(1, result.total_steps + 1))
    assert all(e["total"] == result.total_steps and e["seconds_left"] >= 0 for e in steps)
    assert sum(1 for e in events if "preview" in e) == 4


def test_bf16_computes_in_half_precision_with_float32_lora_weights(tmp_path):
    backend = tiny_backend()
    result = train(backend, drawn_dataset(tmp_path / "d"), _settings(mixed_precision="bf16", max_steps=3),
                   tmp_path / "b.safetensors")
    assert result.precision == "bfloat16" and result.steps == 3
    assert all(torch.isfinite(torch.tensor(result.losses)))
    layers = _layers(backend)
    assert {p.dtype for p in adapters.parameters(layers)} == {torch.float32}
    assert backend.unet.conv_in.weight.dtype == torch.bfloat16


def test_gradient_checkpointing_changes_memory_not_the_result(tmp_path):
    dataset = drawn_dataset(tmp_path / "d")
    plain = tiny_backend()
    train(plain, dataset, _settings(max_steps=2, gradient_checkpointing=False), tmp_path / "p.safetensors")
    checked, during = tiny_backend(), []
    train(checked, dataset, _settings(max_steps=2, gradient_checkpointing=True), tmp_path / "c.safetensors",
          on_event=lambda e: during.append(checked.unet.is_gradient_checkpointing))
    assert during and all(during), "checkpointing was on while the steps ran"
    a, b = adapters.weights(_layers(plain)), adapters.weights(_layers(checked))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert not checked.unet.is_gradient_checkpointing, "switched off again after the run"


def test_8bit_adamw_falls_back_with_a_note_off_cuda(tmp_path):
    result = train(tiny_backend(), drawn_dataset(tmp_path / "d"), _settings(optimizer="adamw8bit", max_steps=1),
                   tmp_path / "a.safetensors")
    assert any("adamw8bit" in n for n in result.notes)


def test_small_pictures_are_cropped_to_their_bucket_not_resampled(tmp_path):
    import cv2

    from anim2lora.train.data import load_pixels

    picture = np.full((100, 150, 3), 255, np.uint8)
    picture[:, 70:73] = 0                                     # a 3 px line in the middle
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), picture)
    (bucket, resized) = no_upscale_bucket(150, 100, 512)
    item = Item(0, path, "A", 1, "A", bucket, resized)
    pixels = load_pixels(item)
    assert pixels.shape == (3, 64, 128)
    dark = (pixels[0] < 0).any(axis=0)
    assert dark.sum() == 3, "the line keeps its 3 px: no resampling"


def test_an_epoch_ends_with_an_update_even_mid_accumulation(tmp_path):
    """kohya (accelerate) steps at every epoch's end: 5 batches per epoch with accumulation 2
    are 3 updates per epoch, and every epoch gets its checkpoint."""
    dataset = drawn_dataset(tmp_path / "d")
    result = train(tiny_backend(), dataset, _settings(epochs=3, batch_size=2, gradient_accumulation=2,
                                                      save_every_n_epochs=1),
                   tmp_path / "loras" / "x.safetensors")
    assert result.steps_per_epoch == 3 and result.steps == result.total_steps == 9
    assert [p.name for p in result.checkpoints] == ["x-000001.safetensors", "x-000002.safetensors"]


def test_gradients_are_clipped_to_max_grad_norm(tmp_path, monkeypatch):
    seen = []
    real = torch.nn.utils.clip_grad_norm_

    def spy(params, max_norm, *args, **kwargs):
        seen.append(max_norm)
        norm = real(params, max_norm, *args, **kwargs)
        after = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
        assert after <= max_norm * 1.0001 + 1e-6
        return norm

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    train(tiny_backend(), drawn_dataset(tmp_path / "d"), _settings(max_steps=2, max_grad_norm=0.01),
          tmp_path / "c.safetensors")
    assert seen == [0.01, 0.01]


def test_a_failed_save_keeps_the_state_and_names_the_folder(tmp_path, monkeypatch):
    from anim2lora.train import loop

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loop, "save_lora", full)
    with pytest.raises(TrainingError) as caught:
        train(tiny_backend(), drawn_dataset(tmp_path / "d"), _settings(max_steps=2), tmp_path / "l" / "f.safetensors",
              state_dir=tmp_path / "state")
    assert "No space left on device" in str(caught.value) and "resumable state" in str(caught.value)
    assert (tmp_path / "state" / "state.json").is_file()


def test_speed_and_time_left_count_the_steps_not_the_loading_before_them(tmp_path):
    """Encoding every latent first can take longer than a short run's steps: the s/step the report,
    the events and the time left give must not include it."""
    import time

    from anim2lora.train.report import train_report

    backend = tiny_backend()
    encode = backend.encode_images

    def slow_encode(pixels):
        time.sleep(0.4)
        return encode(pixels)

    backend.encode_images = slow_encode
    events = []
    settings = _settings(max_steps=3)
    result = train(backend, drawn_dataset(tmp_path / "d"), settings, tmp_path / "loras" / "t.safetensors",
                   on_event=events.append)
    encoded = result.latents_encoded
    assert encoded >= 3 and result.setup_seconds >= 0.4 * encoded
    assert result.seconds_per_step * result.steps + result.setup_seconds == pytest.approx(result.seconds)
    steps = [e for e in events if "loss" in e]
    # the first step's speed is that step's time alone: never more than all the steps took
    assert steps[0]["seconds_per_step"] <= result.seconds - result.setup_seconds + 1e-3
    assert f"{result.setup_seconds:.1f} s loading and encoding first" in train_report(result, settings)
