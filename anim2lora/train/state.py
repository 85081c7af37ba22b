"""The resumable state of a run: LoRA weights (float32), optimizer, LR schedule, step and loss
history.  The random streams are functions of (seed, step) (``data.py``), so seed and step are
the whole RNG state.  Written as a folder replaced whole: a cancel while saving leaves the
previous state readable."""

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import torch

from ..errors import BadInputError
from ..staging import swap_in

WEIGHTS, OPTIMIZER, META = "lora_fp32.safetensors", "optimizer.pt", "state.json"


@dataclass
class State:
    step: int                      # optimizer steps done
    losses: List[float]
    weights: Dict[str, torch.Tensor]
    optimizer: dict
    scheduler: dict
    scaler: Optional[dict]
    fingerprint: dict              # settings that decide the math + the dataset's content
    scoring: Optional[dict] = None  # resemblance scored so far and the best step (``scoring.py``)


def save_state(folder: os.PathLike, state: State) -> Path:
    from safetensors.torch import save_file

    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(state.weights, str(tmp / WEIGHTS))
    torch.save({"optimizer": state.optimizer, "scheduler": state.scheduler, "scaler": state.scaler}, tmp / OPTIMIZER)
    (tmp / META).write_text(json.dumps({"step": state.step, "losses": state.losses, "fingerprint": state.fingerprint,
                                        "scoring": state.scoring}, indent=1), encoding="utf-8")
    swap_in(tmp, folder)
    return folder


def load_state(folder: os.PathLike, fingerprint: dict) -> Optional[State]:
    """The saved state when it belongs to this run (same math settings and dataset), else None;
    a damaged state is an error naming the folder to delete."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if not (folder / META).is_file():
        return None
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        if meta.get("fingerprint") != json.loads(json.dumps(fingerprint)):
            return None
        rest = torch.load(folder / OPTIMIZER, map_location="cpu", weights_only=True)
        weights = load_file(str(folder / WEIGHTS))
        return State(int(meta["step"]), [float(v) for v in meta["losses"]], weights, rest["optimizer"],
                     rest["scheduler"], rest.get("scaler"), fingerprint, _scoring(meta.get("scoring")))
    except (OSError, ValueError, RuntimeError, KeyError, AttributeError, TypeError) as e:   # edited, truncated
        raise BadInputError(f"The saved training state in {folder} is damaged ({e}).",
                            hint="Delete that folder to start the run over, or turn resume off.") from None


def _scoring(saved) -> Optional[dict]:
    """The scores a state holds, checked (an edited file is damage, not a crash later)."""
    if saved is None:
        return None
    best = saved["best"]
    if not isinstance(saved["history"], list) or not (best is None or (int(best["step"]), float(best["score"]))):
        raise ValueError("its scores are not a list")
    return saved


def clear_state(folder: os.PathLike) -> None:
    shutil.rmtree(folder, ignore_errors=True)
