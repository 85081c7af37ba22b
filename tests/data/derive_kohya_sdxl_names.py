"""How tests/data/kohya_sdxl_lora_names.json was made: kohya sd-scripts' own networks/lora.py
create_network run on randomly initialised SDXL models, listing the LoRA modules it creates.

Not run by the tests (kohya's code is not part of this repository).  To re-derive:
  git clone https://github.com/kohya-ss/sd-scripts /tmp/kohya   (derived at 48d368fa557731ad0488c07304dfeba8c07910eb)
  python -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install torch transformers==4.54.1 diffusers==0.32.1 einops \
      opencv-python-headless                                     (kohya's pinned transformers/diffusers)
  /tmp/kvenv/bin/python tests/data/derive_kohya_sdxl_names.py /tmp/kohya tests/data/kohya_sdxl_lora_names.json
Options: network_dim 32, network_alpha 16, no conv_dim, no block dims (kohya's defaults otherwise):
986 modules, 722 in the UNet, 72 in CLIP-L (lora_te1_), 192 in CLIP-G (lora_te2_); sorted.
"""
import json
import sys

import torch

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/kohya")
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection  # noqa: E402

from library import sdxl_original_unet  # noqa: E402
from networks import lora  # noqa: E402

COMMON = dict(vocab_size=49408, max_position_embeddings=77, layer_norm_eps=1e-05, dropout=0.0, attention_dropout=0.0,
              initializer_range=0.02, initializer_factor=1.0, pad_token_id=1, bos_token_id=0, eos_token_id=2,
              model_type="clip_text_model")
with torch.device("meta"):       # names only: no weights are needed
    unet = sdxl_original_unet.SdxlUNet2DConditionModel()
    # the configs library/sdxl_model_util.load_models_from_sdxl_checkpoint builds the encoders from
    te1 = CLIPTextModel(CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                       num_attention_heads=12, hidden_act="quick_gelu", projection_dim=768, **COMMON))
    te2 = CLIPTextModelWithProjection(CLIPTextConfig(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
                                                     num_attention_heads=20, hidden_act="gelu", projection_dim=1280,
                                                     **COMMON))
network = lora.create_network(1.0, 32, 16.0, None, [te1, te2], unet)
names = sorted(m.lora_name for m in network.text_encoder_loras + network.unet_loras)
# kohya logs to stdout: the list goes to its own file
with open(sys.argv[2] if len(sys.argv) > 2 else "kohya_sdxl_lora_names.json", "w") as f:
    json.dump(names, f, indent=0)
