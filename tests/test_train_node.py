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
