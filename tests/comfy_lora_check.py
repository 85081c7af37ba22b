"""Run inside ComfyUI's own Python (by the real-host tests): load a checkpoint and a LoRA the way
LoraLoader does, and print as JSON the keys ComfyUI did not load (it logs 'lora key not loaded:
<key>') and how many UNet and CLIP weights it patched.

    COMFYUI_DIR=… $COMFY_VENV/bin/python tests/comfy_lora_check.py CHECKPOINT LORA [COMFYUI FLAGS…]

Flags after the LoRA go to ComfyUI (``--bf16-unet`` keeps a full-size SDXL UNet at 5 GB).
"""
import json
import logging
import os
import sys
sys.path.insert(0, os.environ["COMFYUI_DIR"])
ckpt, lora_path, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.argv = [sys.argv[0], "--cpu", *flags]   # ComfyUI reads its flags at import when told to: run on the CPU
import comfy.options  # noqa: E402
comfy.options.enable_args_parsing()
missing = []
class Catch(logging.Handler):
    def emit(self, record):
        msg = record.getMessage()
        if "lora key not loaded" in msg:
            missing.append(msg.split("lora key not loaded:", 1)[1].strip())
logging.getLogger().addHandler(Catch())
logging.getLogger().setLevel(logging.WARNING)
import comfy.model_management  # noqa: E402
import comfy.sd  # noqa: E402
import comfy.utils  # noqa: E402
model, clip, _vae, _ = comfy.sd.load_checkpoint_guess_config(ckpt, output_vae=False, output_clipvision=False)
lora = comfy.utils.load_torch_file(lora_path, safe_load=True)
m, c = comfy.sd.load_lora_for_models(model, clip, lora, 1.0, 1.0)
print(json.dumps({"missing": missing, "unet_patches": len(m.patches), "clip_patches": len(c.patcher.patches)}))
