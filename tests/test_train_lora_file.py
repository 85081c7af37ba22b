"""TrainLoRA's file, before any training: kohya's targets and names on the real SD1.5
architecture (built on the meta device: no weights, no memory), and a LoRA from peft on tiny
random models saved as kohya's layout (fp16, alpha as given, metadata) that reproduces the
adapted model's outputs and that diffusers' own loader reads."""

import json

import pytest
import torch
from safetensors import safe_open

from anim2lora.train.lora_file import kohya_metadata, kohya_tensors, save_lora
from anim2lora.train.targets import peft_target_names, text_encoder_targets, unet_targets

TINY_UNET = dict(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
                 down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                 up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32, attention_head_dim=8,
                 norm_num_groups=8)


def test_sd15_has_kohyas_192_unet_and_72_text_encoder_targets():
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.device("meta"):
        unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768)     # SD1.5's architecture
        te = CLIPTextModel(CLIPTextConfig())
    u, t = unet_targets(unet), text_encoder_targets(te)
    assert len(u) == 192 and len(t) == 72
    assert "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q" in u
    assert "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj" in u
    assert "lora_unet_up_blocks_3_attentions_2_proj_out" in u
    assert "lora_unet_down_blocks_1_attentions_1_transformer_blocks_0_attn2_to_out_0" in u
    assert "lora_te_text_model_encoder_layers_0_self_attn_q_proj" in t, "the standard name under transformers 5 too"
    assert "lora_te_text_model_encoder_layers_11_mlp_fc2" in t
    assert not any(k.startswith("lora_te_encoder") for k in t)


@pytest.fixture
def adapted(tmp_path):
    from diffusers import UNet2DConditionModel
    from peft import LoraConfig, inject_adapter_in_model

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**TINY_UNET).eval()
    targets = unet_targets(unet)
    inject_adapter_in_model(LoraConfig(r=4, lora_alpha=2, target_modules=peft_target_names(targets, unet)), unet)
    adapted_targets = unet_targets(unet)
    for layer in adapted_targets.values():          # peft starts up at zero: give it something to carry
        torch.nn.init.normal_(layer.lora_B["default"].weight, std=0.05)
    return unet, adapted_targets


def test_the_file_is_kohyas_layout_with_alpha_as_given_and_metadata(adapted, tmp_path):
    unet, targets = adapted
    meta = kohya_metadata(rank=4, alpha=2, name="mine", clip_skip=2, keep_tokens=3, resolution=512, num_train_images=9,
                          tag_frequency={"1_A": {"A": 9}}, train_text_encoder=False)
    path = save_lora(tmp_path / "loras" / "mine.safetensors", kohya_tensors(targets, 2), meta)
    assert not list(path.parent.glob(".*.part")), "written whole"
    with safe_open(str(path), "pt") as f:
        keys, header = set(f.keys()), f.metadata()
        assert len(keys) == 3 * len(targets) == 3 * 48
        name = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
        down, up, alpha = (f.get_tensor(f"{name}.{k}") for k in ("lora_down.weight", "lora_up.weight", "alpha"))
    assert down.dtype == up.dtype == alpha.dtype == torch.float16 and alpha.ndim == 0 and float(alpha) == 2.0
    assert down.shape[0] == 4 and up.shape[1] == 4
    for key in ("ss_network_module", "ss_network_dim", "ss_network_alpha", "ss_network_args", "ss_base_model_version",
                "ss_v2", "ss_clip_skip", "ss_keep_tokens", "ss_num_train_images", "ss_tag_frequency", "ss_output_name",
                "ss_resolution", "sshs_model_hash", "modelspec.architecture"):
        assert key in header, key
    assert header["ss_network_dim"] == "4" and header["ss_network_alpha"] == "2.0" and header["ss_clip_skip"] == "2"
    assert json.loads(header["ss_tag_frequency"]) == {"1_A": {"A": 9}}


def test_the_file_reproduces_the_adapted_layer(adapted, tmp_path):
    """kohya's forward: base(x) + up(down(x)) * alpha / rank, from the file alone."""
    unet, targets = adapted
    path = save_lora(tmp_path / "l.safetensors", kohya_tensors(targets, 2), {})
    name = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
    layer = targets[name]
    x = torch.randn(3, layer.base_layer.in_features)
    with safe_open(str(path), "pt") as f:
        down, up, alpha = (f.get_tensor(f"{name}.{k}").float() for k in ("lora_down.weight", "lora_up.weight", "alpha"))
    with torch.no_grad():
        expected = layer(x)
        from_file = layer.base_layer(x) + (x @ down.T @ up.T) * (alpha / down.shape[0])
    assert torch.allclose(expected, from_file, atol=2e-3), (expected - from_file).abs().max()


def test_diffusers_reads_the_file(adapted, tmp_path):
    from diffusers import StableDiffusionPipeline

    _, targets = adapted
    path = save_lora(tmp_path / "l.safetensors", kohya_tensors(targets, 2), {})
    state, alphas = StableDiffusionPipeline.lora_state_dict(str(path))
    assert len(state) == 2 * len(targets) and all(k.startswith("unet.") for k in state)
    assert set(alphas.values()) == {2.0}
