"""Canvas files read along each node's widget layout, laid out from its /object_info definition as
the front end lays it out (controls after seeds, a combo's control filter, upload buttons), and
refused, naming the node, where they do not fit."""

import copy
import json

import pytest

import nodeinfo
from conftest import REPO

from anim2lora.errors import BadInputError
from anim2lora.queue.ui_format import ui_to_api
from anim2lora.queue.widget_layout import widget_slots

NAMES = ["v1_naive", "v2_clean"]


@pytest.fixture(scope="module")
def infos(pack):
    return nodeinfo.object_info(pack)


def _ui(name):
    return json.loads((REPO / "workflows" / f"{name}.json").read_text())


def _twin(name):
    return json.loads((REPO / "workflows" / "api" / f"{name}.json").read_text())


def _saved(node):
    return {entry["name"]: entry for entry in node.get("inputs") or []}


def _node(node_id, kind, widgets=None, inputs=(), mode=0):
    return {"id": node_id, "type": kind, "mode": mode, "order": node_id, "widgets_values": widgets,
            "inputs": [{"name": n, "type": t, "link": link} for n, t, link in inputs], "outputs": []}


def _convert(nodes, infos, links=(), **extra):
    return ui_to_api({"nodes": nodes, "links": list(links), **extra}, {**infos, **DEFINITIONS}.__getitem__)


# Host nodes as ComfyUI defines them (KSampler and LoadImage trimmed), and a few shapes no shipped node has
DEFINITIONS = {
    "KSampler": {"input": {"required": {
        "model": ["MODEL"], "seed": ["INT", {"default": 0, "min": 0, "max": 2 ** 64 - 1, "control_after_generate": True}],
        "steps": ["INT", {"default": 20}], "sampler_name": [["euler", "ddim"], {}], "denoise": ["FLOAT", {}]}},
        "output": ["LATENT"]},
    "Sampler": {"input": {"required": {"noise_seed": ["INT", {}], "cfg": ["FLOAT", {}]}}, "output": []},
    "Fixed": {"input": {"required": {"seed": ["INT", {"control_after_generate": False}], "cfg": ["FLOAT", {}]}},
              "output": []},
    "Drifting": {"input": {"required": {"scale": ["FLOAT", {"control_after_generate": True}],
                                        "style": [["a", "b", "c"], {"control_after_generate": True}],
                                        "steps": ["INT", {}]}}, "output": []},
    "LoadClip": {"input": {"required": {"clip": [["a.mp4"], {"video_upload": True}], "fps": ["FLOAT", {}]},
                           "optional": {"loop": ["BOOLEAN", {}]}}, "output": ["IMAGE"]},
    "Forced": {"input": {"required": {"count": ["INT", {"forceInput": True}], "label": ["STRING", {}]}}, "output": []},
    "Charted": {"input": {"required": {"chart": ["KUL_CHART", {}], "label": ["STRING", {}]}}, "output": []},
}


@pytest.mark.parametrize("name", NAMES)
def test_the_layout_from_the_definitions_is_the_front_ends_own(infos, name):
    """Every shipped node's widgets, companions included, as the definition lays them out: the names
    and order the front end saved by name (an optional widget added since the file was saved last)."""
    for node in _ui(name)["nodes"]:
        slots = widget_slots(infos[node["type"]], _saved(node))
        saved = list(node.get("widgets_values_named") or {})
        assert [s.name for s in slots[:len(saved)]] == saved, node["type"]
        assert all(s.optional for s in slots[len(saved):]), node["type"]
        assert len(node.get("widgets_values") or []) == len(saved), node["type"]


@pytest.mark.parametrize("name", NAMES)
def test_files_without_the_widget_record_of_older_front_ends_convert_the_same(infos, name):
    """Front ends before widget sockets listed only the sockets (and converted widgets) in a node's
    inputs: the definition alone lays the values out."""
    ui = _ui(name)
    for node in ui["nodes"]:
        node.pop("widgets_values_named", None)
        node["inputs"] = [{k: v for k, v in entry.items() if k != "widget"} for entry in node.get("inputs") or []
                          if "widget" not in entry]
    assert ui_to_api(ui, infos.__getitem__) == _twin(name)


def test_controls_come_after_seeds_and_whatever_asks_for_one(infos):
    nodes = [_node(1, "KSampler", [7, "fixed", 20, "ddim", 0.5], [("model", "MODEL", None)]),
             _node(2, "Sampler", [9, "randomize", 3.5]),
             _node(3, "Fixed", [11, 2.5]),
             _node(4, "Drifting", [0.5, "increment", "b", "fixed", "", 4])]
    prompt = _convert(nodes, infos)
    assert prompt["1"]["inputs"] == {"seed": 7, "steps": 20, "sampler_name": "ddim", "denoise": 0.5}
    assert prompt["2"]["inputs"] == {"noise_seed": 9, "cfg": 3.5}, "a noise_seed gets a control by its name"
    assert prompt["3"]["inputs"] == {"seed": 11, "cfg": 2.5}, "unless its definition says no"
    assert prompt["4"]["inputs"] == {"scale": 0.5, "style": "b", "steps": 4}, "a combo's control has a filter"


def test_the_upload_button_closes_the_required_inputs(infos):
    prompt = _convert([_node(1, "LoadClip", ["a.mp4", 24.0, "image", True])], infos)
    assert prompt["1"]["inputs"] == {"clip": "a.mp4", "fps": 24.0, "loop": True}


