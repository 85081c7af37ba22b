"""The SD1.5 checkpoint a user already has, as diffusers/transformers models, with no network.

Users keep single-file checkpoints (the LDM/"original" layout: ``model.diffusion_model.*``,
``first_stage_model.*``, ``cond_stage_model.transformer.*``) in ComfyUI's ``models/checkpoints``.
diffusers' ``from_single_file`` would fetch configs from the Hugging Face Hub, which the users'
machines and CI may not reach, so the standard SD1.5 configs and the CLIP BPE merges ship in
``sd15_config/`` and only diffusers' key-conversion functions are used.  Each part is read from
the file on its own, cast as it is read and loaded with ``assign=True`` into a model built on the
``meta`` device: one copy of a part's weights at a time, and every missing or surplus key is an
error instead of a silently random weight (``from_single_file`` only logs surplus keys, and
without accelerate it leaves missing ones at their random init).

Prediction type "auto": SD1.5 checkpoints predict noise (epsilon).  A v-prediction fine-tune
says so with a ``v_pred`` key (the marker ComfyUI and kohya read), ``modelspec.prediction_type``
``v`` in the safetensors header, or a sidecar ``<name>.yaml`` beside the file with
``parameterization: "v"`` (the LDM config ComfyUI and A1111 read).  Anything else is epsilon.
"""

import functools
import gzip
import json
import os
import pickle
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Optional

import torch

from ..errors import BadInputError, MissingModelError
from .family import Family

if TYPE_CHECKING:
    import diffusers
    import transformers

CONFIG_DIR = Path(__file__).with_name("sd15_config")
PREDICTION_TYPES = ("epsilon", "v_prediction")
UNET, VAE, CLIP = "model.diffusion_model.", "first_stage_model.", "cond_stage_model.transformer."
_CROSS_ATTN_K = UNET + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"
_CONV_IN = UNET + "input_blocks.0.0.weight"
_CLIP_MERGES = 48894        # CLIP uses the first 49152 - 256 - 2 merges of its BPE file
_LABELS = {"unet": "UNet", "vae": "VAE"}
_CATCH_ALL = "Pick an SD1.5 checkpoint (.safetensors or .ckpt) from ComfyUI's models/checkpoints."


@dataclass
class Sd15Parts:
    unet: "diffusers.UNet2DConditionModel"
    vae: "diffusers.AutoencoderKL"
    text_encoder: "transformers.CLIPTextModel"
    tokenizer: "transformers.CLIPTokenizer"
    prediction_type: str            # "epsilon" or "v_prediction"
    alphas_cumprod: "torch.Tensor"  # 1000 values, DDPM scaled_linear 0.00085->0.012 (kohya/SD1.5 schedule)


def load_sd15(checkpoint: os.PathLike, *, device="cpu", dtype=torch.float32, prediction_type="auto") -> Sd15Parts:
    """The UNet, VAE, text encoder (all in eval mode, on ``device`` in ``dtype``), tokenizer,
    prediction type and noise schedule of a single-file SD1.5 checkpoint."""
    with open_checkpoint(Path(checkpoint)) as tensors:
        return _load_opened(Path(checkpoint), tensors, device=device, dtype=dtype, prediction_type=prediction_type)


def check_prediction(prediction_type: str) -> None:
    if prediction_type not in ("auto",) + PREDICTION_TYPES:
        raise BadInputError(f"prediction type {prediction_type!r} is not one of auto, epsilon, v_prediction.")


