"""Run inside ComfyUI's own Python (by the real-host tests): what TrainLoRA's ComfyUI backend
decodes the pictures it draws with (previews, resemblance scores), on a real checkpoint's VAE, and
print the measures as JSON: its pictures against VAE Decode's of the same latents, whether the
models the run loaded stay loaded while it decodes, the tiled path (forced by a VAE that asks for
more memory than there is) and a backend given no VAE (the live preview, and its note).

    COMFYUI_DIR=… $COMFY_VENV/bin/python tests/comfy_decode_check.py CHECKPOINT
"""
import importlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ["COMFYUI_DIR"])
sys.path.insert(0, str(REPO / "tests"))
ckpt = sys.argv[1]
sys.argv = [sys.argv[0], "--cpu"]          # ComfyUI reads its flags at import when told to: run on the CPU
import comfy.options  # noqa: E402

comfy.options.enable_args_parsing()
import torch  # noqa: E402

import comfy.model_management as mm  # noqa: E402
import comfy.sd  # noqa: E402
import nodes  # noqa: E402
from packload import load_pack  # noqa: E402

pack = load_pack().__name__
bridge = importlib.import_module(pack + ".nodes.bridge")
backends = importlib.import_module(pack + ".anim2lora.train.comfy_backend")
ddim = importlib.import_module(pack + ".anim2lora.sample.ddim")


def loaded(patcher) -> bool:
    return any(m.model is patcher for m in mm.current_loaded_models)


def main():
    model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(ckpt, output_vae=True, output_clipvision=False)
    fmt = model.model.latent_format
    pixels = torch.rand((1, 3, 128, 128), generator=torch.Generator().manual_seed(0)) * 2 - 1
    out = {}
    with torch.inference_mode():                # as the host runs nodes
        with torch.inference_mode(False):       # as TrainLoRA runs the trainer
            backend = backends.ComfyBackend(model, clip, vae, bridge.host_memory(), train_text_encoder=False)
            out["note_with_vae"] = backend.decode_note
            latents = backend.encode_images(pixels)          # before the run begins, as the loop encodes
            backend.begin(torch.float32, True)
            pictures = backend.decode_latents(latents)
            out["kept_loaded"] = [loaded(p) for p in (backend.patcher, clip.patcher, vae.patcher)]
            drawn = ddim.ddim_batch(backend, "A, monochrome, lineart", size=(128, 128), seed=0, steps=2, clip_skip=2)
            out["drawn"] = list(drawn.shape)
            need = vae.memory_used_decode
            vae.memory_used_decode = lambda *a: float("inf")      # no room for a whole picture: the tiled path
            try:
                bridge.DECODE_TILE = latents.shape[-1]       # one tile of the whole picture: VAE Decode's pictures
                whole = backend.decode_latents(latents)
                bridge.DECODE_TILE = latents.shape[-1] // 2  # four, overlapping
                tiled = backend.decode_latents(latents)
            finally:
                vae.memory_used_decode = need
            out["kept_loaded_tiled"] = [loaded(p) for p in (backend.patcher, clip.patcher, vae.patcher)]
            backend.end()
            no_vae = backends.ComfyBackend(model, clip, None, bridge.host_memory(), train_text_encoder=False)
            out["note_without_vae"] = no_vae.decode_note
            fallback = no_vae.decode_latents(latents)
        reference = nodes.VAEDecode().decode(vae, {"samples": fmt.process_out(latents)})[0].movedim(-1, 1).float()
    preview = backends.preview_pictures(fmt, latents)
    out.update(shape=list(pictures.shape), tiled_shape=list(tiled.shape),
               vae_vs_decode=float((pictures - reference).abs().max()),
               one_tile_vs_decode=float((whole - reference).abs().max()),
               tiled_range=[float(tiled.min()), float(tiled.max())],
               preview_vs_decode=float((preview - reference).abs().mean()),
               fallback_vs_preview=float((fallback - preview).abs().max()),
               vae_dtype=str(vae.vae_dtype))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
