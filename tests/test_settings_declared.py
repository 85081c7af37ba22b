"""Every setting is declared once (anim2lora/specs.py): its help text, default and flag are
written in its stage's settings record and nowhere else; the node's widgets and the command
line's options are generated from it, old flag spellings still work, hidden."""

import ast
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from conftest import REPO

from anim2lora.cli import build_parser
from anim2lora.cli.options import settings_from
from anim2lora.dataset.settings import CaptionSettings
from anim2lora.extract.settings import ExtractSettings
from anim2lora.lineart.run import LineArtSettings
from anim2lora.people.groups import GroupSettings
from anim2lora.people.settings import CountSettings
from anim2lora.people.single_group import SingleGroupSettings
from anim2lora.sample.settings import SampleSettings
from anim2lora.specs import declared
from anim2lora.text.settings import TextSettings
from anim2lora.train.settings import RunOptions, TrainSettings
from anim2lora.verdict.settings import VerdictSettings

RECORDS = (ExtractSettings, TextSettings, CountSettings, GroupSettings, SingleGroupSettings, LineArtSettings,
           CaptionSettings, TrainSettings, RunOptions, SampleSettings, VerdictSettings)
SOURCES = sorted((REPO / "anim2lora").rglob("*.py")) + sorted((REPO / "nodes").rglob("*.py"))
FRAGMENT = 30          # a string this long that is part of a help text is a copy of it


def _strings(path: Path):
    return [n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def _module_file(record) -> Path:
    return Path(sys.modules[record.__module__].__file__).resolve()


def test_every_field_of_a_settings_record_is_declared():
    for record in RECORDS:
        assert list(declared(record)) == [f.name for f in fields(record)], record.__name__
        for spec in declared(record).values():
            assert spec.help.strip(), f"{record.__name__}.{spec.name} has no help"
            assert (spec.low is None) == (spec.high is None) == (spec.step is None) or spec.kind not in (int, float)


def test_no_help_text_is_written_twice():
    helps = [(record, spec) for record in RECORDS for spec in declared(record).values()]
    texts = [spec.help for _, spec in helps]
    assert len(set(texts)) == len(texts), "two settings share one help text"
    strings = {path.resolve(): _strings(path) for path in SOURCES}
    for record, spec in helps:
        home = _module_file(record)
        for path, found in strings.items():
            copies = [s for s in found if len(s) >= FRAGMENT and (s in spec.help or spec.help in s)]
            if path == home:
                assert len(copies) <= 1, f"{record.__name__}.{spec.name}: its help is written {len(copies)} times"
            else:
                assert not copies, f"{path.relative_to(REPO)} copies the help of {record.__name__}.{spec.name}"


def _calls(tree, name):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (getattr(n.func, "id", None) == name or getattr(n.func, "attr", None) == name)]


def _records_used(tree, call: str):
    """The records a module generates inputs or options from, with the names it skips."""
    by_name = {r.__name__: r for r in RECORDS}
    for c in _calls(tree, call):
        record = next((by_name[a.id] for a in c.args if isinstance(a, ast.Name) and a.id in by_name), None)
        if record is None:
            continue
        skip = next((k.value for k in c.keywords if k.arg == "skip"), None)
        skip = skip or next((a for a in c.args[2:] if isinstance(a, ast.Tuple)), None)
        yield record, {e.value for e in skip.elts} if skip is not None else set()


