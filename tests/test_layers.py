"""The core's layer order (anim2lora/layers.py) holds for every import, those inside functions too."""

import ast
from pathlib import Path
from typing import Iterator, List, Tuple

from anim2lora.layers import LAYERS, layer_of

from conftest import REPO

CORE = REPO / "anim2lora"


def _unit(core: Path, path: Path) -> str:
    """The top-level module or package of the core that ``path`` belongs to."""
    first = path.relative_to(core).parts[0]
    return first[:-3] if first.endswith(".py") else first


def _imported_units(core: Path, path: Path) -> Iterator[Tuple[int, str, str]]:
    """(line, dotted name, unit) of every import of the core in ``path``, relative ones resolved."""
    parts = list(path.relative_to(core.parent).with_suffix("").parts)
    package = parts[:-1]          # a package's __init__ counts as in that package
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = base + (node.module.split(".") if node.module else [])
            # "from .. import x": x is a module of the core, or a name of its __init__
            names = [".".join(module + [a.name]) for a in node.names] if len(module) == 1 else [".".join(module)]
        else:
            continue
        for name in names:
            dotted = name.split(".")
            if dotted[0] != core.name:
                continue
            if len(dotted) == 1 or not ((core / dotted[1]).is_dir() or (core / f"{dotted[1]}.py").is_file()):
                yield node.lineno, name, "__init__"
            else:
                yield node.lineno, name, dotted[1]


def _upward_imports(core: Path) -> List[str]:
    found = []
    for path in sorted(core.rglob("*.py")):
        unit = _unit(core, path)
        for line, name, target in _imported_units(core, path):
            if layer_of(target) > layer_of(unit):
                found.append(f"{path.relative_to(core.parent)}:{line}: {unit} ({LAYERS[layer_of(unit)][0]}) imports "
                             f"{name} ({LAYERS[layer_of(target)][0]}), a later layer")
    return found


def test_every_module_of_the_core_has_a_layer():
    on_disk = {_unit(CORE, p) for p in CORE.rglob("*.py")}
    declared = {u for _, units in LAYERS for u in units}
    assert sorted(on_disk - declared) == [], "place them in anim2lora/layers.py"
    assert sorted(declared - on_disk) == [], "no longer in anim2lora/: remove them from anim2lora/layers.py"


def test_no_module_imports_a_later_layer():
    assert _upward_imports(CORE) == []


def test_a_later_layer_imported_inside_a_function_is_found(tmp_path):
    core = tmp_path / "anim2lora"
    for folder in ("people", "verdict", "train", "image"):
        (core / folder).mkdir(parents=True)
        (core / folder / "__init__.py").write_text("")
    (core / "errors.py").write_text("")
    (core / "people" / "rules.py").write_text(
        "from ..errors import BadInputError\nfrom ..image import masks\nfrom . import boxes\n"
        "from ..verdict.run import judge\n\n\ndef f():\n    from .. import train\n")
    (core / "image" / "masks.py").write_text("import anim2lora.people.rules\n")
    assert _upward_imports(core) == [
        "anim2lora/image/masks.py:1: image (base) imports anim2lora.people.rules (people), a later layer",
        "anim2lora/people/rules.py:4: people (people) imports anim2lora.verdict.run (verdict), a later layer",
        "anim2lora/people/rules.py:8: people (people) imports anim2lora.train (train), a later layer",
    ]
