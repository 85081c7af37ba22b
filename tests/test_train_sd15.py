"""Single-file SD1.5 loading, offline.  CI has no SD1.5 checkpoint (2 GB), so the conversion is
checked on a tiny model of SD1.5's exact layout (same key names, small widths) written in the
single-file layout here; the full-size file is loaded only when A2L_SD15_CHECKPOINT names one."""

import json
import os
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from anim2lora.errors import BadInputError  # noqa: E402
from anim2lora.train import sd15  # noqa: E402

# Ids from OpenAI CLIP's own tokenizer (open_clip's copy of simple_tokenizer.py, same merges).
KNOWN_IDS = {
    "a photo of a cat": [49406, 320, 1125, 539, 320, 2368, 49407],
    "1girl, solo, long hair, smile": [49406, 272, 1611, 267, 5797, 267, 1538, 2225, 267, 3490, 49407],
    "lineart, monochrome, white background": [49406, 3674, 794, 267, 25576, 267, 1579, 5994, 49407],
    "It's 2 o'clock!": [49406, 585, 568, 273, 334, 262, 6716, 256, 49407],
    "café": [49406, 15304, 49407],
    "日本": [49406, 39121, 19277, 361, 49407],
}
SD15_PARAMS = {"unet": 859_520_964, "vae": 83_653_863, "text_encoder": 123_060_480}


# --- tokenizer and configs: no model needed ---------------------------------------------------

def test_tokenizer_gives_clip_ids():
    tok = sd15.clip_tokenizer()
    assert sd15.clip_tokenizer() is tok
    for text, ids in KNOWN_IDS.items():
        assert tok(text).input_ids == ids, text
    assert len(tok) == 49408 and tok.model_max_length == 77
    assert (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) == (49406, 49407, 49407)
    padded = tok("a cat " * 100, padding="max_length", max_length=77, truncation=True).input_ids
    assert len(padded) == 77 and padded[0] == 49406 and padded[-1] == 49407
    assert tok("a cat", padding="max_length", max_length=77).input_ids[4:] == [49407] * 73


def test_configs_are_sd15():
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = str(sd15.CONFIG_DIR)
    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder, subfolder="unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder, subfolder="vae"))
        text_encoder = CLIPTextModel(CLIPTextConfig.from_pretrained(str(sd15.CONFIG_DIR / "text_encoder")))
    assert (unet.config.cross_attention_dim, unet.config.in_channels, unet.config.out_channels) == (768, 4, 4)
    assert (vae.config.latent_channels, vae.config.scaling_factor) == (4, 0.18215)
    tc = text_encoder.config
    assert (tc.num_hidden_layers, tc.hidden_size, tc.max_position_embeddings, tc.vocab_size) == (12, 768, 77, 49408)
    for part, model in (("unet", unet), ("vae", vae), ("text_encoder", text_encoder)):
        assert sum(p.numel() for p in model.parameters()) == SD15_PARAMS[part], part

    scheduler = DDPMScheduler.from_pretrained(folder, subfolder="scheduler")
    assert torch.equal(scheduler.alphas_cumprod, sd15.alphas_cumprod())
    assert sd15.alphas_cumprod().shape == (1000,)
    assert sd15.alphas_cumprod()[0].item() == pytest.approx(1 - 0.00085)
    assert json.loads((sd15.CONFIG_DIR / "model_index.json").read_text())["unet"][1] == "UNet2DConditionModel"


# --- a tiny single-file checkpoint of SD1.5's layout ------------------------------------------

def _wb(prefix, *modules):
    return [f"{prefix}.{m}.{w}" for m in modules for w in ("weight", "bias")]


