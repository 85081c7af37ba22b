"""The pack loaded the way ComfyUI's nodes.load_custom_node loads a folder pack: by path, as a
package whose name is its folder path.  No pytest here: the benchmark that runs inside ComfyUI's
own Python loads the pack with it too."""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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