def _load_opened(path: Path, tensors: "_Tensors", *, device, dtype, prediction_type) -> Sd15Parts:
    check_prediction(prediction_type)
    diffusers, transformers = _packages()
    _check_sd15(path, tensors)
    if prediction_type == "auto":
        prediction_type = detect_prediction(path, tensors)
    read = functools.partial(tensors.take, device=device, dtype=dtype)
    text_encoder = load_text_encoder(path, read(CLIP), transformers.CLIPTextModel)
    vae = load_diffusers(path, "vae", read(VAE), diffusers.AutoencoderKL, _converter("convert_ldm_vae_checkpoint"))
    unet = load_diffusers(path, "unet", read(UNET), diffusers.UNet2DConditionModel,
                          _converter("convert_ldm_unet_checkpoint"))
    return Sd15Parts(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=clip_tokenizer(),
                     prediction_type=prediction_type, alphas_cumprod=alphas_cumprod())


@functools.lru_cache(maxsize=2)
def clip_tokenizer(settings: Path = CONFIG_DIR / "tokenizer"):
    """SD1.5's CLIP tokenizer (openai/clip-vit-large-patch14's vocabulary, 77 tokens), built from
    the shipped merges.  transformers reads vocab.json + merges.txt from a folder (building it from
    keyword file paths yields wrong ids), so both are written to a temporary folder, read, and the
    folder removed: nothing persists and the package folder may be read-only.  ``settings`` is
    the folder of its tokenizer_config.json and special_tokens_map.json: SDXL's CLIP-G shares
    the vocabulary and merges but pads with "!" (``sdxl_config/tokenizer_2``)."""
    _packages()
    from transformers import CLIPTokenizer

    merges_text = gzip.decompress((CONFIG_DIR / "tokenizer" / "merges.txt.gz").read_bytes()).decode("utf-8")
    merges = merges_text.split("\n")[1:_CLIP_MERGES + 1]
    folder = Path(tempfile.mkdtemp(prefix="a2l-clip-tokenizer-"))
    try:
        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            shutil.copyfile(Path(settings) / name, folder / name)
        (folder / "merges.txt").write_text(merges_text, encoding="utf-8")
        (folder / "vocab.json").write_text(json.dumps(_clip_vocab(merges), ensure_ascii=False), encoding="utf-8")
        return CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def alphas_cumprod() -> torch.Tensor:
    """The SD1.5 training schedule (scheduler/scheduler_config.json), computed the way diffusers'
    DDPMScheduler does in float32, so kohya-trained and these LoRAs see the same noise levels."""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


def _clip_vocab(merges: Iterable[str]) -> Dict[str, int]:
    """CLIP's byte-level BPE vocabulary: the 256 byte symbols, the same with the word-end mark,
    one entry per merge, then the two special tokens (49,408 in all)."""
    chars = _bytes_to_unicode()
    vocab = chars + [c + "</w>" for c in chars] + [m.replace(" ", "") for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(vocab)}


def _bytes_to_unicode():
    """GPT-2/CLIP's printable stand-ins for the 256 byte values, in CLIP's vocabulary order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def _packages():
    try:
        import diffusers
        import transformers
    except ImportError as e:
        raise MissingModelError(f"Loading an SD1.5 checkpoint needs the {e.name} package, which is not installed.",
                                hint="Run `pip install -r requirements.txt` in ComfyUI's Python.") from e
    return diffusers, transformers


def _converter(name: str) -> Callable:
    from diffusers.loaders import single_file_utils

    return getattr(single_file_utils, name)


# --- reading the file -------------------------------------------------------------------------

class _Tensors:
    """A checkpoint's tensors by name, read a part at a time."""

    def __init__(self, shapes: Dict[str, tuple], get: Callable, metadata: Dict[str, str]):
        self.shapes, self._get, self.metadata = shapes, get, metadata

    def take(self, prefix: str, *, device, dtype) -> Dict[str, torch.Tensor]:
        """Every tensor under ``prefix`` (floating ones cast as they are read), then forgotten."""
        out = {}
        for key in [k for k in self.shapes if k.startswith(prefix)]:
            t = self._get(key)
            out[key] = t.to(device, dtype) if t.is_floating_point() else t.to(device)
            del self.shapes[key]
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Drop the open file (or the mapped pickle) with whatever no part took, e.g. EMA weights.
        self._get = None
        self.shapes = {}