@pytest.mark.parametrize("path", sorted((REPO / "anim2lora" / "cli").glob("*.py")), ids=lambda p: p.name)
def test_the_command_line_writes_no_option_of_a_declared_setting_by_hand(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    flags = {}
    for record, skip in _records_used(tree, "add_options"):
        flags.update({s.flag: f"{record.__name__}.{s.name}" for s in declared(record).values() if s.name not in skip})
    for call in _calls(tree, "add_argument"):
        first = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else None
        assert first not in flags, f"{path.name}: {first} is written by hand; {flags.get(first)} declares it"


@pytest.mark.parametrize("path", sorted((REPO / "nodes").glob("*.py")), ids=lambda p: p.name)
def test_no_node_writes_a_widget_of_a_declared_setting_by_hand(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {name: record.__name__ for record, _ in _records_used(tree, "setting_inputs") for name in declared(record)}
    for d in (n for n in ast.walk(tree) if isinstance(n, ast.Dict)):
        for key, value in zip(d.keys, d.values):
            hand_widget = isinstance(value, ast.Tuple) and any(isinstance(e, ast.Dict) for e in value.elts)
            if isinstance(key, ast.Constant) and hand_widget:
                assert key.value not in names, \
                    f"{path.name}: widget {key.value} by hand; {names[key.value]} declares it"


def test_the_node_and_the_command_line_take_the_declared_defaults(pack):
    nodes = pack.NODE_CLASS_MAPPINGS
    for node, records in (("VideoFrameExtract", [ExtractSettings]), ("TextFrameFilter", [TextSettings]),
                          ("PersonCountFilter", [CountSettings]), ("GroupSplit", [GroupSettings]),
                          ("SingleGroup", [SingleGroupSettings]), ("LineArtPrep", [LineArtSettings]),
                          ("CaptionWithKeepTokens", [CaptionSettings]), ("TrainLoRA", [TrainSettings, RunOptions]),
                          ("LineArtSampler", [SampleSettings]), ("LineArtVerdict", [VerdictSettings])):
        types = nodes[node].INPUT_TYPES()
        inputs = {**types["required"], **types.get("optional", {})}
        for record in records:
            for spec in declared(record).values():
                assert inputs[spec.name][1]["default"] == spec.default and inputs[spec.name][1]["tooltip"] == spec.help
    parser = build_parser()
    for argv, records in ((["extract", "v.mp4"], [ExtractSettings]), (["text", "s.json"], [TextSettings]),
                          (["count", "s.json"], [CountSettings]),
                          (["groups", "s.json", "--ref", "A=a.png"], [GroupSettings, CountSettings]),
                          (["onegroup", "s.json"], [SingleGroupSettings]), (["lineart", "g"], [LineArtSettings]),
                          (["caption", "g"], [CaptionSettings]),
                          (["sample", "l", "--checkpoint", "c"], [SampleSettings]),
                          (["train", "d", "--checkpoint", "c", "--name", "anim2lora"], [TrainSettings, RunOptions]),
                          (["verdict", "a.png"], [VerdictSettings])):
        args = parser.parse_args([*argv, "--out", "o"])
        for record in records:
            assert settings_from(args, record) == record(), argv[0]


@pytest.mark.parametrize("argv,record,field,value", [
    (["text", "s.json", "--full"], TextSettings, "fast", False),
    (["text", "s.json", "--no-fast"], TextSettings, "fast", False),
    (["lineart", "g", "--keep-outside"], LineArtSettings, "whiten_outside", False),
    (["lineart", "g", "--no-whiten-outside"], LineArtSettings, "whiten_outside", False),
    (["caption", "g", "--no-crops"], CaptionSettings, "use_crops", False),
    (["caption", "g", "--no-use-crops"], CaptionSettings, "use_crops", False),
    (["groups", "s.json", "--ref", "A=a.png", "--no-crops"], GroupSettings, "crops", False),
    (["train", "d", "--checkpoint", "c", "--no-resume"], RunOptions, "resume", False),
    (["count", "s.json", "--keep-overlap"], CountSettings, "keep_overlap", True),
])
def test_flags_are_the_settings_names_and_old_spellings_still_work(argv, record, field, value):
    args = build_parser().parse_args([*argv, "--out", "o"])
    assert getattr(args, field) == value


def test_old_spellings_are_left_out_of_the_help(capsys):
    for stage, old, new in (("text", "--full", "--no-fast"), ("lineart", "--keep-outside", "--no-whiten-outside"),
                            ("caption", "--no-crops", "--no-use-crops")):
        with pytest.raises(SystemExit):
            build_parser().parse_args([stage, "--help"])
        text = capsys.readouterr().out
        assert new in text and old not in text, stage