def ldm_unet_names():
    """The single-file (openaimodel) UNet keys of SD1.5's layout: 4 levels of 2 res blocks,
    cross-attention on the first three, channels a, 2a, 4a, 4a."""
    def res(p, skip):
        return _wb(p, "in_layers.0", "in_layers.2", "emb_layers.1", "out_layers.0", "out_layers.3",
                   *(("skip_connection",) if skip else ()))

    def attn(p):
        t = f"{p}.transformer_blocks.0"
        return (_wb(p, "norm", "proj_in", "proj_out") + _wb(t, "norm1", "norm2", "norm3", "ff.net.0.proj", "ff.net.2")
                + [f"{t}.{a}.to_{x}.weight" for a in ("attn1", "attn2") for x in "qkv"]
                + _wb(t, "attn1.to_out.0", "attn2.to_out.0"))

    names = _wb("time_embed", "0", "2") + _wb("input_blocks.0", "0") + _wb("out", "0", "2")
    block = 1
    for level in range(4):
        for i in range(2):
            names += res(f"input_blocks.{block}.0", skip=level in (1, 2) and i == 0)
            names += attn(f"input_blocks.{block}.1") if level < 3 else []
            block += 1
        if level < 3:
            names += _wb(f"input_blocks.{block}.0", "op")
            block += 1
    names += res("middle_block.0", False) + attn("middle_block.1") + res("middle_block.2", False)
    for level in range(4):              # deepest first, and no attention there
        for i in range(3):
            b = level * 3 + i
            names += res(f"output_blocks.{b}.0", True)
            names += attn(f"output_blocks.{b}.1") if level else []
            names += _wb(f"output_blocks.{b}.{2 if level else 1}", "conv") if i == 2 and level < 3 else []
    return names


def ldm_vae_names():
    """The single-file KL-f8 VAE keys: 4 levels, channels a, 2a, 4a, 4a."""
    def res(p, shortcut):
        return _wb(p, "norm1", "conv1", "norm2", "conv2", *(("nin_shortcut",) if shortcut else ()))

    def mid(p):
        return (res(f"{p}.mid.block_1", False) + _wb(f"{p}.mid.attn_1", "norm", "q", "k", "v", "proj_out")
                + res(f"{p}.mid.block_2", False))

    names = _wb("encoder", "conv_in", "norm_out", "conv_out") + _wb("decoder", "conv_in", "norm_out", "conv_out")
    names += ["quant_conv.weight", "quant_conv.bias", "post_quant_conv.weight", "post_quant_conv.bias"]
    for level in range(4):
        for i in range(2):
            names += res(f"encoder.down.{level}.block.{i}", level in (1, 2) and i == 0)
        names += _wb(f"encoder.down.{level}.downsample", "conv") if level < 3 else []
        for i in range(3):              # decoder level 0 is the narrowest
            names += res(f"decoder.up.{level}.block.{i}", level in (0, 1) and i == 0)
        names += _wb(f"decoder.up.{level}.upsample", "conv") if level > 0 else []
    return names + mid("encoder") + mid("decoder")


TINY = {
    "unet": {"block_out_channels": [8, 16, 32, 32], "norm_num_groups": 4, "cross_attention_dim": 16,
             "attention_head_dim": 2, "sample_size": 8},
    "vae": {"block_out_channels": [8, 16, 32, 32], "norm_num_groups": 4, "sample_size": 32},
    "text_encoder": {"hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2,
                     "projection_dim": 16},
}


