"""The only module that touches ComfyUI: folders, progress bar, cancel, LoRAs and sampling.

Without a host (tests, scripts) it degrades to plain behaviour: folders come from
``configure(...)`` and there is no progress bar.  Everything else in the pack calls these
functions instead of importing ``folder_paths``, ``comfy`` or ``server``.
"""

import mimetypes
import os
from pathlib import Path
from typing import Dict, List, Optional

from ..anim2lora.errors import BadInputError
from ..anim2lora.progress import Progress
from ..anim2lora.safe_paths import resolve_inside
from ..anim2lora.video.source import VIDEO_EXTENSIONS

try:  # inside ComfyUI these are importable (its root is on sys.path); outside they are not
    import folder_paths as _folder_paths
except ImportError:
    _folder_paths = None

_configured: Dict[str, str] = {}


def has_host() -> bool:
    return _folder_paths is not None


def configure(*, input_dir=None, output_dir=None, temp_dir=None, loras_dir=None, models_dir=None) -> None:
    """Set the folders to use when there is no host (or to override it in tests); ``models_dir``
    stands for ComfyUI's ``models/``."""
    for key, value in (("input", input_dir), ("output", output_dir), ("temp", temp_dir), ("loras", loras_dir),
                       ("models", models_dir)):
        if value is not None:
            _configured[key] = os.fspath(value)


def _folder(kind: str) -> Path:
    if kind in _configured:
        return Path(_configured[kind])
    if _folder_paths is not None:
        return Path(getattr(_folder_paths, f"get_{kind}_directory")())
    raise BadInputError(f"No {kind} folder: outside ComfyUI call nodes.bridge.configure({kind}_dir=...).")


def loras_dir() -> Path:
    """The first ``loras`` folder: where LoraLoader lists what TrainLoRA saves."""
    if "loras" in _configured:
        return Path(_configured["loras"])
    if _folder_paths is None:
        raise BadInputError("No loras folder: outside ComfyUI call nodes.bridge.configure(loras_dir=...).")
    return Path(_folder_paths.get_folder_paths("loras")[0])


def input_dir() -> Path:
    return _folder("input")


def cache_root() -> Path:
    """Frame sets and the analysis cache: under output/, so they survive ComfyUI restarts
    (ComfyUI empties temp/ at every start)."""
    return _folder("output") / "anim2lora"


def _is_video(name: str) -> bool:
    if name.lower().endswith(VIDEO_EXTENSIONS):
        return True
    kind = mimetypes.guess_type(name, strict=False)[0] or ""
    return kind.startswith("video/")


def list_videos() -> List[str]:
    """Video files directly in the input folder, for the upload combo."""
    try:
        folder = input_dir()
        names = [e.name for e in os.scandir(folder) if e.is_file() and _is_video(e.name)]
    except (OSError, BadInputError):
        return []
    return sorted(names)


def resolve_input(name: str, field: str = "video") -> Path:
    """An input-folder file by name; ComfyUI's ' [input]' annotation is accepted, escapes are not."""
    if name.endswith(" [input]"):
        name = name[: -len(" [input]")]
    path = resolve_inside(input_dir(), name, field=field)
    if not path.is_file():
        raise BadInputError(f"{field}: '{name}' is not in the input folder ({input_dir()}).",
                            hint="Upload it with the node's upload button or copy it there.")
    return path


def torch_device() -> str:
    """The device ComfyUI computes on ("cuda:0", "mps", "cpu"); "cpu" without a host."""
    if _folder_paths is None:
        return "cpu"
    import comfy.model_management

    return str(comfy.model_management.get_torch_device())


def models_dir(kind: str) -> Optional[str]:
    """``models/<kind>`` of the host, registered so ComfyUI lists it with its other model folders;
    None without a host (a backend then uses its own cache)."""
    if "models" in _configured:
        return os.path.join(_configured["models"], kind)
    if _folder_paths is None:
        return None
    if kind not in _folder_paths.folder_names_and_paths:
        _folder_paths.add_model_folder_path(kind, os.path.join(_folder_paths.models_dir, kind))
    return _folder_paths.get_folder_paths(kind)[0]


