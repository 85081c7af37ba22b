"""The shipped v1_naive, v2_clean and v2_clean_sdxl workflows: canvas files ComfyUI's template browser lists,
whose API form (converted from the nodes' own definitions) is exactly the API twin, every link
joining matching types and every widget value one its input accepts."""

import json

import pytest

import nodeinfo
from conftest import REPO

from anim2lora.queue.ui_format import declared_inputs, is_widget, ui_to_api

WORKFLOWS = REPO / "workflows"
NAMES = ["v1_naive", "v2_clean", "v2_clean_sdxl"]
TEMPLATE_FOLDERS = ("example_workflows", "example", "examples", "workflow", "workflows")   # ComfyUI's scan


@pytest.fixture(scope="module")
def infos(pack):
    return nodeinfo.object_info(pack)


def _ui(name):
    return json.loads((WORKFLOWS / f"{name}.json").read_text())


def _twin(name):
    return json.loads((WORKFLOWS / "api" / f"{name}.json").read_text())


@pytest.mark.parametrize("name", NAMES)
def test_the_canvas_workflow_converts_to_its_api_twin(infos, name):
    assert ui_to_api(_ui(name), infos.__getitem__) == _twin(name)


@pytest.mark.parametrize("kept", ["widgets_values", "widgets_values_named"])
@pytest.mark.parametrize("name", NAMES)
def test_positional_or_named_widget_values_alone_convert_the_same(infos, name, kept):
    """Front ends before widgets_values_named keep values by position only (a seed's control value
    after it); a file may also hold names only: either alone gives the same prompt."""
    ui = _ui(name)
    dropped = {"widgets_values": "widgets_values_named", "widgets_values_named": "widgets_values"}[kept]
    for node in ui["nodes"]:
        node.pop(dropped, None)
    assert ui_to_api(ui, infos.__getitem__) == _twin(name)


@pytest.mark.parametrize("name", NAMES)
def test_every_link_joins_matching_types(infos, name):
    ui = _ui(name)
    nodes = {n["id"]: n for n in ui["nodes"]}
    assert ui["links"], "the workflow is wired"
    for link_id, origin, slot, target, target_slot, kind in ui["links"]:
        out_type = infos[nodes[origin]["type"]]["output"][slot]
        input_name = nodes[target]["inputs"][target_slot]["name"]
        spec = dict(declared_inputs(infos[nodes[target]["type"]]))[input_name]
        assert out_type == spec[0] == kind, (link_id, nodes[origin]["type"], nodes[target]["type"], input_name)
    for node in ui["nodes"]:        # and every socket a node needs is fed
        required = infos[node["type"]]["input"]["required"]
        linked = {i["name"] for i in node.get("inputs", []) if i.get("link") is not None}
        assert {k for k, spec in required.items() if not is_widget(spec)} <= linked, node["type"]


@pytest.mark.parametrize("name", NAMES)
def test_every_widget_value_is_valid(infos, name):
    for node_id, node in ui_to_api(_ui(name), infos.__getitem__).items():
        spec = dict(declared_inputs(infos[node["class_type"]]))
        assert {k for k, s in infos[node["class_type"]]["input"]["required"].items()} <= set(node["inputs"]), node_id
        for key, value in node["inputs"].items():
            kind, options = spec[key][0], (spec[key][1] if len(spec[key]) > 1 else {})
            where = f"#{node_id} {node['class_type']}.{key}"
            if isinstance(value, list) and not isinstance(kind, list):
                continue                                   # a link, checked above
            if isinstance(kind, list):
                # the user's own files (video, stills, checkpoint) are named for them to replace
                assert value in kind or (options.get("image_upload") or options.get("video_upload")
                                         or key == "ckpt_name") and isinstance(value, str) and value, where
            elif kind == "BOOLEAN":
                assert isinstance(value, bool), where
            elif kind == "STRING":
                assert isinstance(value, str), where
            else:
                assert isinstance(value, (int, float)) and not isinstance(value, bool), where
                assert kind == "FLOAT" or isinstance(value, int), where
                assert options["min"] <= value <= options["max"], where


@pytest.mark.parametrize("name", NAMES)
def test_seeds_are_fixed_so_runs_compare(name):
    """The canvas re-rolls a seed after every queue unless told not to; the v1/v2 comparison and a
    resumed training need the shipped seeds."""
    controls = [n["widgets_values_named"]["control_after_generate"] for n in _ui(name)["nodes"]
                if "control_after_generate" in n.get("widgets_values_named", {})]
    assert controls and set(controls) == {"fixed"}