def _to_ldm(prefix, names, weights, convert, config):
    """``weights`` (diffusers names) under their single-file names, found by running diffusers'
    own converter over one marker tensor per single-file name."""
    markers = {prefix + n: torch.zeros(1, 1, 1, 1) for n in names}   # 4-D: the VAE converter slices conv attention
    owner = {m.untyped_storage().data_ptr(): n for n, m in markers.items()}
    converted = convert(markers, config)
    assert set(converted) == set(weights), "the single-file names above no longer cover the model"
    out = {}
    for key, marker in converted.items():
        name = owner[marker.untyped_storage().data_ptr()]
        conv_attention = ".mid.attn_1." in name and name.endswith(("q.weight", "k.weight", "v.weight", "out.weight"))
        out[name] = weights[key][..., None, None] if conv_attention else weights[key]
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(config folder, single-file state dict, the diffusers/transformers models it was made from)."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders import single_file_utils as sfu
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = tmp_path_factory.mktemp("tiny") / "sd15_config"
    shutil.copytree(sd15.CONFIG_DIR, folder)
    for part, changes in TINY.items():
        config = json.loads((folder / part / "config.json").read_text())
        (folder / part / "config.json").write_text(json.dumps({**config, **changes}))
    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(str(folder), subfolder="unet")).eval()
    vae = AutoencoderKL.from_config(AutoencoderKL.load_config(str(folder), subfolder="vae")).eval()
    text_encoder = CLIPTextModel(CLIPTextConfig.from_pretrained(str(folder / "text_encoder"))).eval()
    state = {}
    state.update(_to_ldm(sd15.UNET, ldm_unet_names(), unet.state_dict(), sfu.convert_ldm_unet_checkpoint,
                         dict(unet.config)))
    state.update(_to_ldm(sd15.VAE, ldm_vae_names(), vae.state_dict(), sfu.convert_ldm_vae_checkpoint,
                         dict(vae.config)))
    prefix = sd15.CLIP if hasattr(text_encoder, "text_model") else sd15.CLIP + "text_model."
    state.update({prefix + k: v for k, v in text_encoder.state_dict().items()})
    # Old checkpoints carry this buffer; it must be accepted whatever the transformers version.
    state[sd15.CLIP + "text_model.embeddings.position_ids"] = torch.arange(77)[None]
    return folder, state, {"unet": unet, "vae": vae, "text_encoder": text_encoder}


@pytest.fixture
def tiny_config(tiny, monkeypatch):
    monkeypatch.setattr(sd15, "CONFIG_DIR", tiny[0])
    return tiny


def _save(path: Path, state, metadata=None):
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata=metadata)
    else:
        torch.save({"global_step": 1, "state_dict": state}, str(path))
    return path


def _same_weights(loaded, original, stored, dtype):
    """``loaded`` holds ``original``'s weights as stored in the file, then cast to ``dtype``."""
    ref = original.state_dict()
    got = loaded.state_dict()
    assert got.keys() == ref.keys()
    for k in ref:
        expected = ref[k].to(stored).to(dtype) if ref[k].is_floating_point() else ref[k]
        assert torch.equal(got[k], expected), k


@pytest.mark.parametrize("suffix,stored,dtype", [(".safetensors", torch.float16, torch.float32),
                                                 (".ckpt", torch.float32, torch.float32),
                                                 (".safetensors", torch.float32, torch.bfloat16)])
def test_tiny_single_file_loads_exactly(tiny_config, tmp_path, suffix, stored, dtype):
    _, state, models = tiny_config
    stored_state = {k: v.to(stored) if v.is_floating_point() else v for k, v in state.items()}
    path = _save(tmp_path / f"tiny{suffix}", stored_state)
    parts = sd15.load_sd15(path, dtype=dtype)
    for part in ("unet", "vae", "text_encoder"):
        model = getattr(parts, part)
        assert not model.training
        assert not any(t.is_meta for t in [*model.parameters(), *model.buffers()]), part
        _same_weights(model, models[part], stored, dtype)
    assert parts.prediction_type == "epsilon"
    assert torch.equal(parts.alphas_cumprod, sd15.alphas_cumprod())
    assert parts.tokenizer("a photo of a cat").input_ids == KNOWN_IDS["a photo of a cat"]

    with torch.no_grad():
        ids = parts.tokenizer(["a cat"], padding="max_length", max_length=77, return_tensors="pt").input_ids
        context = parts.text_encoder(ids).last_hidden_state
        noise = parts.unet(torch.randn(1, 4, 16, 16, dtype=dtype), torch.tensor([10]),
                           encoder_hidden_states=context).sample
        latents = parts.vae.encode(torch.randn(1, 3, 32, 32, dtype=dtype)).latent_dist.mean
    assert context.shape == (1, 77, 16) and noise.shape == (1, 4, 16, 16) and latents.shape == (1, 4, 4, 4)
    assert torch.isfinite(noise).all()


