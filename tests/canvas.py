"""Edit a shipped canvas workflow with ComfyUI's own front end, not by hand: a real ComfyUI with
the pack (COMFYUI_DIR, COMFY_VENV), the workflow loaded on its canvas in headless Chromium,
nodes added and wired there, the graph saved as the front end saves it, its API twin written from
the host's definitions and its thumbnail photographed from the canvas.

``python tests/canvas.py pair-compose`` wires PairCompose into v2_clean and v2_clean_sdxl
(GroupSplit -> PairCompose -> LineArtPrep, the references Group Split reads, a preview of the
composed pairs).  ``python tests/canvas.py thumbnails`` only photographs the shipped files again."""

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from browser import open_page  # noqa: E402
from comfyhost import Host  # noqa: E402
from packload import REPO  # noqa: E402

WORKFLOWS = REPO / "workflows"

LOAD = """
const [graph, done] = arguments;
(async () => {
  await window.app.loadGraphData(graph, true, true, null);
  done("ok");
})().catch(e => done(String(e)));
"""

# GroupSplit (#8) -> PairCompose -> LineArtPrep (#10), fed the references GroupSplit reads (#7);
# its preview below Caption With Keep Tokens (#11); the data group's title says so
PAIR_COMPOSE = """
const done = arguments[arguments.length - 1];
(async () => {
  const app = window.app, LG = window.LiteGraph, graph = app.graph;
  const node = id => graph.getNodeById(id);
  const split = node(8), refs = node(7), lineart = node(10), caption = node(11);
  if (graph._nodes.some(n => n.type === "PairCompose")) throw new Error("PairCompose is wired already");
  const compose = LG.createNode("PairCompose");
  compose.title = "Composed pairs and stills";
  graph.add(compose);
  split.connect(split.findOutputSlot("groups"), compose, compose.findInputSlot("groups"));
  refs.connect(refs.findOutputSlot("references"), compose, compose.findInputSlot("references"));
  compose.connect(compose.findOutputSlot("groups"), lineart, lineart.findInputSlot("groups"));
  const preview = LG.createNode("PreviewImage");
  preview.title = "Composed pairs";
  graph.add(preview);
  compose.connect(compose.findOutputSlot("preview"), preview, 0);
  for (const w of compose.widgets) if (w.name === "control_after_generate") w.value = "fixed";
  // column 4 of the data group: compose, line art, captions, the composed pairs' preview
  const x = lineart.pos[0], gap = 80;
  let y = lineart.pos[1];
  for (const n of [compose, lineart, caption]) {
    n.pos = [x, y];
    n.size = [320, n.computeSize()[1]];
    y += n.size[1] + gap;
  }
  preview.pos = [x, y];
  preview.size = [320, 300];
  const data = graph._groups[0];
  const bottom = Math.max(...graph._nodes.filter(n => n.pos[0] < data.pos[0] + data.size[0])
                                        .map(n => n.pos[1] + n.size[1]));
  data.size[1] = Math.max(data.size[1], bottom + gap / 2 - data.pos[1]);
  data.title = data.title.replace("line art, names pinned", "composed pairs and stills, line art, names pinned");
  graph.setDirtyCanvas(true, true);
  done("ok");
})().catch(e => done(String(e)));
"""

SAVE = "const done = arguments[arguments.length - 1]; done(JSON.stringify(window.app.graph.serialize()));"
PROMPT = ("const done = arguments[arguments.length - 1];"
          "window.app.graphToPrompt().then(p => done(JSON.stringify(p.output)), e => done(String(e)));")

# the whole graph at full detail, fitted to the picture's width, with nothing of the page over it
FRAME = """
const [width, margin, done] = arguments;
const style = document.createElement("style");
style.textContent = "body * {visibility: hidden !important} #graph-canvas, .dom-widget, .dom-widget * "
  + "{visibility: visible !important}";
document.head.appendChild(style);
const canvas = window.app.canvas, groups = window.app.graph._groups;
const x0 = Math.min(...groups.map(g => g.pos[0])), y0 = Math.min(...groups.map(g => g.pos[1]));
const x1 = Math.max(...groups.map(g => g.pos[0] + g.size[0])), y1 = Math.max(...groups.map(g => g.pos[1] + g.size[1]));
const scale = (width - 2 * margin) / (x1 - x0);
canvas.show_info = false;
canvas.min_font_size_for_lod = 0;
canvas.ds.scale = scale;
canvas.ds.offset = [margin / scale - x0, margin / scale - y0];
canvas.setDirty(true, true);
done(JSON.stringify([width, Math.ceil((y1 - y0) * scale + 2 * margin)]));
"""
SETTLED = "const done = arguments[arguments.length - 1]; window.app.canvas.setDirty(true, true); setTimeout(() => done('ok'), 3000);"