def test_the_template_browser_lists_the_shipped_workflows_with_thumbnails():
    """ComfyUI lists <pack>/<folder>/*.json of these folders as templates: the canvas files, each
    with a .jpg thumbnail of the same name; API prompts stay in workflows/api (not listed)."""
    listed = sorted(p for folder in TEMPLATE_FOLDERS for p in (REPO / folder).glob("*.json"))
    assert [p.stem for p in listed] == NAMES
    for path in listed:
        assert "nodes" in json.loads(path.read_text()), f"{path.name} is a canvas workflow"
        thumb = path.with_suffix(".jpg").read_bytes()
        assert thumb[:3] == b"\xff\xd8\xff", f"{path.stem}.jpg is a JPEG"


def test_v1_is_the_write_ups_first_attempt():
    nodes = {n["class_type"]: n["inputs"] for n in _twin("v1_naive").values()}
    assert not {"TextFrameFilter", "PersonCountFilter", "GroupSplit", "PairCompose", "LineArtPrep"} & set(nodes)
    extract, train, caption = nodes["VideoFrameExtract"], nodes["TrainLoRA"], nodes["CaptionWithKeepTokens"]
    assert (extract["sampling"], extract["max_frames"], extract["blur_threshold"]) == ("every_nth", 300, 0.0)
    assert (train["clip_skip"], train["epochs"], train["rank"], train["alpha"]) == (1, 2, 32, 16.0)
    assert caption["blacklist"] == "" and nodes["SingleGroup"]["name"] == "anim"
    assert {n["inputs"]["ask"] for n in _twin("v1_naive").values() if n["class_type"] == "LineArtVerdict"} == {"A", "A+B"}


def test_v2_is_the_write_ups_rebuild(pack):
    prompt = _twin("v2_clean")
    nodes = {n["class_type"]: n["inputs"] for n in prompt.values()}
    for stage in ("TextFrameFilter", "PersonCountFilter", "GroupSplit", "LineArtPrep", "CaptionWithKeepTokens"):
        assert stage in nodes
    train = nodes["TrainLoRA"]
    assert (train["clip_skip"], train["epochs"], train["rank"], train["alpha"]) == (2, 3, 32, 16.0)
    from anim2lora.dataset.settings import CaptionSettings

    assert nodes["CaptionWithKeepTokens"]["blacklist"] == CaptionSettings().blacklist
    samples = {n["inputs"]["characters"] for n in prompt.values() if n["class_type"] == "LineArtSampler"}
    asks = {n["inputs"]["ask"] for n in prompt.values() if n["class_type"] == "LineArtVerdict"}
    assert samples == asks == {"A", "B", "A+B"}


@pytest.mark.parametrize("name", ["v2_clean", "v2_clean_sdxl"])
def test_v2_grows_the_pair_group_and_trains_on_the_stills(name):
    """GroupSplit -> PairCompose -> LineArtPrep, every composed picture checked against the
    references GroupSplit named the characters by; no drawn stills wired (a user chains theirs into
    `stills`), the reference stills as each character's stills subset, the composed pictures capped
    at composed_share times the real A+B frames: PairCompose's and the caption stage's defaults."""
    from anim2lora.compose.settings import ComposeSettings
    from anim2lora.dataset.settings import CaptionSettings

    prompt = _twin(name)
    ids = {n["class_type"]: k for k, n in prompt.items() if n["class_type"] != "PreviewImage"}
    compose = prompt[ids["PairCompose"]]["inputs"]
    assert compose["groups"] == [ids["GroupSplit"], 0]
    assert compose["references"] == prompt[ids["GroupSplit"]]["inputs"]["references"]
    assert prompt[ids["LineArtPrep"]]["inputs"]["groups"] == [ids["PairCompose"], 0]
    assert "stills" not in compose
    assert {k: v for k, v in compose.items() if not isinstance(v, list)} == ComposeSettings().to_dict()
    caption = prompt[ids["CaptionWithKeepTokens"]]["inputs"]
    assert (caption["composed_share"], caption["stills_repeats"]) == (CaptionSettings().composed_share,
                                                                      CaptionSettings().stills_repeats)
    previews = {n["_meta"]["title"]: n["inputs"]["images"] for n in prompt.values() if n["class_type"] == "PreviewImage"}
    assert previews["Composed pairs"] == [ids["PairCompose"], 1], "the real and composed pairs, apart"


def _node(node_id, kind, inputs=(), widgets=None, mode=0, outputs=()):
    return {"id": node_id, "type": kind, "mode": mode, "order": node_id,
            "inputs": [{"name": n, "type": t, "link": link} for n, t, link in inputs],
            "outputs": [{"name": t, "type": t} for t in outputs], "widgets_values": widgets or []}


