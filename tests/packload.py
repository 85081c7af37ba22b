"""The pack loaded the way ComfyUI's nodes.load_custom_node loads a folder pack: by path, as a
package whose name is its folder path.  No pytest here: the benchmark that runs inside ComfyUI's
own Python loads the pack with it too."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def random_sd15(out: Path) -> Path:
    """A full-size SD1.5-architecture checkpoint of random weights, about 2 GB, made at ``out``
    with ../shared/tools/make_random_sd15.py in ComfyUI's Python (COMFY_VENV); RANDOM_SD15 names
    one made earlier, to skip the two minutes of making it."""
    if os.environ.get("RANDOM_SD15"):
        return Path(os.environ["RANDOM_SD15"])
    tool = REPO.parent / "shared" / "tools" / "make_random_sd15.py"
    made = subprocess.run([str(Path(os.environ["COMFY_VENV"]) / "bin" / "python"), str(tool), str(out)],
                          capture_output=True, text=True, timeout=600)
    if made.returncode:
        raise RuntimeError(f"{tool} failed:\n{made.stderr[-2000:]}")
    return Path(out)


def load_pack(folder: Path = REPO):
    name = str(folder).replace(".", "_x_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
