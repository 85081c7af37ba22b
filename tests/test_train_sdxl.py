"""SDXL-family training on tiny SDXL-shaped random diffusers models (two text encoders, the
``text_time`` added conditioning; CPU, seconds): what the SD1.5 tests hold, plus kohya's SDXL
conditioning, names and metadata, and v-prediction on the zero-terminal-SNR schedule."""

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from anim2lora.errors import CancelledError
from anim2lora.train import adapters
from anim2lora.train.data import Item, items_of, load_pixels, no_upscale_bucket
from anim2lora.train.family import zero_terminal_snr
from anim2lora.train.loop import train
from anim2lora.train.objective import add_noise, loss, target
from anim2lora.train.sdxl import CONFIG_DIR, FAMILY, SdxlDiffusersBackend, crop_left_top, sgm_path
from anim2lora.train.settings import TrainSettings

from test_train_loop import _CancelAt
from trainkit import drawn_dataset, tiny_sdxl_backend

FAST = dict(resolution=256, rank=4, alpha=2.0, epochs=1, warmup_steps=0, lr_scheduler="constant",
            gradient_checkpointing=False, min_snr_gamma=0.0)
KOHYA_NAMES = Path(__file__).parent / "data" / "kohya_sdxl_lora_names.json"


def _settings(**kw):
    return TrainSettings(**{**FAST, **kw})


def _layers(backend):
    out = {name: backend.unet.get_submodule(p) for name, p in backend.unet_targets().items()}
    for encoder, paths in backend.text_encoders():
        out.update({name: encoder.get_submodule(p) for name, p in paths.items()})
    return out


def test_the_loss_falls_on_a_fixed_batch(tmp_path):
    dataset = drawn_dataset(tmp_path / "d", sizes=((64, 64),), repeats=(60, 1))
    dataset.subsets = dataset.subsets[:1]
    backend = tiny_sdxl_backend(attention_first=True)     # at 8x8 latents SDXL's own layout adapts only 4x4
    backend.begin(torch.float32, False)
    item = items_of(dataset, 256)[0]
    latents = backend.encode_images(torch.from_numpy(load_pixels(item))[None])
    cond = backend.encode_text([item.caption], 2, FAMILY.item_sizes([item]))
    ac = backend.alphas_cumprod

    def fixed_loss():
        g = torch.Generator().manual_seed(123)
        total = 0.0
        with torch.no_grad():
            for _ in range(6):
                noise = torch.randn(latents.shape, generator=g)
                t = torch.randint(0, 1000, (1,), generator=g)
                pred = backend.predict(add_noise(latents, noise, t, ac), t, cond)
                total += float(loss(pred, target(latents, noise, t, ac, "epsilon"), t, ac, "epsilon", 0))
        return total / 6

    before = fixed_loss()
    result = train(backend, dataset, _settings(unet_lr=1e-2, text_encoder_lr=0.0, shuffle_caption=False),
                   tmp_path / "loras" / "fall.safetensors")
    after = fixed_loss()
    assert result.steps == 60 and result.modules["text_encoder"] == 0
    assert after < 0.7 * before, (before, after)