def test_the_saved_node_says_which_inputs_the_front_end_made_widgets(infos):
    """A forced socket the saving front end still gave a widget, and a widget type of another pack's
    script (unknown to the core registry): the file's "widget" marks keep the values in place."""
    forced = _node(1, "Forced", ["ten"], [("count", "INT", None)])
    assert _convert([forced], infos)["1"]["inputs"] == {"label": "ten"}
    forced = _node(1, "Forced", [10, "ten"], [("count", "INT", None)])
    forced["inputs"][0]["widget"] = {"name": "count"}
    assert _convert([forced], infos)["1"]["inputs"] == {"count": 10, "label": "ten"}
    charted = _node(2, "Charted", [[1, 2], "x"], [("chart", "KUL_CHART", None), ("label", "STRING", None)])
    for entry in charted["inputs"]:
        entry["widget"] = {"name": entry["name"]}
    assert _convert([charted], infos)["2"]["inputs"] == {"chart": {"__value__": [1, 2]}, "label": "x"}


def test_trailing_front_end_widgets_are_ignored_when_the_file_records_the_layout(infos):
    """A video preview the front end appends after the upload button: more values than the
    definition lays out, harmless when the file lists exactly the definition's widgets."""
    ui = _ui("v2_clean")
    extract = ui["nodes"][0]
    extract["widgets_values"].append({"hidden": False, "paused": False})
    assert ui_to_api(ui, infos.__getitem__)["1"] == _twin("v2_clean")["1"]
    extract.pop("widgets_values_named")
    extract["inputs"] = extract["inputs"][:-1]            # no record of the upload button: not the layout
    with pytest.raises(BadInputError, match=r"#1 VideoFrameExtract: the file holds 11 widget values, but "
                                            r"VideoFrameExtract as this host defines it has 10 \(video, sampling"):
        ui_to_api(ui, infos.__getitem__)


@pytest.mark.parametrize("values, says", [
    ([7, 20, "ddim", 0.5, 0.7], "widget 'control_after_generate' holds 20, which is not a control mode"),
    ([7, "fixed", "ddim", 20, 0.5], "widget 'steps' holds 'ddim', which is not an INT value"),
    ([7, "fixed", 20], r"the file holds 3 widget values, but KSampler as this host defines it has 5 "
                       r"\(seed, control_after_generate, steps, sampler_name, denoise\)"),
])
def test_values_that_do_not_fit_the_definition_are_refused_naming_node_and_widget(infos, values, says):
    node = _node(5, "KSampler", values, [("model", "MODEL", None)])
    with pytest.raises(BadInputError, match=r"#5 KSampler: " + says) as e:
        _convert([node], infos)
    assert "save it" in str(e.value), "says what to do"


def test_names_read_a_file_whose_positions_do_not_fit(infos):
    node = _node(5, "KSampler", [7, 20, "ddim", 0.5, 0.7], [("model", "MODEL", None)])
    node["widgets_values_named"] = {"seed": 7, "steps": 20, "sampler_name": "ddim", "denoise": 0.5}
    assert _convert([node], infos)["5"]["inputs"] == node["widgets_values_named"]


@pytest.mark.parametrize("change, says", [
    (lambda ui: ui["links"].pop(0), r"#2 TextFrameFilter: input 'frames' is wired to link 40, which is not in"),
    (lambda ui: ui["nodes"].pop(0), r"#2 TextFrameFilter: input 'frames' is fed \(link 40\) by node #1, which is not"),
    (lambda ui: ui["nodes"][1].update(type="workflow>Filters"), r"#2 workflow>Filters: a group node"),
    (lambda ui: ui.setdefault("extra", {}).update(groupNodes={"TextFrameFilter": {}}), r"#2 TextFrameFilter: a group node"),
    (lambda ui: ui["nodes"][1].update(widgets_values="rapidocr"), r"#2 TextFrameFilter: its widgets_values is str"),
    (lambda ui: ui["nodes"][1].pop("type"), r"node at position 1 has no id or no type"),
    (lambda ui: ui["links"].append("40"), r"link at position \d+ is not \[id, origin node"),
])
def test_what_cannot_be_converted_is_refused_with_the_node_named(infos, change, says):
    ui = _ui("v2_clean")
    ui["links"].sort(key=lambda link: link[0])
    change(ui)
    with pytest.raises(BadInputError, match=says):
        ui_to_api(ui, infos.__getitem__)


def test_a_class_the_host_lacks_is_refused_with_the_hosts_own_reason(infos):
    def host(kind):
        if kind == "PersonCountFilter":
            raise BadInputError("ComfyUI at http://h:8188 has no node 'PersonCountFilter'.", hint="Is the pack installed?")
        return infos[kind]

    with pytest.raises(BadInputError, match=r"#3 PersonCountFilter: ComfyUI at http://h:8188 has no node "
                                            r"'PersonCountFilter'\. Is the pack installed\?"):
        ui_to_api(_ui("v2_clean"), host)


def test_the_converter_leaves_the_workflow_as_it_was(infos):
    ui = _ui("v2_clean")
    kept = copy.deepcopy(ui)
    ui_to_api(ui, infos.__getitem__)
    assert ui == kept


def test_a_hole_in_the_saved_values_is_not_sent(infos):
    """The front end saves null for a widget it keeps out of the file; it sends nothing for it."""
    prompt = _convert([_node(1, "LoadClip", ["a.mp4", None, "image", True])], infos)
    assert prompt["1"]["inputs"] == {"clip": "a.mp4", "loop": True}
