"""The pack as ComfyUI sees it: loadable by path, cheap to import, a valid V1 node contract."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

HOST_MODULES = {"comfy", "folder_paths", "server", "comfy_api", "execution", "nodes"}


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_pack_loads_by_path_with_every_stage(pack):
    assert "VideoFrameExtract" in pack.NODE_CLASS_MAPPINGS
    assert set(pack.NODE_DISPLAY_NAME_MAPPINGS) == set(pack.NODE_CLASS_MAPPINGS)
    assert sys.modules[pack.__name__ + ".nodes"].IMPORT_FAILURES == {}
    assert (REPO / pack.WEB_DIRECTORY / "anim2lora.js").is_file()


def test_importing_the_pack_defers_heavy_libraries():
    code = ("import sys; sys.path.insert(0, %r); from conftest import load_pack; load_pack(); "
            "print(sorted(m for m in ('av', 'cv2', 'torch', 'onnxruntime', 'diffusers') if m in sys.modules))"
            % str(REPO / "tests"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_only_the_bridge_touches_the_host():
    offenders = []
    for path in list((REPO / "anim2lora").rglob("*.py")) + list((REPO / "nodes").rglob("*.py")):
        if path.name == "bridge.py" and path.parent.name == "nodes":
            continue
        hits = HOST_MODULES & set(_imported_modules(path))
        if hits:
            offenders.append(f"{path.relative_to(REPO)}: {sorted(hits)}")
    assert offenders == []


def test_node_contract(pack):
    for name, cls in pack.NODE_CLASS_MAPPINGS.items():
        spec = cls.INPUT_TYPES()
        assert set(spec) <= {"required", "optional", "hidden"}, name
        for section in ("required", "optional"):
            for input_name, entry in spec.get(section, {}).items():
                kind, options = entry
                assert isinstance(kind, (str, list)), (name, input_name)
                assert options.get("tooltip"), f"{name}.{input_name} has no tooltip"
                if kind in ("INT", "FLOAT"):
                    assert options["min"] <= options["default"] <= options["max"], (name, input_name)
                if isinstance(kind, list) and "default" in options:
                    assert options["default"] in kind
        assert callable(getattr(cls, cls.FUNCTION)), name
        assert len(cls.RETURN_TYPES) == len(cls.RETURN_NAMES) == len(cls.OUTPUT_TOOLTIPS), name
        assert all(isinstance(t, str) and t for t in cls.RETURN_TYPES)
        assert cls.CATEGORY.startswith("anim2lora/") and cls.CATEGORY == cls.CATEGORY.lower()
        assert cls.DESCRIPTION


def test_node_settings_match_the_core_settings(pack):
    from anim2lora.extract.settings import ExtractSettings

    cls = pack.NODE_CLASS_MAPPINGS["VideoFrameExtract"]
    required = cls.INPUT_TYPES()["required"]
    assert set(required) == {"video", *ExtractSettings.names()}
    for field in ExtractSettings.names():
        assert required[field][1]["default"] == getattr(ExtractSettings(), field)


def test_pyproject_mirrors_requirements():
    import re
    import tomllib

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    norm = lambda s: re.sub(r"\s+", "", s.replace("'", '"'))  # noqa: E731
    assert [norm(d) for d in deps] == [norm(line) for line in lines]
    assert not any(re.match(r"(torch|torchvision|torchaudio|numpy)\b", line) for line in lines), \
        "the host's torch/numpy must never be pinned by the pack"


@pytest.mark.parametrize("name", ["extract_demo.json", "text_demo.json", "groups_demo.json", "dataset_demo.json",
                                  "train_demo.json", "sample_demo.json", "verdict_demo.json"])
def test_api_workflows_match_the_nodes(pack, name):
    """Every pack node in a shipped API prompt names exactly the node's inputs, with defaults."""
    import json

    prompt = json.loads((REPO / "workflows" / "api" / name).read_text())
    nodes = [n for n in prompt.values() if n["class_type"] in pack.NODE_CLASS_MAPPINGS]
    assert nodes
    for node in nodes:
        types = pack.NODE_CLASS_MAPPINGS[node["class_type"]].INPUT_TYPES()
        spec = {**types["required"], **types.get("optional", {})}
        assert set(types["required"]) <= set(node["inputs"]) <= set(spec)
        for key, value in node["inputs"].items():
            kind, options = spec[key]
            if key == "video" or isinstance(value, list):      # the file, or a link to another node
                continue
            if kind == "STRING":      # the shipped default, or a character's own name
                assert isinstance(value, str) and (value == options["default"] or key == "name"), key
                continue
            if isinstance(kind, list):
                assert value in kind
            elif kind == "BOOLEAN":
                assert value == options["default"], key
            else:
                assert options["min"] <= value <= options["max"] and value == options["default"], key


def test_the_init_file_imported_alone_registers_nothing_and_does_not_fail():
    """pytest imports the root __init__.py on its own when the clone's folder name is no Python
    name (CI clones into such folders); that must not break collection."""
    import types

    module = types.ModuleType("__init__")            # a plain top-level module, as pytest makes it
    path = REPO / "__init__.py"
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    assert module.WEB_DIRECTORY == "./js" and not hasattr(module, "NODE_CLASS_MAPPINGS")