class _HostProgress(Progress):
    def __init__(self, total: int, node_id: Optional[str]):
        super().__init__(total)
        import comfy.utils

        self._bar = comfy.utils.ProgressBar(max(1, total), node_id=node_id)

    def report(self, done: int, total: int) -> None:
        self._bar.update_absolute(done, max(1, total))

    def check_cancelled(self) -> None:
        import comfy.model_management

        # raises the host's InterruptProcessingException (a BaseException) on /interrupt
        comfy.model_management.throw_exception_if_processing_interrupted()


def progress(total: int = 0, node_id: Optional[str] = None) -> Progress:
    if _folder_paths is None:
        return Progress(total)
    return _HostProgress(total, node_id)


def host_memory():
    """ComfyUI's model management for the trainer's ComfyUI backend."""
    import comfy.model_management as mm
    import comfy.utils

    from ..anim2lora.train.comfy_backend import HostMemory

    def set_training(on: bool) -> None:
        mm.in_training = on

    return HostMemory(device=mm.get_torch_device(), unload_all=mm.unload_all_models,
                      load=lambda patchers: mm.load_models_gpu(patchers, force_full_load=True),
                      empty_cache=mm.soft_empty_cache, unet_to_diffusers=comfy.utils.unet_to_diffusers,
                      set_training=set_training, decode=vae_decode_loaded)


DECODE_TILE = 64        # latent pixels a side (512 px): VAE Decode (Tiled)'s default tile


def vae_decode_loaded(vae, latents):
    """Pictures [B, 3, H, W] in 0..1 of raw latents as VAE Decode computes them, in the dtype the
    host chose for the VAE, for a training run that loaded the VAE beside the UNet it trains.  No
    model is loaded or unloaded here: ``vae.decode`` would free device memory for itself, which may
    move the UNet being trained off the device.  Tiled, as VAE Decode (Tiled) does, where a whole
    picture would not fit the device's free memory beside the training."""
    import comfy.model_management as mm
    import comfy.utils

    def decode(part):
        return vae.first_stage_model.decode(part.to(vae.device, vae.vae_dtype)).to(vae.output_device).float()

    if vae.memory_used_decode(latents.shape, vae.vae_dtype) < mm.get_free_memory(vae.device):
        return vae.process_output(decode(latents))
    tiled = comfy.utils.tiled_scale(latents, decode, DECODE_TILE, DECODE_TILE, DECODE_TILE // 4,
                                    upscale_amount=vae.upscale_ratio, output_device=vae.output_device)
    return vae.process_output(tiled.clone())        # tiled_scale runs in inference mode; the trainer does not


def apply_lora(model, clip, path: Path, clip_skip: Optional[int] = None, strength: float = 1.0):
    """MODEL and CLIP with a LoRA file applied exactly as LoraLoader applies it (patched clones;
    the inputs stay as they were), at ``strength`` on both; with ``clip_skip``, the CLIP also at
    the clip skip the LoRA was trained with."""
    import comfy.sd
    import comfy.utils

    lora = comfy.utils.load_torch_file(str(path), safe_load=True)
    model, clip = comfy.sd.load_lora_for_models(model, clip, lora, strength, strength)
    if clip_skip:
        clip.clip_layer(-clip_skip)          # what CLIP Set Last Layer does
    return model, clip


def send_event(event: str, data: dict) -> None:
    """A custom event to the browser that queued the running prompt (the front end's live loss
    chart), as the host sends its own progress; to every browser when the prompt came without a
    client id; nothing without a host."""
    if _folder_paths is None:
        return
    try:
        from server import PromptServer
    except ImportError:
        return
    server = getattr(PromptServer, "instance", None)
    if server is not None:
        server.send_sync(event, data, getattr(server, "client_id", None))


def temp_images(pictures, prefix: str) -> list:
    """RGB uint8 pictures written to the temp folder, as the ``images`` entries a node's ``ui``
    shows on the canvas (PreviewImage's format)."""
    from ..anim2lora.png import encode_png

    folder = _folder("temp")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, rgb in enumerate(pictures):
        name = f"{prefix}_{os.getpid()}_{i:03d}.png"
        (folder / name).write_bytes(encode_png(rgb))
        out.append({"filename": name, "subfolder": "", "type": "temp"})
    return out