def open_checkpoint(path: Path) -> _Tensors:
    if not path.is_file():
        raise BadInputError(f"SD1.5 checkpoint {path} does not exist{' (it is a folder)' if path.is_dir() else ''}.",
                            hint=f"Check the path. {_CATCH_ALL}")
    if path.suffix.lower() == ".safetensors":
        return _open_safetensors(path)
    if path.suffix.lower() in (".ckpt", ".pt", ".pth", ".bin"):
        return _open_pickle(path)
    raise BadInputError(f"{path} is not a .safetensors or .ckpt file.", hint=_CATCH_ALL)


def _open_safetensors(path: Path) -> _Tensors:
    from safetensors import safe_open

    try:
        f = safe_open(str(path), framework="pt", device="cpu")
        shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
        metadata = f.metadata() or {}
    except Exception as e:      # safetensors raises its own error types for a bad header
        raise BadInputError(f"{path} could not be read as safetensors ({e}); the file is damaged or incomplete.",
                            hint="Download it again.") from e
    return _Tensors(shapes, f.get_tensor, metadata)


def _open_pickle(path: Path) -> _Tensors:
    # weights_only: a .ckpt is a pickle, and unpickling anything but tensors could run code.
    try:
        state = _torch_load(path)
    except pickle.UnpicklingError as e:
        # torch names the refused global differently across versions ("Unsupported global: GLOBAL x",
        # "unsupported GLOBAL x whose module y is blocked")
        found = re.search(r"[Uu]nsupported (?:global: )?GLOBAL (\S+)", str(e))
        if found:
            raise BadInputError(f"{path.name} holds Python objects besides its tensors ({found.group(1)}), which "
                                f"are not loaded because unpickling them could run code.",
                                hint="Use the model's .safetensors version, or convert this file to .safetensors "
                                     "with a tool you trust.") from e
        raise BadInputError(f"{path} is not a PyTorch checkpoint, or it is damaged.", hint="Download it again.") from e
    except Exception as e:      # truncated zip, EOF, …
        raise BadInputError(f"{path} could not be read as a PyTorch checkpoint ({type(e).__name__}: "
                            f"{str(e).splitlines()[0][:200] if str(e) else ''}).", hint="Download it again.") from e
    while isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise BadInputError(f"{path} holds no tensors by name; it is not a model checkpoint.", hint=_CATCH_ALL)
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    del state
    return _Tensors({k: tuple(v.shape) for k, v in tensors.items()}, tensors.pop, {})


def _torch_load(path: Path):
    # mmap leaves the weights on disk until a part is taken; the pre-1.6 torch format cannot be mapped.
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as e:
        if "mmap" not in str(e):
            raise
    return torch.load(str(path), map_location="cpu", weights_only=True)


# --- what the file is -------------------------------------------------------------------------

def _check_sd15(path: Path, tensors: _Tensors):
    """Raise, naming the model family, unless ``tensors`` holds a whole SD1.5 model."""
    shapes = tensors.shapes
    keys = shapes.keys()
    family = other_model(shapes)
    if family:
        raise BadInputError(f"{path.name} is {family}; Anim2LoRA trains SD1.5.", hint=_CATCH_ALL)
    unet = _config("unet")
    conv_in = shapes.get(_CONV_IN)
    if conv_in and len(conv_in) == 4 and conv_in[1] != unet["in_channels"]:
        kind = {9: "an inpainting", 8: "an instruct-pix2pix"}.get(conv_in[1], f"a {conv_in[1]}-channel")
        raise BadInputError(f"{path.name} is {kind} SD1.5 model (its UNet takes {conv_in[1]} input channels, "
                            f"not {unet['in_channels']}); Anim2LoRA trains the plain text-to-image model.",
                            hint=_CATCH_ALL)
    context = shapes.get(_CROSS_ATTN_K)
    if context and context[-1] != unet["cross_attention_dim"]:
        raise BadInputError(f"{path.name} has {context[-1]}-wide text conditioning, not SD1.5's "
                            f"{unet['cross_attention_dim']}; it is not an SD1.5 model.", hint=_CATCH_ALL)
    missing = [name for prefix, name in ((UNET, "UNet"), (VAE, "VAE"), (CLIP, "CLIP text encoder"))
               if not any(k.startswith(prefix) for k in keys)]
    if len(missing) == 3:
        raise BadInputError(f"{path.name} is not an SD1.5 checkpoint: it has none of the {UNET}*, {VAE}* or "
                            f"{CLIP}* weights of the single-file layout.", hint=_CATCH_ALL)
    if missing:
        raise BadInputError(f"{path.name} has no {' and no '.join(missing)} weights; Anim2LoRA needs a full "
                            f"SD1.5 checkpoint with UNet, VAE and CLIP text encoder in one file.",
                            hint=_CATCH_ALL)


