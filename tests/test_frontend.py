"""The pack's front end (js/) in headless Chromium on a real ComfyUI: the shipped prompts loaded on
the canvas and queued from the page, as a user does; the filter galleries' thumbnails load from
/view with their reasons, GroupSplit's table matches its report, TrainLoRA's chart follows the
live events (the loss and the resemblance scores) and its listener goes with the node.  Screenshots land in /tmp/frontend_*.png."""

import json
import re

import pytest

from browser import open_page, wait_for
from comfyhost import needs_host
from conftest import REPO

pytestmark = needs_host

API = "return window.comfyAPI.api.api"


def _prompt(name):
    return json.loads((REPO / "workflows" / "api" / name).read_text())


def _upload_inputs(host, prompt, demo_clip, tmp_path):
    """The demo clip and a reference still of A and of B in the host's input folder, set on the
    prompt (before the page opens, so the node's lists offer them)."""
    import cv2

    from anim2lora.demo.people_scenes import reference_stills

    prompt["1"]["inputs"]["video"] = host.upload(demo_clip)["name"]
    for character, node in {"A": "4", "B": "6"}.items():
        path = tmp_path / f"ref_{character}.png"
        cv2.imwrite(str(path), cv2.cvtColor(reference_stills(character, 1)[0], cv2.COLOR_RGB2BGR))
        prompt[node]["inputs"]["image"] = host.upload(path)["name"]


def _queue_on_page(driver, prompt, name):
    """Load the API prompt on the canvas and press Queue; the prompt id."""
    driver.execute_script("await window.app.loadApiJson(arguments[0], arguments[1]);", prompt, name)
    ids = ("const q = await (await fetch('/api/queue')).json();"
           " const h = Object.keys(await (await fetch('/api/history')).json());"
           " const ids = [...q.queue_running, ...q.queue_pending].map(item => item[1]).concat(h);")
    before = driver.execute_script(ids + " return ids;")
    driver.execute_script("await window.app.queuePrompt(0, 1);")
    return wait_for(driver, ids + " return ids.find(id => !arguments[0].includes(id)) || null", 60, before)


def _finished(host, prompt_id, timeout):
    result = host.wait(prompt_id, timeout=timeout)
    assert result["status"]["status_str"] == "success", result["status"]
    return result


def _screenshot(driver, node_id, selector, path):
    """The node centred on the canvas, its widget element photographed."""
    from selenium.webdriver.common.by import By

    driver.execute_script("const n = window.app.graph.getNodeById(arguments[0]); window.app.canvas.ds.scale = 1;"
                          "window.app.canvas.centerOnNode(n); window.app.canvas.setDirty(true, true);", node_id)
    wait_for(driver, "return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))", 5)
    element = driver.find_element(By.CSS_SELECTOR, selector)
    element.screenshot(path)


GALLERY = """
const node = window.app.graph.getNodeById(arguments[0]);
const box = node?.a2lPanels?.a2l_gallery;
if (!box) return null;
const imgs = [...box.querySelectorAll('img.a2l-thumb')];
if (!imgs.length || !imgs.every(i => i.complete)) return null;
return imgs.map(i => ({kept: i.dataset.kept === '1', reason: i.dataset.reason, width: i.naturalWidth,
                       caption: i.parentElement.textContent, src: i.src}));
"""


