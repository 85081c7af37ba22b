"""A fuzz pass over the readers of files the pack wrote (a frame-set manifest, ``groups.json``,
``dataset.json``): whatever JSON they hold, the reader either returns something whose every path
lies inside its folder, or raises BadInputError; never another exception.  Bounded to a few
seconds (max_examples), so it runs in CI with the rest."""

import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anim2lora.dataset.run import load_dataset
from anim2lora.errors import BadInputError
from anim2lora.frameset import load
from anim2lora.people.export import export_groups, load_groups
from anim2lora.safe_paths import is_within
from framesets import frameset_of

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text a hostile file would hold: path tricks and names beside plain junk
tricky = st.sampled_from(["../x.png", "/etc/passwd", "frames/../../x", "images/ok.png", "", ".", "..", "A",
                          "A+B", "crops", "\x00", "C:\\x", "\\\\server\\x", "sets/x.json", "A/sets/x.json", "{n}"])
scalars = st.none() | st.booleans() | st.integers(-3, 10 ** 12) | st.floats(allow_nan=True) | st.text(max_size=12) | tricky
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=8) | tricky | st.sampled_from(["file", "index", "dropped", "groups", "crops", "frames", "id"]),
    inner, max_size=4), max_leaves=20)


def _base(tmp: Path):
    pictures = [(np.full((8, 8, 3), 40 * i, np.uint8), None) for i in range(2)]
    return frameset_of(tmp / "cache", pictures)


def _mutate(data, path, value):
    """``data`` with the field at ``path`` (keys and indices, as far as they reach) replaced."""
    if not path or not isinstance(data, (dict, list)):
        return value
    key, rest = path[0], path[1:]
    if isinstance(data, dict):
        key = key if isinstance(key, str) else (list(data)[key % len(data)] if data else "x")
        return {**data, key: _mutate(data.get(key), rest, value)}
    if not data:
        return [value]
    i = key % len(data) if isinstance(key, int) else 0
    return [*data[:i], _mutate(data[i], rest, value), *data[i + 1:]]


keys = st.sampled_from(["frames", "id", "file", "thumb", "index", "dropped", "source", "groups", "crops", "pending",
                        "folder", "repeats", "keep_tokens", "A"])
# where a field is replaced: anywhere, or (most often) in a row, a group entry or a dataset group
row_paths = st.tuples(st.just("frames"), st.integers(0, 3), st.sampled_from(["file", "thumb"])).map(list)
paths = st.one_of(st.lists(st.integers(0, 9) | keys, max_size=4), row_paths, row_paths,
                  st.tuples(st.just("frames"), st.integers(0, 3), keys).map(list),
                  st.tuples(st.sampled_from(["groups", "crops"]), st.sampled_from(["A", "B"])).map(list),
                  st.tuples(st.just("groups"), st.just("A"), keys).map(list))
escapes = st.sampled_from(["../x.png", "/etc/passwd", "frames/../../x.png", "A/../../x", "../../cache/sets/x.json",
                           "..", "/"])
values = st.one_of(escapes, tricky, json_values)


def _inside(frames) -> None:
    for row in frames.kept:
        assert is_within(frames.image_path(row), frames.root)


@FUZZ
@given(path=paths, value=values, whole=st.booleans())
def test_a_manifest_loads_inside_its_folder_or_is_refused(path, value, whole):
    with tempfile.TemporaryDirectory() as tmp:
        frames = _base(Path(tmp))
        data = value if whole else _mutate(json.loads(frames.path.read_text()), path, value)
        frames.path.write_text(json.dumps(data, allow_nan=True))
        try:
            _inside(load(frames.path))
        except BadInputError:
            pass


@FUZZ
@given(path=paths, value=values, whole=st.booleans(), rename=st.none() | escapes | tricky | st.text(max_size=10))
def test_a_group_index_loads_inside_its_folder_or_is_refused(path, value, whole, rename):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "groups"
        export_groups({"A": _base(Path(tmp))}, {}, out)
        index = out / "groups.json"
        data = json.loads(index.read_text())
        if rename is not None:                      # the group's name itself, as a folder would be named
            data["groups"] = {rename: data["groups"]["A"]}
        data = value if whole else _mutate(data, path, value)
        index.write_text(json.dumps(data, allow_nan=True))
        try:
            groups = load_groups(out)
        except BadInputError:
            return
        for name, frames in [*groups.groups.items(), *groups.crops.items()]:
            assert is_within(frames.root, out) and is_within(out / name, out) and (out / name) != out
            assert not name.startswith(".") and "/" not in name and "\\" not in name
            _inside(frames)


@FUZZ
@given(path=paths, value=values)
def test_a_dataset_index_loads_inside_its_folder_or_is_refused(path, value):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ds"
        (folder / "img" / "1_A").mkdir(parents=True)
        (folder / "img" / "1_A" / "0.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        (folder / "img" / "1_A" / "0.txt").write_text("A, smile\n")
        good = {"groups": {"A": {"folder": "1_A", "repeats": 1, "keep_tokens": 1}}, "settings": {"resolution": 512}}
        (folder / "dataset.json").write_text(json.dumps(_mutate(good, path, value), allow_nan=True))
        try:
            dataset = load_dataset(folder)
        except BadInputError:
            return
        for sub in dataset.subsets:
            assert is_within(sub.folder, folder / "img") and sub.folder != folder / "img"