def _unet_outputs(unet, seed=5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((1, 4, 8, 8), generator=g)
    added = {"text_embeds": torch.randn((1, 32), generator=g), "time_ids": torch.tensor([[96., 64., 0., 8., 64., 64.]])}
    with torch.no_grad():
        return unet(x, torch.tensor([500]), encoder_hidden_states=torch.randn((1, 77, 64), generator=g),
                    added_cond_kwargs=added).sample


def test_the_file_reproduces_the_trained_unet_and_both_encoders_in_diffusers(tmp_path):
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline

    backend = tiny_sdxl_backend()
    result = train(backend, drawn_dataset(tmp_path / "d"), _settings(unet_lr=5e-3, text_encoder_lr=5e-3),
                   tmp_path / "loras" / "xl.safetensors")
    ids = [tok(["A, B, 2people"], padding="max_length", max_length=77, return_tensors="pt").input_ids
           for tok in (backend.tokenizer, backend.tokenizer_2)]

    def outputs(unet, te1, te2):
        with torch.no_grad():
            return (_unet_outputs(unet), te1(ids[0], output_hidden_states=True).hidden_states[-2],
                    te2(ids[1], output_hidden_states=True).hidden_states[-2])

    trained = outputs(backend.unet, backend.text_encoder, backend.text_encoder_2)
    fresh = tiny_sdxl_backend()
    base = outputs(fresh.unet, fresh.text_encoder, fresh.text_encoder_2)
    pipe = StableDiffusionXLPipeline(vae=fresh.vae, text_encoder=fresh.text_encoder,
                                     text_encoder_2=fresh.text_encoder_2, tokenizer=fresh.tokenizer,
                                     tokenizer_2=fresh.tokenizer_2, unet=fresh.unet,
                                     scheduler=EulerDiscreteScheduler())
    pipe.load_lora_weights(str(result.lora))
    loaded = outputs(pipe.unet, pipe.text_encoder, pipe.text_encoder_2)
    for part, got, want, before in zip(("UNet", "CLIP-L", "CLIP-G"), loaded, trained, base):
        assert (want - before).abs().max() > 1e-3, f"training changed the {part}"
        # the file is fp16: agreement to fp16 rounding of the LoRA's weights
        assert torch.allclose(got, want, atol=2e-3), (part, (got - want).abs().max())


def test_the_full_size_module_names_are_those_kohyas_own_code_creates():
    """kohya_sdxl_lora_names.json lists the modules kohya's networks/lora.py creates on its own
    SDXL UNet and CLIP encoders (derived by running it, see data/derive_kohya_sdxl_names.py)."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from anim2lora.train import sd15

    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(str(CONFIG_DIR), subfolder="unet"))
        te1 = CLIPTextModel(CLIPTextConfig.from_pretrained(str(sd15.CONFIG_DIR / "text_encoder")))
        te2 = CLIPTextModelWithProjection(CLIPTextConfig.from_pretrained(str(CONFIG_DIR / "text_encoder_2")))
    backend = SdxlDiffusersBackend(unet, None, te1, te2)
    ours = set(backend.unet_targets()) | {name for _, paths in backend.text_encoders() for name in paths}
    kohya = set(json.loads(KOHYA_NAMES.read_text()))
    assert len(kohya) == 986
    assert ours == kohya, (sorted(ours - kohya)[:5], sorted(kohya - ours)[:5])


def test_the_file_has_kohyas_sdxl_names_alpha_and_metadata(tmp_path):
    backend = tiny_sdxl_backend()
    result = train(backend, drawn_dataset(tmp_path / "d"), _settings(), tmp_path / "loras" / "m.safetensors")
    with safe_open(str(result.lora), "pt") as f:
        keys, meta = set(f.keys()), f.metadata()
        alphas = {float(f.get_tensor(k)) for k in keys if k.endswith(".alpha")}
    modules = {k.split(".")[0] for k in keys}
    by_prefix = {p: {m for m in modules if m.startswith(p + "_")} for p in ("lora_unet", "lora_te1", "lora_te2")}
    assert [len(v) for v in by_prefix.values()] == [132, 18, 18] and len(modules) == 168
    assert "lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k" in modules
    assert "lora_unet_output_blocks_2_1_proj_out" in modules and "lora_unet_middle_block_1_proj_in" in modules
    assert "lora_te2_text_model_encoder_layers_2_mlp_fc2" in modules
    assert alphas == {2.0} and len(keys) == 3 * len(modules)
    assert meta["ss_base_model_version"] == "sdxl_base_v1-0"
    assert meta["modelspec.architecture"] == "stable-diffusion-xl-v1-base/lora"
    assert meta["ss_clip_skip"] == "None" and meta["ss_v2"] == "False" and meta["ss_network_module"] == "networks.lora"
    assert meta["ss_network_dim"] == "4" and meta["ss_network_alpha"] == "2.0"
    assert meta["ss_v_parameterization"] == "False" and meta["ss_zero_terminal_snr"] == "False"


def test_size_conditioning_per_bucket_is_kohyas():
    # kohya's BucketManager.get_crop_ltrb, worked by hand: a 1200x800 picture in a 1216x832
    # bucket is fitted to 1216x810.67 -> crop top (832-810.67)//2 = 10, left 0
    assert crop_left_top((1216, 832), (1200, 800)) == (0, 10)
    assert crop_left_top((832, 1216), (800, 1200)) == (10, 0)
    assert crop_left_top((1024, 1024), (1024, 1024)) == (0, 0)
    bucket, resized = no_upscale_bucket(1500, 1000, 1024)
    item = Item(0, Path("x.png"), "A", 1, "A", bucket, resized, (1500, 1000))
    left, top = crop_left_top(bucket, (1500, 1000))
    assert FAMILY.item_sizes([item]) == [(1000, 1500, top, left, bucket[1], bucket[0])]
    assert FAMILY.picture_sizes(1024, 768, 2) == [(768, 1024, 0, 0, 768, 1024)] * 2


def test_each_step_conditions_on_its_pictures_sizes(tmp_path):
    backend = tiny_sdxl_backend()
    seen = []
    real = backend.predict

    def spy(noisy, timesteps, cond):
        seen.append((tuple(noisy.shape[-2:]), cond.sizes.tolist(), tuple(cond.context.shape), tuple(cond.pooled.shape)))
        return real(noisy, timesteps, cond)

    backend.predict = spy
    train(backend, drawn_dataset(tmp_path / "d", sizes=((64, 64), (128, 64))), _settings(text_encoder_lr=0.0),
          tmp_path / "loras" / "s.safetensors")
    by_shape = {shape: sizes[0] for shape, sizes, _, _ in seen}
    assert by_shape == {(8, 8): [64, 64, 0, 0, 64, 64], (8, 16): [64, 128, 0, 0, 64, 128]}
    assert {(c, p) for _, _, c, p in seen} == {((1, 77, 64), (1, 32))}


def test_the_conditioning_is_kohyas_penultimate_states_and_pooled_projection():
    backend = tiny_sdxl_backend()
    captions = ["A, B, 2people, lineart", ""]
    cond = backend.encode_text(captions, 2, FAMILY.picture_sizes(64, 64, 2))
    ids1 = backend.tokenizer(captions, padding="max_length", max_length=77, return_tensors="pt").input_ids
    ids2 = backend.tokenizer_2(captions, padding="max_length", max_length=77, return_tensors="pt").input_ids
    assert ids2[1, 2:].eq(0).all() and ids1[1, 2:].eq(49407).all(), "CLIP-G pads with '!', CLIP-L with end-of-text"
    with torch.no_grad():
        h1 = backend.text_encoder(ids1, output_hidden_states=True).hidden_states[-2]
        out2 = backend.text_encoder_2(ids2, output_hidden_states=True)
        first_eos = [list(row).index(49407) for row in ids2.tolist()]
        pooled = backend.text_encoder_2.text_projection(out2.last_hidden_state[[0, 1], first_eos])
    assert torch.allclose(cond.context, torch.cat([h1, out2.hidden_states[-2]], -1), atol=1e-6)
    assert torch.allclose(cond.pooled, pooled, atol=1e-6)


def test_zero_terminal_snr_and_v_prediction_follow_their_formulas(tmp_path):
    ac = FAMILY.alphas_cumprod()
    z = zero_terminal_snr(ac)
    root, zroot = ac.sqrt(), z.sqrt()
    # Lin et al.: sqrt(ᾱ) shifted to end at 0 and scaled to keep its start, a linear map of the old
    expected = (root - root[-1]) * root[0] / (root[0] - root[-1])
    assert float(z[-1]) == 0.0 and abs(float(z[0] - ac[0])) < 1e-6
    assert torch.allclose(zroot, expected, atol=1e-5)
    x0, noise, t = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8), torch.tensor([999, 10])
    v = target(x0, noise, t, z, "v_prediction")
    assert torch.allclose(v[0], -x0[0]), "at the last step v is the negated picture"
    a = z[10]
    assert torch.allclose(v[1], a.sqrt() * noise[1] - (1 - a).sqrt() * x0[1])
    pred = torch.zeros_like(x0)
    assert torch.isfinite(loss(pred, v, t, z, "v_prediction", 5.0)), "min-SNR's v weight is finite at SNR 0"

    backend = tiny_sdxl_backend()
    seen = []
    real = backend.predict
    backend.predict = lambda noisy, timesteps, cond: seen.append(timesteps) or real(noisy, timesteps, cond)
    result = train(backend, drawn_dataset(tmp_path / "d"), _settings(prediction="v_prediction_zsnr"),
                   tmp_path / "loras" / "v.safetensors")
    with safe_open(str(result.lora), "pt") as f:
        meta = f.metadata()
    assert result.prediction == "v_prediction" and seen
    assert meta["ss_v_parameterization"] == "True" and meta["ss_zero_terminal_snr"] == "True"


def test_a_zsnr_checkpoint_trains_on_the_zsnr_schedule_by_itself(tmp_path, monkeypatch):
    import anim2lora.train.loop as loop

    backend = tiny_sdxl_backend(prediction_type="v_prediction")
    backend.zero_terminal_snr = True          # what load_sdxl sets for a v_pred + ztsnr checkpoint
    used = []
    real = loop.target
    monkeypatch.setattr(loop, "target", lambda x, n, t, ac, p: used.append((ac, p)) or real(x, n, t, ac, p))
    train(backend, drawn_dataset(tmp_path / "d"), _settings(max_steps=1), tmp_path / "loras" / "z.safetensors")
    ac, prediction = used[0]
    assert prediction == "v_prediction" and float(ac[-1]) == 0.0


def test_cancel_then_resume_gives_the_unbroken_runs_weights(tmp_path):
    settings = _settings(epochs=2, batch_size=2, unet_lr=1e-3, text_encoder_lr=1e-3, caption_tag_dropout=0.3)
    dataset = drawn_dataset(tmp_path / "d")
    whole = tiny_sdxl_backend()
    done = train(whole, dataset, settings, tmp_path / "whole" / "w.safetensors")
    reference = adapters.weights(_layers(whole))

    broken = tiny_sdxl_backend()
    state = tmp_path / "state"
    with pytest.raises(CancelledError):
        train(broken, dataset, settings, tmp_path / "loras" / "r.safetensors", state_dir=state, progress=_CancelAt(2))
    again = tiny_sdxl_backend()
    resumed = train(again, dataset, settings, tmp_path / "loras" / "r.safetensors", state_dir=state)
    assert resumed.resumed_from == 2 and resumed.steps == done.steps
    got = adapters.weights(_layers(again))
    assert got.keys() == reference.keys() and any(k.startswith("lora_te2_") for k in got)
    for k in reference:
        assert torch.allclose(got[k], reference[k], atol=1e-6), k


def test_resolution_0_trains_at_the_familys_own_size(tmp_path):
    backend = tiny_sdxl_backend()
    result = train(backend, drawn_dataset(tmp_path / "d", sizes=((64, 64),)), _settings(resolution=0, max_steps=1),
                   tmp_path / "loras" / "r0.safetensors")
    with safe_open(str(result.lora), "pt") as f:
        assert f.metadata()["ss_resolution"] == "(1024, 1024)"
    assert result.resolution == 1024 and result.family == "SDXL"


# --- single files and the command line ----------------------------------------------------------

def _keys_file(path, shapes):
    from safetensors.torch import save_file

    save_file({k: torch.zeros(s) for k, s in shapes.items()}, str(path))
    return path


@pytest.mark.parametrize("shapes,named", [
    ({"cond_stage_model.model.token_embedding.weight": (2, 2)}, "an SD2.x checkpoint"),
    ({"model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight": (2, 2)}, "an SD3 checkpoint"),
    ({"double_blocks.0.img_attn.qkv.weight": (2, 2)}, "a Flux model"),
    ({"conditioner.embedders.0.model.token_embedding.weight": (2, 2)}, "an SDXL refiner checkpoint"),
])
def test_other_families_are_named_as_not_supported_yet(tmp_path, shapes, named):
    from anim2lora.errors import BadInputError
    from anim2lora.train.family import load_backend

    with pytest.raises(BadInputError) as e:
        load_backend(_keys_file(tmp_path / "other.safetensors", shapes))
    assert f"other.safetensors is {named}; Anim2LoRA trains SD1.5 and SDXL-family" in e.value.message
    assert "not supported yet" in e.value.hint


def test_an_sdxl_file_is_read_as_sdxl_and_a_part_missing_is_named(tmp_path):
    from anim2lora.errors import BadInputError
    from anim2lora.train.family import detect, load_backend

    shapes = {"model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": (640, 2048),
              "conditioner.embedders.1.model.positional_embedding": (77, 1280),
              "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight": (768,)}
    assert detect(Path("x"), shapes) is FAMILY
    with pytest.raises(BadInputError, match="has no VAE weights; Anim2LoRA needs a full SDXL checkpoint"):
        load_backend(_keys_file(tmp_path / "partial.safetensors", shapes))


@pytest.mark.skipif(not (os.environ.get("A2L_SDXL_CHECKPOINT") or os.environ.get("RANDOM_SDXL")),
                    reason="set A2L_SDXL_CHECKPOINT (or RANDOM_SDXL) to a single-file SDXL checkpoint (7 GB) to "
                           "load one")
def test_a_full_size_sdxl_checkpoint_loads_every_weight_with_the_shipped_configs():
    from anim2lora.train.family import load_backend

    path = os.environ.get("A2L_SDXL_CHECKPOINT") or os.environ["RANDOM_SDXL"]
    backend = load_backend(path, dtype=torch.bfloat16)        # bf16: one 7 GB copy in memory
    assert isinstance(backend, SdxlDiffusersBackend) and backend.family is FAMILY
    params = {name: sum(p.numel() for p in m.parameters()) for name, m in (
        ("unet", backend.unet), ("vae", backend.vae), ("te1", backend.text_encoder), ("te2", backend.text_encoder_2))}
    assert params == {"unet": 2_567_463_684, "vae": 83_653_863, "te1": 123_060_480, "te2": 694_659_840}
    assert set(backend.unet_targets()) | set(backend.text_encoder_targets()) == set(json.loads(KOHYA_NAMES.read_text()))
    with torch.no_grad():
        cond = backend.encode_text(["1girl, lineart"], 2, FAMILY.picture_sizes(1024, 1024, 1))
    assert cond.context.shape == (1, 77, 2048) and cond.pooled.shape == (1, 1280)
