"""The opt-in download of pinned model files from the Hugging Face hub (huggingface_hub).

Only ever called when the user turned ``allow_download`` on; offline, every stage names the
file it misses and where to put it instead.
"""

import os
import shutil
from pathlib import Path

from .errors import MissingModelError
from .hashing import file_sha256


def fetch(repo: str, path: str, revision: str, target: Path, *, owner: str, sha256: str = "") -> Path:
    """Download ``repo``/``path`` at ``revision`` to ``target`` (checked against ``sha256`` when
    it is published); the file appears whole or not at all."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise MissingModelError(f"{owner}: allow_download needs huggingface_hub, which is not installed.",
                                hint="pip install huggingface_hub, or copy the files by hand (see docs/models.md).") from None
    try:
        cached = hf_hub_download(repo, path, revision=revision)
    except Exception as e:  # noqa: BLE001 - network, auth and hub errors all mean "not downloaded"
        raise MissingModelError(f"{owner}: download of {repo}/{path} failed ({type(e).__name__}: {e}).",
                                hint=f"Download it by hand and save it as {target}.") from None
    if sha256 and file_sha256(cached) != sha256:
        raise MissingModelError(f"{owner}: the downloaded {repo}/{path} is not the pinned file (sha256 differs).",
                                hint="Delete huggingface_hub's cached copy and retry.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    shutil.copyfile(cached, tmp)
    os.replace(tmp, target)
    return target
