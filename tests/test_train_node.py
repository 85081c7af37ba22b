"""TrainLoRA's node without a host (what can be checked before ComfyUI hands it a MODEL), the
loss picture, the report, and the settings' own checks.  Training inside the real host is in
test_real_host.py."""

import sys

import numpy as np
import pytest

from anim2lora.errors import BadInputError
from anim2lora.train.curve import loss_picture
from anim2lora.train.lora_file import existing_owner, save_lora
from anim2lora.train.settings import TrainSettings

from nodekit import widget_defaults


def test_the_node_offers_every_setting_with_its_default(pack):
    node = pack.NODE_CLASS_MAPPINGS["TrainLoRA"]
    optional = node.INPUT_TYPES()["optional"]
    # settings added after the widgets saved workflows hold are optional inputs, as is references
    defaults = {**widget_defaults(node), **{k: spec[1]["default"] for k, spec in optional.items() if "default" in spec[1]}}
    assert list(optional) == ["score_every_n_steps", "references"] and optional["references"][0] == "A2L_REFERENCES"
    settings = TrainSettings()
    for name, value in settings.to_dict().items():
        assert defaults[name] == value, name
    assert defaults["resume"] is True
    required = node.INPUT_TYPES()["required"]
    assert [required[k][0] for k in ("model", "clip", "vae", "dataset")] == ["MODEL", "CLIP", "VAE", "A2L_DATASET"]
    assert node.RETURN_TYPES == ("MODEL", "CLIP", "STRING", "IMAGE", "STRING")


def test_someone_elses_lora_of_the_same_name_is_never_overwritten(pack, host_dirs, tmp_path):
    import torch

    bridge = sys.modules[pack.__name__ + ".nodes.bridge"]
    loras = tmp_path / "loras"
    bridge.configure(loras_dir=loras)
    theirs = save_lora(loras / "mine.safetensors", {"x.alpha": torch.tensor(1.0)}, {"ss_output_name": "mine"})
    before = theirs.read_bytes()
    node = pack.NODE_CLASS_MAPPINGS["TrainLoRA"]()
    settings = {**widget_defaults(pack.NODE_CLASS_MAPPINGS["TrainLoRA"]), "name": "mine"}
    with pytest.raises(Exception, match="exists and was not made by Anim2LoRA") as caught:
        node.train(model=None, clip=None, vae=None, dataset=None, **settings)
    assert type(caught.value).__name__ == "BadInputError"       # the pack's own copy of the class
    assert theirs.read_bytes() == before
    assert existing_owner(loras / "none.safetensors") is None
    ours = save_lora(loras / "ours.safetensors", {"x.alpha": torch.tensor(1.0)},
                     {"ss_training_comment": "trained with Anim2LoRA"})
    assert existing_owner(ours) == "anim2lora" and existing_owner(theirs) == "other"


@pytest.mark.parametrize("bad", [dict(name="../x"), dict(name=""), dict(rank=0), dict(optimizer="sgd"),
                                 dict(resolution=100), dict(mixed_precision="fp8")])
def test_bad_settings_name_the_field(bad):
    with pytest.raises(BadInputError) as caught:
        TrainSettings(**bad)
    assert next(iter(bad)) in str(caught.value)


@pytest.mark.parametrize("losses", [[], [0.5], [0.5, 0.5], list(np.linspace(1, 0.1, 300))])
def test_the_loss_picture_draws_any_number_of_steps(losses):
    picture = loss_picture(losses)
    assert picture.shape == (320, 640, 3) and picture.dtype == np.uint8
    assert (picture < 200).any(), "something is drawn"


@pytest.mark.parametrize("config, named", [("SD3", "an SD3 model"), ("Flux", "a Flux model"),
                                           ("SD20", "an SD2.x model"), ("SDXLRefiner", "the SDXL refiner"),
                                           ("WAN21", "ComfyUI's WAN21 model config")])
def test_the_host_backend_trains_sd15_and_sdxl_and_names_any_other_family(config, named):
    from anim2lora.errors import TrainingError
    from anim2lora.train import sd15, sdxl
    from anim2lora.train.comfy_backend import family_of_config

    assert family_of_config("SD15") is sd15.FAMILY and family_of_config("SDXL") is sdxl.FAMILY
    with pytest.raises(TrainingError) as caught:
        family_of_config(config)
    assert named in str(caught.value) and "SDXL-family" in str(caught.value)


def test_host_unet_names_follow_the_familys_kohya_layout():
    """ComfyUI's UNet is in the original layout and its map from diffusers keys says which module
    is which: SDXL's names come from that (SGM) path, as kohya's SDXL names do (the set kohya's own
    code creates); SD1.5's from the diffusers path, as kohya's SD1.5 names do."""
    import json
    from pathlib import Path

    import torch
    from diffusers import UNet2DConditionModel

    from anim2lora.train import sd15, sdxl
    from anim2lora.train.targets import module_paths, unet_targets, unet_targets_by_map

    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(str(sdxl.CONFIG_DIR),
                                                                                 subfolder="unet"))
    # the map ComfyUI's unet_to_diffusers gives, for the attention blocks and one resnet
    mapping = {f"{path}.weight": f"{sdxl.sgm_path(path, 2)}.weight"
               for path in module_paths(unet_targets(unet), unet).values()}
    mapping["down_blocks.1.resnets.0.conv1.weight"] = "input_blocks.4.0.in_layers.2.weight"
    names = unet_targets_by_map(mapping, sdxl.FAMILY.kohya_unet_layout)
    kohya = {n for n in json.loads((Path(__file__).parent / "data" / "kohya_sdxl_lora_names.json").read_text())
             if n.startswith("lora_unet_")}
    assert len(kohya) == 722 and set(names) == kohya
    assert names["lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q"] == \
        "input_blocks.4.1.transformer_blocks.0.attn1.to_q"
    sd_names = unet_targets_by_map(mapping, sd15.FAMILY.kohya_unet_layout)
    assert "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q" in sd_names
    with pytest.raises(ValueError):
        unet_targets_by_map(mapping, "ldm")


def test_the_host_schedule_is_the_model_samplings_and_zsnr_is_kohyas_rescale():
    import torch

    from anim2lora.train.comfy_backend import host_schedule
    from anim2lora.train.family import zero_terminal_snr
    from anim2lora.train.sdxl import FAMILY

    plain = FAMILY.alphas_cumprod()
    sigmas = ((1 - plain.double()) / plain.double()) ** 0.5       # what ModelSamplingDiscrete holds
    alphas, zsnr = host_schedule(sigmas, False, 0.00085, 0.012)
    assert not zsnr and torch.allclose(alphas, plain, rtol=1e-5, atol=1e-7)
    rescaled_sigmas = sigmas.clone()
    rescaled_sigmas[-1] = 4500.0          # a zsnr model's last sigma: huge, never read back
    alphas, zsnr = host_schedule(rescaled_sigmas, True, 0.00085, 0.012)
    assert zsnr and torch.allclose(alphas, plain, rtol=1e-5, atol=1e-7)
    assert float(zero_terminal_snr(alphas)[-1]) == 0.0