def _run(driver, script, *args):
    got = driver.execute_async_script(script, *args)
    if got != "ok" and not got.startswith(("{", "[")):
        raise SystemExit(f"the front end refused: {got}")
    return got


def _uploads(host, tmp: Path):
    """The demo clip and reference stills the shipped files name, in the host's input folder,
    so the canvas previews them as a user sees them."""
    import cv2

    from anim2lora.demo.clip import write_clip
    from anim2lora.demo.people_scenes import reference_stills

    write_clip(tmp / "demo.mp4")
    host.upload(tmp / "demo.mp4")
    for character in "AB":
        path = tmp / f"ref_{character}.png"
        cv2.imwrite(str(path), cv2.cvtColor(reference_stills(character, 1)[0], cv2.COLOR_RGB2BGR))
        host.upload(path)


def _thumbnail(driver, graph: dict, path: Path, width: int = 1600, margin: int = 12):
    from io import BytesIO

    from PIL import Image

    _run(driver, LOAD, graph)
    size = json.loads(_run(driver, FRAME, width, margin))
    _run(driver, SETTLED)
    shot = Image.open(BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    shot.crop((0, 0, *size)).save(path, "JPEG", quality=85, optimize=True)


def _twin(host, graph: dict, shipped: dict) -> dict:
    """The API prompt the host's definitions make of ``graph``, by node id, in the shipped twin's
    order and number spelling wherever a value is the same (2.0 and 2 are one JSON number), so the
    file's diff shows only what changed."""
    from anim2lora.queue.ui_format import ui_to_api

    prompt = ui_to_api(graph, lambda cls: host.get(f"/object_info/{cls}")[cls])
    same = lambda a, b: a == b and isinstance(a, bool) == isinstance(b, bool)  # noqa: E731
    twin = {}
    for k in sorted(prompt, key=int):
        node, before = prompt[k], shipped.get(k)
        if before is None or before["class_type"] != node["class_type"]:
            twin[k] = node
            continue
        old, new = before["inputs"], node["inputs"]
        inputs = {key: old[key] if same(old[key], new[key]) else new[key] for key in old if key in new}
        inputs.update((key, value) for key, value in new.items() if key not in old)
        twin[k] = {**node, "inputs": inputs}
    return twin


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("pair-compose", "thumbnails"))
    parser.add_argument("--names", nargs="+", default=["v2_clean", "v2_clean_sdxl"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        host = Host(tmp / "host")
        # the checkpoints the files name, listed (empty: nothing loads them), so no node is marked missing
        names = {n["widgets_values"][0] for name in args.names for n in json.loads((WORKFLOWS / f"{name}.json")
                 .read_text())["nodes"] if n["type"] == "CheckpointLoaderSimple"}
        for ckpt in names:
            (tmp / ckpt).touch()
        host.env["COMFY_CHECKPOINTS"] = ":".join(str(tmp / ckpt) for ckpt in sorted(names))
        started = host.tool("start")
        if started.returncode:
            raise SystemExit(started.stderr)
        try:
            _uploads(host, tmp)
            driver = open_page(host.url, 1600, 1400)
            try:
                driver.set_script_timeout(120)
                for name in args.names:
                    canvas = WORKFLOWS / f"{name}.json"
                    graph = json.loads(canvas.read_text())
                    if args.action == "pair-compose":
                        _run(driver, LOAD, graph)
                        _run(driver, PAIR_COMPOSE)
                        saved = json.loads(_run(driver, SAVE))
                        # the file's identity and view stay the shipped ones
                        saved.update(id=graph["id"], revision=graph.get("revision", 0))
                        saved["extra"] = {**saved.get("extra", {}), "ds": graph["extra"]["ds"]}
                        sent = json.loads(_run(driver, PROMPT))
                        api = WORKFLOWS / "api" / f"{name}.json"
                        twin = _twin(host, saved, json.loads(api.read_text()))
                        canvas.write_text(json.dumps(saved, indent=1))
                        api.write_text(json.dumps(twin, indent=1) + "\n")
                        print(f"{name}: {len(saved['nodes'])} nodes; the front end sends {len(sent)}, the twin "
                              f"has {len(twin)}")
                        graph = saved
                    _thumbnail(driver, graph, canvas.with_suffix(".jpg"))
                    print(f"thumbnail: {canvas.with_suffix('.jpg')}")
            finally:
                driver.quit()
        finally:
            host.tool("stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
