"""Text-encoder outputs cached (kohya's cache_text_encoder_outputs) when the encoders are frozen
and captions do not vary: the same losses and LoRA as encoding at every step, each distinct
caption encoded once, and a note instead of a cache when shuffling or tag dropout vary them."""

import numpy as np
import pytest
import torch

from anim2lora.train import adapters
from anim2lora.train.loop import train
from anim2lora.train.settings import TrainSettings

from trainkit import drawn_dataset, tiny_backend, tiny_sdxl_backend

FAST = dict(resolution=256, rank=4, alpha=2.0, epochs=2, warmup_steps=0, lr_scheduler="constant",
            gradient_checkpointing=False, min_snr_gamma=0.0, unet_lr=1e-3, text_encoder_lr=0.0,
            shuffle_caption=False)
BACKENDS = {"sd15": tiny_backend, "sdxl": tiny_sdxl_backend}


def _layers(backend):
    return {name: backend.unet.get_submodule(p) for name, p in backend.unet_targets().items()}


def _counting(backend):
    calls = []
    real = backend.encode_text

    def encode(captions, clip_skip, sizes=None):
        calls.append(list(captions))
        return real(captions, clip_skip, sizes)

    backend.encode_text = encode
    return calls


@pytest.mark.parametrize("family", sorted(BACKENDS))
def test_cached_captions_train_the_same_lora_as_encoding_every_step(tmp_path, family):
    dataset = drawn_dataset(tmp_path / "d", repeats=(2, 1))
    settings = TrainSettings(**FAST, caption_dropout=0.3, sample_every_n_epochs=2)
    runs = {}
    for cached in (False, True):
        backend = BACKENDS[family]()
        calls = _counting(backend)
        result = train(backend, dataset, settings, tmp_path / f"{cached}.safetensors", cache_text=cached)
        runs[cached] = (result, adapters.weights(_layers(backend)), calls)
    (plain, plain_w, plain_calls), (cached, cached_w, cached_calls) = runs[False], runs[True]
    assert plain.captions_cached == 0 and len(plain_calls) >= plain.steps
    # two captions (one per group), the empty one of caption dropout, the preview prompts "A" and "A, B, 2people"
    assert cached.captions_cached == 5 and len(cached_calls) == 1, "each distinct caption encoded once, in one call"
    assert "" in cached_calls[0]
    np.testing.assert_allclose(cached.losses, plain.losses, rtol=1e-4, atol=1e-6)
    assert plain_w.keys() == cached_w.keys()
    worst = max(float((plain_w[k] - cached_w[k]).abs().max()) for k in plain_w)
    scale = max(float(plain_w[k].abs().max()) for k in plain_w)
    # encoding five captions in one call rounds CLIP-G's projection differently from one at a
    # time (2e-7); AdamW's normalised steps carry that into the last digits of the weights
    assert worst <= 1e-3 * scale, (worst, scale)
    assert len(cached.previews) == len(plain.previews) == 2
    for (_, _, a), (_, _, b) in zip(plain.previews, cached.previews):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


@pytest.mark.parametrize("varying", [dict(shuffle_caption=True), dict(caption_tag_dropout=0.2)])
def test_varying_captions_are_encoded_every_step_and_the_report_says_why(tmp_path, varying):
    backend = tiny_sdxl_backend()
    calls = _counting(backend)
    result = train(backend, drawn_dataset(tmp_path / "d"), TrainSettings(**{**FAST, "epochs": 1, **varying}),
                   tmp_path / "l.safetensors")
    assert result.captions_cached == 0 and len(calls) == result.steps
    (note,) = [n for n in result.notes if "not cached" in n]
    assert next(iter(k for k, v in varying.items())) in note and "kohya" in note


def test_a_trained_text_encoder_is_never_cached(tmp_path):
    backend = tiny_backend()
    calls = _counting(backend)
    result = train(backend, drawn_dataset(tmp_path / "d"), TrainSettings(**{**FAST, "epochs": 1,
                                                                         "text_encoder_lr": 1e-4}),
                   tmp_path / "l.safetensors")
    assert result.captions_cached == 0 and len(calls) == result.steps
    assert not [n for n in result.notes if "cached" in n]
