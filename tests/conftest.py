"""Shared fixtures.  The pack is loaded the way ComfyUI loads it: by path, as a package whose
name is its folder path, with no ComfyUI installed and nothing pretending to be ComfyUI."""

import json
import os
import sys
from pathlib import Path

import pytest

from packload import REPO, load_pack     # tests/ is on sys.path: pytest's rootdir conftest

sys.path.insert(0, str(REPO))          # the core, as `anim2lora`, for the CLI-level tests

from comfyhost import make_random_sd15, started_host  # noqa: E402


@pytest.fixture(scope="session")
def pack():
    return load_pack()


@pytest.fixture
def host_dirs(pack, tmp_path):
    """Input and output folders for the nodes, as ComfyUI would provide them."""
    bridge = sys.modules[pack.__name__ + ".nodes.bridge"]
    dirs = {"input": tmp_path / "input", "output": tmp_path / "output"}
    for d in dirs.values():
        d.mkdir()
    bridge.configure(input_dir=dirs["input"], output_dir=dirs["output"])
    yield dirs
    bridge._configured.clear()


@pytest.fixture(scope="session")
def demo_clip(tmp_path_factory):
    from anim2lora.demo.clip import write_clip

    path = tmp_path_factory.mktemp("demo") / "demo.mp4"
    write_clip(path)
    return path


@pytest.fixture(scope="session")
def demo_truth(demo_clip):
    return json.loads(Path(f"{demo_clip}.truth.json").read_text())["frames"]


@pytest.fixture(scope="session")
def demo_extract(demo_clip, tmp_path_factory):
    from anim2lora.extract.run import extract

    return extract(demo_clip, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def host(tmp_path_factory):
    """A real ComfyUI with the pack and no models (tests marked ``needs_host``)."""
    yield from started_host(tmp_path_factory, "comfy")


@pytest.fixture(scope="session")
def random_sd15(tmp_path_factory):
    """A full-size SD1.5-architecture checkpoint of random weights (../shared/tools), about 2 GB."""
    return make_random_sd15(tmp_path_factory)


@pytest.fixture(scope="session")
def train_host(tmp_path_factory, random_sd15):
    """A second host with the random checkpoint in models/checkpoints."""
    yield from started_host(tmp_path_factory, "comfy-train", random_sd15)


def pytest_report_header(config):
    return f"COMFYUI_DIR={os.environ.get('COMFYUI_DIR', '(unset: real-host tests skip)')}"