def view_ref(path) -> Optional[dict]:
    """A file under the output folder as the reference the browser fetches through ComfyUI's
    ``/view?filename=..&subfolder=..&type=output``; None for a file outside it (never served)."""
    if path is None:
        return None
    try:
        # the host's own rule for /view: the absolute path, links not followed, lies under output/ (so
        # an output/anim2lora cache linked to another disk is served, as ComfyUI serves it)
        out = os.path.abspath(_folder("output"))
        full = os.path.abspath(path)
        if os.path.commonpath([out, full]) != out:
            return None
        rel = Path(os.path.relpath(full, out))
    except (ValueError, OSError, BadInputError):
        return None
    return {"filename": rel.name, "subfolder": rel.parent.as_posix() if rel.parent != Path(".") else "",
            "type": "output"}


def gallery_ui(gallery: dict) -> list:
    """anim2lora.gallery's sample as a node's ``ui`` entry: each frame's picture file replaced by
    its view reference; frames whose picture the browser cannot fetch are left out."""
    frames = []
    for frame in gallery["frames"]:
        ref = view_ref(frame["path"])
        if ref is not None:
            frames.append({**{k: v for k, v in frame.items() if k != "path"}, **ref})
    return [{**{k: v for k, v in gallery.items() if k != "frames"}, "frames": frames}]


# Sampling as the host's own nodes do (LineArtSampler).  Without a host the lists fall back to
# names every ComfyUI has, so the node still lists and validates; sampling itself needs the host.
FALLBACK_SAMPLERS = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "ddim", "uni_pc"]
FALLBACK_SCHEDULERS = ["normal", "karras", "exponential", "simple", "sgm_uniform", "ddim_uniform"]


def sampler_names() -> List[str]:
    """KSampler's sampler choices."""
    if _folder_paths is None:
        return list(FALLBACK_SAMPLERS)
    import comfy.samplers

    return list(comfy.samplers.KSampler.SAMPLERS)


def scheduler_names() -> List[str]:
    """KSampler's scheduler choices."""
    if _folder_paths is None:
        return list(FALLBACK_SCHEDULERS)
    import comfy.samplers

    return list(comfy.samplers.KSampler.SCHEDULERS)


def _own_loras() -> bool:
    return "loras" in _configured or _folder_paths is None


def lora_names() -> List[str]:
    """LoRA files as LoraLoader lists them; without a host, the configured loras folder's (or none)."""
    if not _own_loras():
        return list(_folder_paths.get_filename_list("loras"))
    try:
        return sorted(p.name for p in loras_dir().glob("*.safetensors"))
    except BadInputError:
        return []


def lora_path(name: str, field: str = "lora_name") -> Path:
    """A listed LoRA's file."""
    if _own_loras():
        path = resolve_inside(loras_dir(), name, field=field)
    else:
        found = _folder_paths.get_full_path("loras", name)
        path = Path(found) if found else None
    if path is None or not path.is_file():
        raise BadInputError(f"{field}: '{name}' is not in the loras folder.", hint="Pick one from the list, or 'None'.")
    return path


def _host_nodes():
    if _folder_paths is None:
        raise BadInputError("Sampling needs ComfyUI: outside it use anim2lora.sample.run.sample_line_art.")
    import nodes          # ComfyUI's nodes.py (its root is on sys.path before any pack)

    return nodes


def encode_prompt(clip, text: str):
    """CONDITIONING as CLIP Text Encode makes it."""
    return _host_nodes().CLIPTextEncode().encode(clip, text)[0]


def sample_images(model, vae, positive, negative, *, seed: int, steps: int, cfg: float, sampler_name: str,
                  scheduler: str, width: int, height: int, batch_size: int):
    """IMAGE [B, H, W, 3] as Empty Latent Image -> KSampler -> VAE Decode make it: the host's own
    sampler, noise, progress bar, live previews and cancel."""
    nodes = _host_nodes()
    latent = nodes.EmptyLatentImage().generate(width, height, batch_size)[0]
    latent = nodes.common_ksampler(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent)[0]
    return nodes.VAEDecode().decode(vae, latent)[0]