def test_galleries_and_group_counts_show_a_real_run(host, demo_clip, tmp_path):
    prompt = _prompt("groups_demo.json")
    _upload_inputs(host, prompt, demo_clip, tmp_path)
    driver = open_page(host.url)
    try:
        prompt_id = _queue_on_page(driver, prompt, "groups_demo")
        result = _finished(host, prompt_id, 600)

        # the text filter: kept and rejected thumbnails that load, the rejected ones saying why
        text = wait_for(driver, GALLERY, 60, 2)
        kept = [t for t in text if t["kept"]]
        rejected = [t for t in text if not t["kept"]]
        assert kept and rejected and all(t["width"] > 0 for t in text), text[:3]
        assert {t["reason"] for t in rejected} == {"text"} and all("text" in t["caption"] for t in rejected)
        assert all("/view?" in t["src"] and "type=output" in t["src"] for t in text)
        sent = result["outputs"]["2"]["a2l_gallery"][0]
        assert len(kept) == min(48, sent["kept"]) and len(rejected) == min(48, sent["rejected"])
        tabs = driver.execute_script("return [...window.app.graph.getNodeById(2).a2lPanels.a2l_gallery"
                                     ".querySelectorAll('.a2l-tabs button')].map(b => b.textContent)")
        assert tabs == [f"Kept {sent['kept']}", f"Rejected {sent['rejected']}"]

        # extraction: its dropped frames by reason, thumbnails of them that load
        extracted = wait_for(driver, GALLERY, 30, 1)
        assert len({t["reason"] for t in extracted if not t["kept"]}) >= 3 and all(t["width"] > 0 for t in extracted)

        # GroupSplit: grouped thumbnails named after their group, the table as the report counts
        grouped = wait_for(driver, GALLERY, 30, 8)
        assert {t["reason"] for t in grouped if t["kept"]} == {"A", "B", "A+B"} and all(t["width"] > 0 for t in grouped)
        table = driver.execute_script("""
            const box = window.app.graph.getNodeById(8).a2lPanels.a2l_groups;
            return [...box.querySelectorAll('tr.a2l-group')].map(r => [r.dataset.group, +r.dataset.frames,
                     r.classList.contains('a2l-warn')]);""")
        report = result["outputs"]["8"]["a2l_report"][0]
        counted = dict(re.findall(r"([A-Z+]+): (\d+)", report.splitlines()[0].split("; crops")[0].split("in; ")[1]))
        assert {g: n for g, n, _ in table} == {g: int(n) for g, n in counted.items()} == {"A": 20, "B": 15, "A+B": 12}
        thin = {g for g, _, warn in table if warn}
        assert thin == {g for g in counted if f"WARNING group {g}:" in report} == {"B", "A+B"}

        driver.execute_script("window.app.graph.getNodeById(2).a2lPanels.a2l_gallery"
                              ".querySelector('button[data-side=rejected]').click()")
        _screenshot(driver, 2, ".a2l_gallery[data-node='2']", "/tmp/frontend_gallery_text.png")
        _screenshot(driver, 1, ".a2l_gallery[data-node='1']", "/tmp/frontend_gallery_extract.png")
        _screenshot(driver, 8, ".a2l_groups[data-node='8']", "/tmp/frontend_groups_table.png")
        _screenshot(driver, 8, ".a2l_gallery[data-node='8']", "/tmp/frontend_gallery_groups.png")
        driver.save_screenshot("/tmp/frontend_canvas_groups.png")
    finally:
        driver.quit()


TRAIN_STATE = """
const n = window.app.graph.getNodeById(15);
const s = n?.a2lTrain?.state;
return s ? {losses: s.losses, received: s.received, last: s.last, previews: s.previews, scores: s.scores,
             best: s.best} : null;
"""