def test_reroutes_primitives_muted_and_bypassed_nodes_resolve_as_the_front_end_does(infos):
    """Extract -> Reroute -> a bypassed TextFrameFilter -> PersonCountFilter, whose min_count is fed
    by a Primitive; a muted preview drops out, and so does the input it fed."""
    count_widgets = ["auto", 1, 2, 0.3, 0.15, 0.35, 4.0, 0.5, 0.3, False, False]
    ui = {"nodes": [
        _node(1, "VideoFrameExtract", widgets=["clip.mp4", "unique_drawings", 12, 2.0, 0.03, 1000, 0.5, 2, 0.6, "image"],
              outputs=("A2L_FRAMES", "IMAGE", "STRING")),
        _node(2, "Reroute", [("", "*", 1)], outputs=("A2L_FRAMES",)),
        _node(3, "TextFrameFilter", [("frames", "A2L_FRAMES", 2)], ["rapidocr", "drop", 0.5, 2, 0.02, 0.2, 2, True, False],
              mode=4, outputs=("A2L_FRAMES", "A2L_FRAMES", "IMAGE", "STRING")),
        _node(4, "PrimitiveNode", widgets=[2, "fixed"], outputs=("INT",)),
        _node(5, "PersonCountFilter", [("frames", "A2L_FRAMES", 3), ("min_count", "INT", 4)], count_widgets,
              outputs=("A2L_FRAMES",)),
        _node(6, "PreviewImage", [("images", "IMAGE", 5)], mode=2),
        _node(7, "PreviewImage", [("images", "IMAGE", 6)]),
        _node(8, "Note", widgets=["a note"]),
    ], "links": [[1, 1, 0, 2, 0, "A2L_FRAMES"], [2, 2, 0, 3, 0, "A2L_FRAMES"], [3, 3, 0, 5, 0, "A2L_FRAMES"],
                 [4, 4, 0, 5, 1, "INT"], [5, 1, 1, 6, 0, "IMAGE"], [6, 6, 0, 7, 0, "IMAGE"]]}
    prompt = ui_to_api(ui, infos.__getitem__)
    assert sorted(prompt, key=int) == ["1", "5", "7"]
    assert prompt["1"]["inputs"]["video"] == "clip.mp4" and prompt["1"]["inputs"]["blur_threshold"] == 0.6
    assert prompt["5"]["inputs"]["frames"] == ["1", 0], "through the reroute and past the bypassed filter"
    assert prompt["5"]["inputs"]["min_count"] == 2 and prompt["5"]["inputs"]["max_count"] == 2
    assert "images" not in prompt["7"]["inputs"], "a muted node feeds nothing"
    assert prompt["1"]["_meta"]["title"] == "Video Frame Extract (Anim2LoRA)"


# Host nodes as ComfyUI defines them, for the cases the shipped workflows do not have
TEXT_OVERLAY = {"input": {"required": {"image": ["IMAGE"], "text": ["STRING", {}], "size": ["FLOAT", {}],
                                       "color": ["COLOR", {}], "position": [["top", "bottom"], {}],
                                       "align": [["left", "center"], {}], "outline": ["BOOLEAN", {}]}},
                "output": ["IMAGE"]}
LATENT_AUDIO = {"input": {"required": {"frames_number": ["INT", {}],
                                       "frame_rate": ["FLOAT,INT", {"widgetType": "FLOAT"}],
                                       "batch_size": ["INT", {}]}}, "output": ["LATENT"]}
IMAGE_BATCH = {"input": {"required": {"image1": ["IMAGE"], "image2": ["IMAGE"]}}, "output": ["IMAGE"]}


def _with(infos, **extra):
    return {**infos, **extra}.__getitem__


def test_every_widget_type_of_the_front_end_keeps_its_place(infos):
    """A COLOR widget between strings and combos, and an input of two types shown as a FLOAT
    widget: the values after them stay on their own inputs."""
    ui = {"nodes": [_node(1, "TextOverlay", [("image", "IMAGE", None)], ["Hello", 7.5, "#ff0000", "bottom", "center", False]),
                    _node(2, "LTXVEmptyLatentAudio", widgets=[97, 30, 4])], "links": []}
    prompt = ui_to_api(ui, _with(infos, TextOverlay=TEXT_OVERLAY, LTXVEmptyLatentAudio=LATENT_AUDIO))
    assert prompt["1"]["inputs"] == {"text": "Hello", "size": 7.5, "color": "#ff0000", "position": "bottom",
                                     "align": "center", "outline": False}
    assert prompt["2"]["inputs"] == {"frames_number": 97, "frame_rate": 30, "batch_size": 4}