def other_model(shapes: Dict[str, tuple]) -> Optional[str]:
    """The model family of a checkpoint that is plainly not SD1.5, said the way users name it."""
    keys = shapes.keys()
    if any(k.startswith("conditioner.embedders.1.") for k in keys):
        return "an SDXL checkpoint"
    if any(k.startswith("conditioner.embedders.0.model.") for k in keys):
        return "an SDXL refiner checkpoint"
    if any(k.startswith(("joint_blocks.", "model.diffusion_model.joint_blocks.")) for k in keys):
        return "an SD3 checkpoint"
    if any(k.startswith("cond_stage_model.model.") for k in keys) or shapes.get(_CROSS_ATTN_K, (0,))[-1] == 1024:
        return "an SD2.x checkpoint"
    if any(k.startswith(("double_blocks.", "model.diffusion_model.double_blocks.")) for k in keys):
        return "a Flux model"
    if any(k.startswith(("lora_unet_", "lora_te_", "lora_te1_")) or ".lora_down." in k or ".lora_A." in k
           for k in keys):
        return "a LoRA, not a checkpoint"
    if any(k.startswith(("down_blocks.", "encoder.down_blocks.", "text_model.")) for k in keys):
        return "a single part in diffusers layout, not a single-file checkpoint"
    return None


def detect_prediction(path: Path, tensors: _Tensors) -> str:
    if "v_pred" in tensors.shapes:
        return "v_prediction"
    declared = str(tensors.metadata.get("modelspec.prediction_type", "")).strip().lower()
    if declared in ("v", "v_prediction", "v-prediction", "velocity"):
        return "v_prediction"
    sidecar = path.with_suffix(".yaml")
    if sidecar.is_file():
        import yaml

        try:
            config = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
            parameterization = config["model"]["params"].get("parameterization", "eps")
        except Exception as e:  # a hand-edited yaml: say which file, don't guess
            raise BadInputError(f"{sidecar} (the config beside {path.name}) could not be read ({e}).",
                                hint="Fix or remove it, or set the prediction type explicitly.") from e
        if parameterization == "v":
            return "v_prediction"
    return "epsilon"


def _config(part: str) -> dict:
    return json.loads((CONFIG_DIR / part / "config.json").read_text(encoding="utf-8"))


# --- building the models ----------------------------------------------------------------------

def load_diffusers(path: Path, part: str, ldm: Dict[str, torch.Tensor], cls, convert: Callable,
                   config_dir: Optional[Path] = None, family: str = "SD1.5"):
    config = cls.load_config(str(config_dir or CONFIG_DIR), subfolder=part, local_files_only=True)
    try:
        weights = convert(ldm, config)
    except (KeyError, IndexError, RuntimeError) as e:  # a truncated or oddly pruned file
        raise BadInputError(f"{path.name}: its {_LABELS[part]} weights do not have {family}'s layout ({e!r}).",
                            hint=f"The file is damaged or not {family}. {_CATCH_ALL}") from e
    del ldm
    with torch.device("meta"):
        model = cls.from_config(config)
    return assign(path, _LABELS[part], model, weights, family=family)