def test_prediction_type(tiny_config, tmp_path):
    _, state, _ = tiny_config
    plain = _save(tmp_path / "plain.safetensors", state)
    assert sd15.load_sd15(plain, prediction_type="v_prediction").prediction_type == "v_prediction"
    assert sd15.load_sd15(_save(tmp_path / "marked.safetensors", {**state, "v_pred": torch.tensor([])})
                          ).prediction_type == "v_prediction"
    assert sd15.load_sd15(_save(tmp_path / "spec.safetensors", state, {"modelspec.prediction_type": "v"})
                          ).prediction_type == "v_prediction"
    plain.with_suffix(".yaml").write_text("model:\n  params:\n    parameterization: \"v\"\n")
    assert sd15.load_sd15(plain).prediction_type == "v_prediction"
    assert sd15.load_sd15(plain, prediction_type="epsilon").prediction_type == "epsilon"
    plain.with_suffix(".yaml").write_text("model: [unclosed\n")
    with pytest.raises(BadInputError, match="plain.yaml"):
        sd15.load_sd15(plain)
    with pytest.raises(BadInputError, match="prediction type"):
        sd15.load_sd15(plain, prediction_type="v")


def test_incomplete_checkpoint_is_named(tiny_config, tmp_path):
    _, state, _ = tiny_config
    no_vae = {k: v for k, v in state.items() if not k.startswith(sd15.VAE)}
    with pytest.raises(BadInputError, match="no VAE"):
        sd15.load_sd15(_save(tmp_path / "novae.safetensors", no_vae))
    damaged = {k: v for k, v in state.items() if not k.endswith("output_blocks.5.1.proj_out.weight")}
    with pytest.raises(BadInputError, match=r"damaged\.safetensors: its UNet weights"):
        sd15.load_sd15(_save(tmp_path / "damaged.safetensors", damaged))


# --- errors that need no model ----------------------------------------------------------------

def _tiny_file(path, tensors):
    from safetensors.torch import save_file

    save_file({k: torch.zeros(shape) for k, shape in tensors.items()}, str(path))
    return path