def test_a_bypassed_node_passes_the_input_the_front_end_picks_or_nothing(infos):
    """Bypassed ImageBatch with image1 empty and image2 fed: the front end picks image1 (same
    position, same type) and, finding it empty, sends nothing."""
    ui = {"nodes": [_node(1, "LoadImage", widgets=["a.png", "image"], outputs=("IMAGE", "MASK")),
                    _node(2, "ImageBatch", [("image1", "IMAGE", None), ("image2", "IMAGE", 1)], mode=4,
                          outputs=("IMAGE",)),
                    _node(3, "PreviewImage", [("images", "IMAGE", 2)])],
          "links": [[1, 1, 0, 2, 1, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]]}
    assert ui_to_api(ui, _with(infos, ImageBatch=IMAGE_BATCH))["3"]["inputs"] == {}


def test_a_muted_reroute_feeds_nothing_and_list_values_are_not_links(infos):
    ui = {"nodes": [_node(1, "LoadImage", widgets=["a.png", "image"], outputs=("IMAGE", "MASK")),
                    _node(2, "Reroute", [("", "*", 1)], mode=2, outputs=("IMAGE",)),
                    _node(3, "PreviewImage", [("images", "IMAGE", 2)]),
                    _node(4, "CharacterReference", [("images", "IMAGE", None)], widgets=[["A", "B"]])],
          "links": [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]]}
    prompt = ui_to_api(ui, infos.__getitem__)
    assert prompt["3"]["inputs"] == {}
    assert prompt["4"]["inputs"]["name"] == {"__value__": ["A", "B"]}, "a list value goes wrapped, as the front end sends it"


def test_a_node_with_dynamic_inputs_is_refused_with_what_to_do(infos):
    from anim2lora.errors import BadInputError

    dynamic = {"input": {"required": {"mode": ["COMFY_DYNAMICCOMBO_V3", {}], "strength": ["FLOAT", {}]}}, "output": []}
    node = _node(1, "Dyn", widgets=["a", {"x": 1}, 0.5])
    node["widgets_values_named"] = {"mode": "a", "strength": 0.5}
    with pytest.raises(BadInputError, match="#1 Dyn.*'mode'.*Export \\(API\\)"):
        ui_to_api({"nodes": [node], "links": []}, _with(infos, Dyn=dynamic))


def test_subgraphs_and_unknown_nodes_are_named(infos):
    from anim2lora.errors import BadInputError

    with pytest.raises(BadInputError, match="subgraphs"):
        ui_to_api({"nodes": [_node(1, "x")], "links": [], "definitions": {"subgraphs": [{"id": "x"}]}},
                  infos.__getitem__)
    unused = {"nodes": [], "links": [], "definitions": {"subgraphs": [{"id": "x"}]}}
    assert ui_to_api(unused, infos.__getitem__) == {}, "a subgraph defined but not used is no obstacle"
    with pytest.raises(BadInputError, match="#1 NoSuchNode: the host has no node class 'NoSuchNode'"):
        ui_to_api({"nodes": [_node(1, "NoSuchNode")], "links": []}, infos.__getitem__)


def test_the_sdxl_workflow_is_v2_on_an_sdxl_family_base():
    """v2's data half node for node; TrainLoRA at the family's 1024 px, rank and alpha of SDXL
    character LoRAs, the UNet only with fixed captions (so the encoders' outputs are cached and
    the encoders leave the device), batch 2; samples at the model's own size."""
    v2, xl = _twin("v2_clean"), _twin("v2_clean_sdxl")
    assert xl.keys() == v2.keys()
    trained = {"TrainLoRA", "LineArtSampler", "CheckpointLoaderSimple"}
    for node_id, node in v2.items():
        assert xl[node_id]["class_type"] == node["class_type"]
        if node["class_type"] not in trained:
            assert xl[node_id]["inputs"] == node["inputs"], node_id
    nodes = {n["class_type"]: n["inputs"] for n in xl.values()}
    train = nodes["TrainLoRA"]
    assert (train["resolution"], train["rank"], train["alpha"], train["batch_size"]) == (0, 16, 8.0, 2)
    assert train["text_encoder_lr"] == 0 and train["shuffle_caption"] is False
    assert train["clip_skip"] == 2, "the penultimate layer: what SDXL conditions on"
    from anim2lora.train.settings import TrainSettings
    from anim2lora.train.text_cache import varies_because

    settings = TrainSettings(**{k: v for k, v in train.items() if not isinstance(v, list) and k != "resume"})
    assert not settings.train_text_encoder and varies_because(settings) is None, "captions are cached"
    samplers = [n["inputs"] for n in xl.values() if n["class_type"] == "LineArtSampler"]
    assert {(s["width"], s["height"]) for s in samplers} == {(0, 0)}
    assert "XL" in nodes["CheckpointLoaderSimple"]["ckpt_name"]