def load_text_encoder(path: Path, ldm: Dict[str, torch.Tensor], cls, config_dir: Optional[Path] = None,
                      convert: Optional[Callable] = None, family: str = "SD1.5", label: str = "text encoder"):
    """A CLIP text model from its single-file weights (``convert``: the single-file dict and the
    meta-built model -> transformers keys; CLIP-L's converter by default)."""
    from transformers import CLIPTextConfig

    config = CLIPTextConfig.from_pretrained(str(config_dir or CONFIG_DIR / "text_encoder"), local_files_only=True)
    with torch.device("meta"):
        model = cls(config)
    weights = convert(ldm, model) if convert else _converter("convert_ldm_clip_checkpoint")(ldm)
    del ldm
    # transformers >= 5.6 dropped the `text_model.` level of CLIPTextModel; older ones keep it.
    if not hasattr(model, "text_model"):
        weights = {k[len("text_model."):] if k.startswith("text_model.") else k: v for k, v in weights.items()}
    # position_ids is a fixed arange that old checkpoints saved and newer transformers no longer do.
    expected = model.state_dict().keys()
    weights = {k: v for k, v in weights.items() if k in expected or not k.endswith("position_ids")}
    model = assign(path, label, model, weights, optional="position_ids", family=family)
    for name, buffer in model.named_buffers():
        if buffer.is_meta and name.endswith("position_ids"):
            owner = model.get_submodule(name.rpartition(".")[0])
            owner.register_buffer("position_ids", torch.arange(buffer.shape[-1], device=_device(model)).expand(
                buffer.shape), persistent=name in expected)
    return model


def assign(path: Path, part: str, model, weights: Dict[str, torch.Tensor], optional: str = None,
           family: str = "SD1.5"):
    """Load ``weights`` into a meta-built ``model`` as its own tensors, every key accounted for
    (keys ending in ``optional`` may be absent)."""
    expected = model.state_dict().keys()
    missing = [k for k in expected if k not in weights and not (optional and k.endswith(optional))]
    unexpected = [k for k in weights if k not in expected]
    if missing or unexpected:
        found = ", ".join(f"{len(v)} {what} (e.g. {v[0]})" for what, v in (("missing", missing),
                                                                          ("unexpected", unexpected)) if v)
        raise BadInputError(f"{path.name}: its {part} weights do not match {family}'s: {found}.",
                            hint=f"The file is damaged or not an {family} model. {_CATCH_ALL}")
    try:
        model.load_state_dict(weights, strict=False, assign=True)
    except RuntimeError as e:   # shape mismatches: a model of the same layout but other sizes
        raise BadInputError(f"{path.name}: its {part} weights have other sizes than {family}'s "
                            f"({str(e).splitlines()[-1].strip()}).", hint=_CATCH_ALL) from e
    return model.eval()


def _device(model) -> torch.device:
    return next(p.device for p in model.parameters())


# --- the family ---------------------------------------------------------------------------------

class Sd15Family(Family):
    name, label = "sd15", "SD1.5"
    base_model_version, architecture = "sd_v1", "stable-diffusion-v1"
    resolution = 512
    host_configs = ("SD15",)

    def owns(self, shapes):
        # whatever is not plainly another model goes to SD1.5's checks, which say what is wrong with it
        return other_model(shapes) is None

    def load(self, path, tensors, *, device, dtype, prediction_type, identity):
        from .backend import DiffusersBackend

        parts = _load_opened(path, tensors, device=device, dtype=dtype, prediction_type=prediction_type)
        return DiffusersBackend(parts.unet, parts.vae, parts.text_encoder, parts.tokenizer, device=device,
                                prediction_type=parts.prediction_type, alphas_cumprod=parts.alphas_cumprod,
                                identity=identity)


FAMILY = Sd15Family()
