"""LineArtSampler: the prompt from a dataset's pinned tokens, the clean-up on pictures with known
answers, headless sampling on tiny random models on the CPU, and the node as the host lists it."""

import sys

import cv2
import numpy as np
import pytest
from nodekit import widget_defaults
from trainkit import drawn_dataset, tiny_backend

from anim2lora.errors import BadInputError
from anim2lora.lineart.strokes import stroke_width
from anim2lora.sample.cleanup import binarised, clean, desaturated, thinned, thinned_to, whiten_background
from anim2lora.sample.prompts import NEGATIVE, group_prompts, line_art_prompt
from anim2lora.sample.run import sample_line_art
from anim2lora.sample.settings import SampleSettings

STYLE = "lineart, monochrome, white background, simple background"


# --- the prompt ------------------------------------------------------------------------------

def test_the_prompt_starts_with_the_groups_pinned_tokens_and_ends_with_the_users_text(tmp_path):
    ds = drawn_dataset(tmp_path)
    assert line_art_prompt("A", "", ds) == f"A, {STYLE}"
    assert line_art_prompt("A+B", "sitting, smiling", ds) == f"A, B, 2people, {STYLE}, sitting, smiling"
    assert line_art_prompt("B + A", "", ds) == line_art_prompt("A+B", "", ds)      # the names, in any order
    assert line_art_prompt("", "a cat", ds) == f"{STYLE}, a cat"


def test_the_pinned_head_is_read_up_to_the_keep_tokens_separator(tmp_path):
    ds = drawn_dataset(tmp_path, separator="|||")
    assert line_art_prompt("A+B", "", ds) == f"A, B, 2people, {STYLE}"
    assert group_prompts(ds) == [("A", "A"), ("A+B", "A, B, 2people")]


def test_without_a_dataset_the_head_is_the_default_caption_head():
    assert line_art_prompt("B+A") == f"A, B, 2people, {STYLE}"
    assert line_art_prompt("A") == f"A, {STYLE}"


def test_an_unknown_group_is_refused_naming_the_datasets_groups(tmp_path):
    ds = drawn_dataset(tmp_path)          # groups A and A+B: B was never drawn alone
    for bad in ("B", "C", "A+C"):
        with pytest.raises(BadInputError) as caught:
            line_art_prompt(bad, "", ds)
        message = str(caught.value)
        assert message.startswith("characters:") and f"'{bad}'" in message and "A, A+B" in message


def test_the_default_negative_names_the_writeups_failures():
    for failure in ("color", "background", "text", "watermark", "signature", "multiple views", "extra limbs",
                    "missing arms", "merged heads", "thick lines"):
        assert failure in NEGATIVE
    assert SampleSettings().negative == NEGATIVE


# --- the clean-up ----------------------------------------------------------------------------