def test_the_training_chart_follows_live_events_and_leaves_with_its_node(train_host, random_sd15, demo_clip,
                                                                          tmp_path):
    prompt = _prompt("train_demo.json")
    prompt["14"]["inputs"]["ckpt_name"] = random_sd15.name
    prompt["15"]["inputs"].update(name="a2l_frontend", max_steps=2, resolution=256, rank=4, alpha=2.0,
                                  warmup_steps=0, score_every_n_steps=2, references=["7", 0])
    _upload_inputs(train_host, prompt, demo_clip, tmp_path)
    driver = open_page(train_host.url)
    try:
        prompt_id = _queue_on_page(driver, prompt, "train_demo")
        assert driver.execute_script("return window.anim2lora.trainListeners()") == 1, "one listener, one node"
        result = _finished(train_host, prompt_id, 1500)
        state = wait_for(driver, "const s = (() => {" + TRAIN_STATE + "})(); return s && s.received >= 2 ? s : null", 30)
        assert state["received"] == 2, "one live event per step"
        assert state["last"]["step"] == state["last"]["total"] == 2 and state["last"]["node"] == "15"
        assert state["losses"] == pytest.approx(result["outputs"]["15"]["a2l_losses"]), "the chart ends on the full list"
        # resemblance scored at step 2 (the interval and the last step), live and in the finished run's list
        finished = result["outputs"]["15"]["a2l_scores"]
        assert [s["step"] for s in finished] == [2]
        assert state["scores"] == [{"step": 2, "score": pytest.approx(finished[0]["score"])}]
        assert state["best"]["step"] == 2

        # a sample preview as the trainer sends one (max_steps=2 ends before an epoch does)
        image = result["outputs"]["16"]["images"][0]
        driver.execute_script(API + ".dispatchCustomEvent('anim2lora.train', arguments[0]); return true",
                              {"node": "15", "name": "a2l_frontend", "preview": "A+B", "epoch": 1, "step": 2,
                               "total": 2, "image": image})
        width = wait_for(driver, "const i = window.app.graph.getNodeById(15).a2lTrain.strip.querySelector('img');"
                                 " return i && i.complete && i.naturalWidth", 30)
        assert width > 0
        # another node's events, and an event of a node of that id inside a subgraph, are not ours
        for other in ("14", "3:15"):
            driver.execute_script(API + ".dispatchCustomEvent('anim2lora.train', arguments[0]); return true",
                                  {"node": other, "name": "x", "step": 1, "total": 9, "loss": 9.0, "lr": 0.1,
                                   "epoch": 0.1, "seconds_per_step": 1.0, "seconds_left": 8.0})
        assert driver.execute_script(TRAIN_STATE)["received"] == 2
        _screenshot(driver, 15, ".a2l-train[data-node='15']", "/tmp/frontend_train_chart.png")
        driver.save_screenshot("/tmp/frontend_canvas_train.png")

        # the node removed: its listener goes with it, and an event for its id reaches nothing
        driver.execute_script("window.a2lRemoved = window.app.graph.getNodeById(15);"
                              " window.app.graph.remove(window.a2lRemoved); return true")
        assert driver.execute_script("return window.anim2lora.trainListeners()") == 0
        driver.execute_script(API + ".dispatchCustomEvent('anim2lora.train', arguments[0]); return true",
                              {"node": "15", "name": "a2l_frontend", "step": 1, "total": 2, "loss": 5.0, "lr": 0.1,
                               "epoch": 0.5, "seconds_per_step": 1.0, "seconds_left": 1.0})
        assert driver.execute_script("return window.a2lRemoved.a2lTrain.state.received") == 2
        # a new TrainLoRA node gets exactly one listener
        driver.execute_script("window.app.graph.add(LiteGraph.createNode('TrainLoRA')); return true")
        assert driver.execute_script("return window.anim2lora.trainListeners()") == 1
    finally:
        driver.quit()


def test_the_chart_draws_resemblance_scores_beside_the_loss(host):
    """Without training (fast): step and score events as the trainer sends them (a score after its
    step's loss), a resumed run dropping the scores of the steps it trains again, a new run
    clearing them, and a finished run's lists (ui.a2l_losses, ui.a2l_scores) drawn whole."""
    driver = open_page(host.url)
    try:
        seen = driver.execute_script("""
            const api = window.comfyAPI.api.api;
            window.app.graph.clear();
            const node = window.LiteGraph.createNode('TrainLoRA');
            window.app.graph.add(node);
            const id = String(node.id), s = node.a2lTrain.state, out = {};
            const step = (n) => api.dispatchCustomEvent('anim2lora.train', {node: id, name: 'x', step: n, total: 40,
              loss: 0.2 - n / 400, lr: 1e-4, epoch: n / 10, seconds_per_step: 1, seconds_left: 40 - n});
            const score = (n, v) => api.dispatchCustomEvent('anim2lora.train', {node: id, name: 'x', step: n, total: 40,
              score: v, best: null, groups: {A: {score: v, resemblance: {A: v}, characters: 1, drawn: 'A', faults: []}}});
            for (let n = 1; n <= 30; n++) { step(n); if (n % 10 === 0) score(n, [0, 0.42, 0.71, 0.55][n / 10]); }
            out.live = {scores: s.scores.map(x => [x.step, x.score]), best: s.best, losses: s.losses.length};
            step(20);                                    // resumed at step 20: 20 and 30 are trained again
            out.resumed = s.scores.map(x => x.step);
            step(1);                                     // a new run
            out.fresh = s.scores.length;
            node.onExecuted({a2l_losses: [0.3, 0.2, 0.1, 0.1], a2l_scores: [{step: 2, score: 0.3}, {step: 4, score: 0.6}]});
            out.finished = {scores: s.scores.map(x => [x.step, x.score]), best: s.best, losses: s.losses.length};
            window.a2lScoreNode = node;
            return out""")
        assert seen["live"]["scores"] == [[10, 0.42], [20, 0.71], [30, 0.55]] and seen["live"]["losses"] == 30
        assert seen["live"]["best"] == {"step": 20, "score": 0.71}
        assert seen["resumed"] == [10] and seen["fresh"] == 0
        assert seen["finished"] == {"scores": [[2, 0.3], [4, 0.6]], "best": {"step": 4, "score": 0.6}, "losses": 4}
        node_id = driver.execute_script("return window.a2lScoreNode.id")
        _screenshot(driver, node_id, f".a2l-train[data-node='{node_id}']", "/tmp/frontend_chart_scores.png")
    finally:
        driver.quit()