@pytest.mark.parametrize("tensors,message", [
    ({"foo.weight": (2, 2), "bar": (3,)}, "not an SD1.5 checkpoint"),
    ({"conditioner.embedders.1.model.positional_embedding": (2, 2), sd15.UNET + "x": (1,)}, "is an SDXL checkpoint"),
    ({"cond_stage_model.model.token_embedding.weight": (2, 2)}, "is an SD2.x checkpoint"),
    ({"lora_unet_down_blocks_0.lora_down.weight": (2, 2)}, "is a LoRA"),
    ({"double_blocks.0.img_attn.qkv.weight": (2, 2)}, "is a Flux model"),
    ({sd15.UNET + "input_blocks.0.0.weight": (320, 9, 3, 3)}, "inpainting"),
])
def test_other_models_are_named(tmp_path, tensors, message):
    path = _tiny_file(tmp_path / "model.safetensors", tensors)
    with pytest.raises(BadInputError, match=message) as e:
        sd15.load_sd15(path)
    assert "model.safetensors" in str(e.value) and "SD1.5" in str(e.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        sd15.load_sd15(tmp_path / "nope.safetensors")
    with pytest.raises(BadInputError, match="is a folder"):
        sd15.load_sd15(tmp_path)
    (tmp_path / "junk.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(BadInputError, match="junk.safetensors.*damaged"):
        sd15.load_sd15(tmp_path / "junk.safetensors")
    (tmp_path / "junk.ckpt").write_bytes(b"not a pickle")
    with pytest.raises(BadInputError, match="junk.ckpt"):
        sd15.load_sd15(tmp_path / "junk.ckpt")
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    with pytest.raises(BadInputError, match="not a .safetensors or .ckpt"):
        sd15.load_sd15(tmp_path / "model.gguf")


def test_pickled_objects_are_refused(tmp_path):
    import argparse

    path = tmp_path / "trainer.ckpt"    # training frameworks leave such objects (hparams) in full .ckpt files
    torch.save({"state_dict": {"a": torch.zeros(1)}, "hparams": argparse.Namespace(lr=1)}, str(path))
    with pytest.raises(BadInputError, match="trainer.ckpt.*safetensors"):
        sd15.load_sd15(path)


# --- the real thing, when a full-size file is at hand -----------------------------------------

@pytest.mark.skipif(not os.environ.get("A2L_SD15_CHECKPOINT"),
                    reason="set A2L_SD15_CHECKPOINT to a single-file SD1.5 checkpoint (2 GB) to load one")
def test_full_size_checkpoint():
    path = Path(os.environ["A2L_SD15_CHECKPOINT"])
    if path.suffix == ".safetensors":     # the tiny test's key names are SD1.5's own
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            keys = set(f.keys())
        assert {sd15.UNET + n for n in ldm_unet_names()} == {k for k in keys if k.startswith(sd15.UNET)}
        assert {sd15.VAE + n for n in ldm_vae_names()} == {k for k in keys if k.startswith(sd15.VAE)}
    parts = sd15.load_sd15(path)
    for part, model in (("unet", parts.unet), ("vae", parts.vae), ("text_encoder", parts.text_encoder)):
        assert sum(p.numel() for p in model.parameters()) == SD15_PARAMS[part]
        assert not any(t.is_meta for t in [*model.parameters(), *model.buffers()])
    assert parts.prediction_type in sd15.PREDICTION_TYPES
    with torch.no_grad():
        ids = parts.tokenizer(["a photo of a cat"], padding="max_length", max_length=77,
                              return_tensors="pt").input_ids
        context = parts.text_encoder(ids).last_hidden_state
        out = parts.unet(torch.randn(1, 4, 32, 32), torch.tensor([500]), encoder_hidden_states=context).sample
    assert context.shape == (1, 77, 768) and out.shape == (1, 4, 32, 32) and torch.isfinite(out).all()


def test_the_train_command_trains_a_single_file_checkpoint(tiny_config, tmp_path, capsys):
    """``python -m anim2lora train DATASET --checkpoint CKPT --out LORA --json`` on a tiny
    single-file checkpoint: the LoRA with its metadata, its loss curve and report."""
    import json as _json

    from safetensors import safe_open

    from anim2lora import cli
    from trainkit import drawn_dataset

    _, state, _ = tiny_config
    ckpt = _save(tmp_path / "tiny.safetensors", state)
    drawn_dataset(tmp_path / "ds")            # with the dataset.json a caption run writes
    lora = tmp_path / "loras" / "cli.safetensors"
    args = ["train", str(tmp_path / "ds"), "--checkpoint", str(ckpt), "--out", str(lora), "--rank", "4",
            "--alpha", "2", "--resolution", "256", "--epochs", "2", "--no-gradient-checkpointing", "--json"]
    assert cli.main(args) == 0
    out = _json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["lora"] == str(lora) and out["steps"] == out["total_steps"] == 2 * (3 + 3 * 2)
    assert out["modules"]["unet"] > 0 and out["modules"]["text_encoder"] > 0 and len(out["losses"]) == 18
    assert (tmp_path / "loras" / "cli_loss.png").is_file() and (tmp_path / "loras" / "cli_report.txt").is_file()
    with safe_open(str(lora), "pt") as f:
        assert f.metadata()["ss_sd_model_name"] == "tiny.safetensors"
        assert f.metadata()["ss_steps"] == str(out["steps"])


def test_the_sample_command_draws_every_group_with_the_trained_lora(tiny_config, tmp_path, capsys):
    """``python -m anim2lora sample LORA --checkpoint CKPT --dataset DIR --every-group``: the LoRA
    the train command wrote, merged into the same single-file checkpoint, draws each group of the
    dataset from its pinned tokens, cleaned and raw; an unknown group is refused before loading."""
    import json as _json

    import cv2

    from anim2lora import cli
    from trainkit import drawn_dataset

    _, state, _ = tiny_config
    ckpt = _save(tmp_path / "tiny.safetensors", state)
    drawn_dataset(tmp_path / "ds")
    lora = tmp_path / "loras" / "mine.safetensors"
    assert cli.main(["train", str(tmp_path / "ds"), "--checkpoint", str(ckpt), "--out", str(lora), "--rank", "4",
                     "--resolution", "256", "--epochs", "1", "--no-gradient-checkpointing", "--json"]) == 0
    capsys.readouterr()
    args = ["sample", str(lora), "--checkpoint", str(ckpt), "--dataset", str(tmp_path / "ds"), "--steps", "2",
            "--width", "64", "--height", "64", "--batch-size", "2", "--out", str(tmp_path / "s")]
    assert cli.main([*args, "--every-group", "--json"]) == 0
    out = _json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out["groups"]) == {"A", "A+B"} and out["modules"] > 0
    assert out["groups"]["A+B"]["positive"].startswith("A, B, 2people, lineart, monochrome")
    for group in ("A", "A+B"):
        assert len(out["groups"][group]["pictures"]) == 2
        for k in (1, 2):
            for name in (f"{group}_{k}.png", f"{group}_{k}_raw.png"):
                assert cv2.imread(str(tmp_path / "s" / name)).shape == (64, 64, 3), name
    assert cli.main([*args, "--characters", "B"]) == 2
    assert "characters: 'B' is not a group of the dataset" in capsys.readouterr().err


def test_the_train_command_scores_resemblance_against_its_refs(tiny_config, tmp_path, capsys):
    """``train … --score-every-n-steps N --ref NAME=IMAGE``: scored every N steps and at the last,
    the best step's file beside the LoRA, both in the JSON and the report; without --ref, a note."""
    import json as _json

    import cv2
    from safetensors import safe_open

    from anim2lora import cli
    from test_verdict import stills
    from trainkit import drawn_dataset

    _, state, _ = tiny_config
    ckpt = _save(tmp_path / "tiny.safetensors", state)
    drawn_dataset(tmp_path / "ds")
    refs = []
    for name in ("A", "B"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), stills(name)[0])
        refs += ["--ref", f"{name}={tmp_path / f'{name}.png'}"]
    lora = tmp_path / "loras" / "cli.safetensors"
    args = ["train", str(tmp_path / "ds"), "--checkpoint", str(ckpt), "--out", str(lora), "--rank", "4", "--alpha",
            "2", "--resolution", "256", "--max-steps", "5", "--no-gradient-checkpointing", "--score-every-n-steps", "2"]
    assert cli.main([*args, *refs, "--json"]) == 0
    out = _json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [e["step"] for e in out["scores"]] == [2, 4, 5]
    assert set(out["scores"][0]["groups"]) == {"A", "A+B"}
    best = out["best"]
    assert best["lora"] == str(lora.with_name("cli_best.safetensors"))
    with safe_open(best["lora"], "pt") as f:
        assert f.metadata()["anim2lora_best_step"] == str(best["step"])
    assert f"best: cli_best.safetensors at step {best['step']}" in (tmp_path / "loras" / "cli_report.txt").read_text()

    assert cli.main([*args, "--out", str(tmp_path / "norefs" / "n.safetensors"), "--json"]) == 0
    out = _json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["scores"] == [] and out["best"] is None and any("no reference stills" in n for n in out["notes"])