def _figure(background, ink, width=3, size=256) -> np.ndarray:
    """RGB: a head and a body outline in ``ink`` on ``background``."""
    img = np.full((size, size, 3), background, np.uint8)
    cv2.circle(img, (size // 2, size // 3), size // 8, ink, width, cv2.LINE_AA)
    cv2.rectangle(img, (size // 3, size // 2), (2 * size // 3, size - 20), ink, width, cv2.LINE_AA)
    return img


def _bars(width: int, size=128) -> np.ndarray:
    """RGB: black horizontal bars exactly ``width`` px thick on white."""
    img = np.full((size, size, 3), 255, np.uint8)
    for top in range(16, size - 16, 24):
        img[top:top + width, 10:size - 10] = 0
    return img


def test_a_coloured_background_becomes_pure_white_and_the_lines_stay():
    pink = _figure((255, 180, 200), (20, 20, 20))
    out = whiten_background(pink)
    ink = (_figure((255, 255, 255), (0, 0, 0)) < 128).all(axis=2)
    far = cv2.dilate(ink.astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
    assert (pink[far] != 255).any(axis=1).all() and (out[far] == 255).all()
    assert out[ink].max(axis=1).mean() < 60          # the strokes still dark


def test_desaturating_takes_every_colour_out():
    out = desaturated(_figure((40, 120, 255), (200, 20, 20)))
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()


def test_clean_by_default_gives_grey_lines_on_white():
    out = clean(_figure((120, 200, 255), (150, 0, 0)))
    assert (out[..., 0] == out[..., 2]).all()
    assert np.mean(out == 255) > 0.9 and out.min() < 100


def test_binarising_leaves_only_black_and_white():
    soft = cv2.GaussianBlur(_figure((230, 230, 230), (60, 60, 60)), (5, 5), 0)
    out = binarised(soft)
    assert set(np.unique(out)) == {0, 255}
    assert set(np.unique(clean(soft, binarise=True))) == {0, 255}


def test_thinning_narrows_six_px_lines_to_three():
    thick = _bars(6)
    assert stroke_width(thick[..., 0]) == pytest.approx(6, abs=0.5)
    assert stroke_width(thinned(thick, 3)[..., 0]) == pytest.approx(3, abs=0.5)
    assert stroke_width(thinned_to(thick, 3.0)[..., 0]) == pytest.approx(3, abs=0.5)
    assert stroke_width(clean(thick, white=False, thin=3)[..., 0]) == pytest.approx(3, abs=0.5)


def test_thinning_never_erases_a_line_nor_thickens_one():
    thin = _bars(2)
    out = thinned(thin, 4)
    assert (out[..., 0] < 128).sum() >= (thin[..., 0] < 128).sum() // 2 > 0     # its middle stays
    assert (thinned_to(thin, 5.0) == thin).all()


# --- headless sampling -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def backend():
    return tiny_backend()


def test_sampling_on_the_trainers_backend_gives_the_asked_pictures_deterministically(backend, tmp_path):
    ds = drawn_dataset(tmp_path)
    settings = SampleSettings(characters="A+B", prompt="standing", steps=2, width=64, height=48, batch_size=2)
    first = sample_line_art(backend, settings, ds)
    assert first.positive == f"A, B, 2people, {STYLE}, standing"
    assert first.raw.shape == first.cleaned.shape == (2, 48, 64, 3)
    assert first.raw.dtype == first.cleaned.dtype == np.uint8
    assert first.raw.std() > 0 and not (first.raw[0] == first.raw[1]).all()     # two pictures, not a NaN flat
    again = sample_line_art(backend, settings, ds)
    assert (again.raw == first.raw).all() and (again.cleaned == first.cleaned).all()
    other = sample_line_art(backend, SampleSettings(**{**settings.__dict__, "seed": 1}), ds)
    assert not (other.raw == first.raw).all()


def test_the_negative_and_cfg_change_the_pictures(backend):
    base = SampleSettings(characters="A", steps=2, width=64, height=64, cfg=7.0)
    plain = sample_line_art(backend, base).raw
    assert not (sample_line_art(backend, SampleSettings(**{**base.__dict__, "negative": ""})).raw == plain).all()
    assert not (sample_line_art(backend, SampleSettings(**{**base.__dict__, "cfg": 1.0})).raw == plain).all()


def test_an_sdxl_backend_samples_with_both_encoders_and_the_pictures_size_conditioning():
    from trainkit import tiny_sdxl_backend

    backend = tiny_sdxl_backend()
    seen = []
    real = backend.predict

    def predict(noisy, timesteps, cond):
        seen.append(cond)
        return real(noisy, timesteps, cond)

    backend.predict = predict
    drawn = sample_line_art(backend, SampleSettings(characters="A", steps=2, width=64, height=48, batch_size=2))
    assert drawn.raw.shape == (2, 48, 64, 3) and drawn.raw.std() > 0
    assert len(seen) == 2
    cond = seen[0]
    # CLIP-L's and CLIP-G's states side by side (32 + 32 wide), CLIP-G's pooled projection, and per
    # picture of the cfg batch (negative, then positive) its own size uncropped: (h, w, top, left, h, w)
    assert cond.context.shape == (4, 77, 64) and cond.pooled.shape == (4, 32)
    assert cond.sizes.tolist() == [[48.0, 64.0, 0.0, 0.0, 48.0, 64.0]] * 4


def test_size_0_is_the_models_own_size():
    from anim2lora.train import sd15, sdxl

    assert SampleSettings().size(sdxl.FAMILY.resolution) == (1024, 1024)
    assert SampleSettings().size(sd15.FAMILY.resolution) == (512, 512)
    assert SampleSettings(width=768).size(sdxl.FAMILY.resolution) == (768, 1024)


@pytest.mark.parametrize("bad", [dict(steps=0), dict(width=8), dict(height=15), dict(batch_size=0), dict(thin=-1)])
def test_bad_settings_name_the_field(bad):
    with pytest.raises(BadInputError) as caught:
        SampleSettings(**bad)
    assert next(iter(bad)) in str(caught.value)


# --- the node --------------------------------------------------------------------------------

def test_the_node_lists_its_inputs_with_tooltips_and_defaults(pack):
    cls = pack.NODE_CLASS_MAPPINGS["LineArtSampler"]
    spec = cls.INPUT_TYPES()
    required, optional = spec["required"], spec["optional"]
    assert list(required)[:3] == ["model", "clip", "vae"] and optional["dataset"][0] == "A2L_DATASET"
    assert all(entry[1].get("tooltip") for entry in {**required, **optional}.values())
    defaults = widget_defaults(cls)
    d = SampleSettings()
    assert {k: defaults[k] for k in d.__dict__} == d.__dict__
    assert defaults["lora_name"] == "None" and required["lora_name"][0][0] == "None"
    assert defaults["sampler_name"] in required["sampler_name"][0]
    assert defaults["scheduler"] in required["scheduler"][0]
    assert cls.RETURN_TYPES == ("IMAGE", "IMAGE", "STRING") and cls.CATEGORY == "anim2lora/sample"


def test_the_node_lists_the_loras_folder(pack, host_dirs, tmp_path):
    bridge = sys.modules[pack.__name__ + ".nodes.bridge"]
    loras = tmp_path / "loras"
    loras.mkdir()
    (loras / "mine.safetensors").write_bytes(b"")
    bridge.configure(loras_dir=loras)
    assert pack.NODE_CLASS_MAPPINGS["LineArtSampler"].INPUT_TYPES()["required"]["lora_name"][0] == \
        ["None", "mine.safetensors"]


def test_the_node_refuses_unknown_characters_and_a_missing_host_before_sampling(pack, host_dirs, tmp_path):
    cls = pack.NODE_CLASS_MAPPINGS["LineArtSampler"]
    settings = widget_defaults(cls)
    with pytest.raises(Exception, match="characters: 'C'.*its groups: A, A\\+B") as caught:
        cls().sample(model=None, clip=None, vae=None, dataset=drawn_dataset(tmp_path), **{**settings, "characters": "C"})
    assert type(caught.value).__name__ == "BadInputError"
    with pytest.raises(Exception, match="needs ComfyUI"):
        cls().sample(model=None, clip=None, vae=None, **settings)


# --- a LoRA file merged for sampling without a host -----------------------------------------------

def test_a_merged_lora_file_draws_as_the_model_it_was_trained_on(tmp_path):
    """train() leaves its LoRA layers in the backend; the file it wrote, merged into a fresh copy of
    the same base model, gives the same UNet and text-encoder outputs (to the file's fp16) and the
    same pictures."""
    import torch

    from anim2lora.sample.lora import merge_lora
    from anim2lora.train.loop import train
    from anim2lora.train.settings import TrainSettings

    trained = tiny_backend()
    dataset = drawn_dataset(tmp_path / "d")
    settings = TrainSettings(resolution=256, rank=4, alpha=2.0, epochs=1, warmup_steps=0, lr_scheduler="constant",
                             gradient_checkpointing=False, min_snr_gamma=0.0, unet_lr=5e-3, text_encoder_lr=5e-3)
    result = train(trained, dataset, settings, tmp_path / "loras" / "mine.safetensors")
    merged, base = tiny_backend(), tiny_backend()
    assert merge_lora(merged, result.lora) == result.modules["unet"] + result.modules["text_encoder"]

    g = torch.Generator().manual_seed(5)
    x, cond = torch.randn((1, 4, 8, 8), generator=g), torch.randn((1, 77, 32), generator=g)
    ids = trained.tokenizer(["A, B, 2people"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        unet = {k: b.unet(x, torch.tensor([500]), encoder_hidden_states=cond).sample
                for k, b in (("trained", trained), ("merged", merged), ("base", base))}
        te = {k: b.text_encoder(ids).last_hidden_state for k, b in (("trained", trained), ("merged", merged))}
    assert (unet["trained"] - unet["base"]).abs().max() > 1e-3, "training changed the model"
    assert torch.allclose(unet["merged"], unet["trained"], atol=2e-3), (unet["merged"] - unet["trained"]).abs().max()
    assert torch.allclose(te["merged"], te["trained"], atol=2e-3), (te["merged"] - te["trained"]).abs().max()

    ask = SampleSettings(characters="A", steps=3, width=64, height=64, batch_size=2)
    drawn = {k: sample_line_art(b, ask, dataset).raw.astype(int) for k, b in (("trained", trained), ("merged", merged))}
    assert drawn["merged"].shape == (2, 64, 64, 3)
    assert np.abs(drawn["merged"] - drawn["trained"]).max() <= 2


def test_a_lora_of_another_model_is_refused_naming_a_module(tmp_path):
    import torch
    from safetensors.torch import save_file

    from anim2lora.sample.lora import merge_lora

    path = tmp_path / "other.safetensors"
    save_file({"lora_unet_not_here.lora_down.weight": torch.zeros(4, 8),
               "lora_unet_not_here.lora_up.weight": torch.zeros(8, 4)}, str(path))
    with pytest.raises(BadInputError, match="1 of its 1 modules are not in this checkpoint.*lora_unet_not_here"):
        merge_lora(tiny_backend(), path)
    (tmp_path / "broken.safetensors").write_bytes(b"not a file")
    with pytest.raises(BadInputError, match="broken.safetensors: cannot read it"):
        merge_lora(tiny_backend(), tmp_path / "broken.safetensors")
