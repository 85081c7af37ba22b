"""VideoFrameExtract run as ComfyUI runs it, through the pack loaded by path, without a host."""

import shutil
import sys

import pytest


@pytest.fixture
def node(pack):
    return pack.NODE_CLASS_MAPPINGS["VideoFrameExtract"]


def _defaults(node):
    return {k: v[1]["default"] for k, v in node.INPUT_TYPES()["required"].items() if k != "video"}


def test_node_lists_uploads_and_extracts(node, host_dirs, demo_clip):
    shutil.copy(demo_clip, host_dirs["input"] / "clip.mp4")
    (host_dirs["input"] / "notes.txt").write_text("not a video")
    assert node.INPUT_TYPES()["required"]["video"][0] == ["clip.mp4"]
    assert node.VALIDATE_INPUTS("clip.mp4") is True
    out = node().extract(video="clip.mp4", unique_id="7", **_defaults(node))
    frames, preview, report = out["result"]
    assert len(frames) == len(frames.kept) >= 60
    assert frames.root == host_dirs["output"] / "anim2lora"
    assert tuple(preview.shape[::3]) == (1, 3) and preview.shape[2] <= 1024
    assert 0.0 <= float(preview.min()) and float(preview.max()) <= 1.0
    assert "kept" in report and "dissolve" in report and out["ui"]["a2l_report"] == [report]


@pytest.mark.parametrize("name", ["../secret.mp4", "/etc/passwd", "sub/../../x.mp4", "link.mp4", "missing.mp4"])
def test_names_outside_the_input_folder_are_refused(node, host_dirs, tmp_path, name):
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"x")
    (host_dirs["input"] / "link.mp4").symlink_to(outside)
    message = node.VALIDATE_INPUTS(name)
    assert message is not True and "video" in message
    with pytest.raises(Exception) as err:
        node().extract(video=name, **_defaults(node))
    assert type(err.value).__name__ == "BadInputError"


def test_is_changed_follows_the_file(node, host_dirs, demo_clip):
    target = host_dirs["input"] / "clip.mp4"
    shutil.copy(demo_clip, target)
    before = node.IS_CHANGED("clip.mp4")
    with open(target, "ab") as f:
        f.write(b"\0")
    assert node.IS_CHANGED("clip.mp4") != before


def test_cancel_mid_run_leaves_nothing_half_written(demo_clip, tmp_path):
    from anim2lora.errors import CancelledError
    from anim2lora.extract.run import extract
    from anim2lora.progress import Progress

    class CancelAt(Progress):
        def report(self, done, total):
            if done >= 150:           # well into the clip, with frames already written
                self.cancel_event.set()

    progress = CancelAt(interval=0)
    with pytest.raises(CancelledError):
        extract(demo_clip, tmp_path, progress=progress)
    assert progress.done >= 150
    assert list((tmp_path / "frames").iterdir()) == [], "the partial set must be removed"
    assert not (tmp_path / "sets").exists()
    assert extract(demo_clip, tmp_path).frames.kept, "a later run starts clean and completes"


def test_bridge_without_host_asks_for_folders(pack):
    bridge = sys.modules[pack.__name__ + ".nodes.bridge"]
    assert not bridge.has_host()
    assert bridge.list_videos() == []
    with pytest.raises(Exception, match="input folder"):
        bridge.input_dir()