def test_the_chart_draws_many_steps_and_every_node_has_one_listener(host):
    """Without training (fast): a TrainLoRA node added from the node library, 300 step events as
    the trainer sends them, two more nodes and their removal; listeners follow the nodes."""
    driver = open_page(host.url)
    try:
        driver.execute_script("""
            const api = window.comfyAPI.api.api;
            window.app.graph.clear();
            const node = window.LiteGraph.createNode('TrainLoRA');
            window.app.graph.add(node);
            for (let step = 1; step <= 300; step++) {
              api.dispatchCustomEvent('anim2lora.train', {node: String(node.id), name: 'x', step, total: 400,
                loss: 0.15 + 0.1 * Math.exp(-step / 60) + 0.03 * Math.sin(step * 1.7), lr: 1e-4,
                epoch: step / 100, seconds_per_step: 0.84, seconds_left: 0.84 * (400 - step)});
            }
            window.a2lChartNode = node;
            return true""")
        state = driver.execute_script("return window.a2lChartNode.a2lTrain.state")
        assert state["received"] == 300 and len(state["losses"]) == 300 and state["last"]["step"] == 300
        assert driver.execute_script("return window.anim2lora.trainListeners()") == 1
        node_id = driver.execute_script("return window.a2lChartNode.id")
        _screenshot(driver, node_id, f".a2l-train[data-node='{node_id}']", "/tmp/frontend_chart_300_steps.png")
        # a new run clears the last run's previews
        previews = driver.execute_script("""
            const api = window.comfyAPI.api.api, node = window.a2lChartNode, id = String(node.id);
            api.dispatchCustomEvent('anim2lora.train', {node: id, preview: 'A', epoch: 1, step: 300, total: 400,
              image: {filename: 'x.png', subfolder: '', type: 'temp'}});
            const before = node.a2lTrain.strip.children.length;
            api.dispatchCustomEvent('anim2lora.train', {node: id, name: 'x', step: 1, total: 10, loss: 0.2, lr: 1e-4,
              epoch: 0.1, seconds_per_step: 1, seconds_left: 9});
            return [before, node.a2lTrain.strip.children.length, node.a2lTrain.state.losses.length]""")
        assert previews == [1, 0, 1]
        count = driver.execute_script("""
            for (let i = 0; i < 2; i++) window.app.graph.add(window.LiteGraph.createNode('TrainLoRA'));
            const n = window.anim2lora.trainListeners();
            // a copy (Ctrl+C clones the node) listens only once it is pasted into the graph
            const copy = window.a2lChartNode.clone();
            const copied = window.anim2lora.trainListeners();
            window.app.graph.add(copy);
            const pasted = window.anim2lora.trainListeners();
            for (const node of [...window.app.graph.nodes]) window.app.graph.remove(node);
            return [n, copied, pasted, window.anim2lora.trainListeners()]""")
        assert count == [3, 3, 4, 0]
    finally:
        driver.quit()
