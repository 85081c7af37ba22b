// TrainLoRA's live view: a loss chart with the resemblance scores beside it and sample previews,
// fed by the "anim2lora.train" server events of this node only. One listener per node, removed
// with the node. Exports only.
import { api } from "../../scripts/api.js";
import { app } from "../../scripts/app.js";
import { drawChart } from "./a2l_chart.js";
import { addDisplayWidget, el, STYLE, viewUrl } from "./a2l_util.js";

export const EVENT = "anim2lora.train";
const listeners = new Map();       // node -> its listener, to count and to remove

/** Live listeners, for tests and the curious: window.anim2lora.trainListeners(). */
export function listenerCount() {
  return listeners.size;
}

/** Whether an event's node (ComfyUI's unique_id: "12", or "5:12" inside a subgraph) is `node`. */
export function isNodeEvent(node, id) {
  if (id == null) return false;
  const parts = String(id).split(":");
  if (parts.at(-1) !== String(node.id)) return false;
  const inRoot = !node.graph || node.graph === app.graph || node.graph === app.rootGraph;
  return inRoot ? parts.length === 1 : parts.length > 1;
}

function previewFigure(event) {
  const url = viewUrl(event.image);
  const img = el("img", { src: url, className: "a2l-preview", title: `${event.preview}, epoch ${event.epoch}` });
  img.style.cssText = "height:72px;display:block;cursor:pointer;background:#000;";
  img.addEventListener("click", () => window.open(url, "_blank"));
  const caption = el("div", { textContent: `${event.preview} · ep ${event.epoch}` });
  caption.style.cssText = `font:${STYLE.font};color:${STYLE.text};white-space:nowrap;`;
  return el("figure", { style: "margin:0;" }, img, caption);
}

/** Record a resemblance score event ({step, score}) in `state`: one score per step, in step
 * order, and the best (the highest, the earliest of equals) as the trainer keeps it. */
export function addScore(state, event) {
  if (!Number.isFinite(event.score)) return;
  state.scores = state.scores.filter((s) => s.step !== event.step);
  state.scores.push({ step: event.step, score: event.score });
  state.scores.sort((a, b) => a.step - b.step);
  state.best = bestOf(state.scores);
}

function bestOf(scores) {
  return scores.reduce((best, s) => (best && best.score >= s.score ? best : s), null);
}

/** Give a TrainLoRA node its chart widget (onNodeCreated); it listens once connected (onAdded). */
export function attachTrainView(node) {
  const state = { losses: [], last: null, received: 0, previews: 0, scores: [], best: null };
  const canvas = el("canvas", { className: "a2l-chart" });
  canvas.style.cssText = "width:100%;height:150px;display:block;border-radius:4px;";
  const strip = el("div", { className: "a2l-previews" });
  strip.style.cssText = "display:flex;gap:4px;overflow-x:auto;margin-top:4px;";
  const root = el("div", { className: "a2l-train" }, canvas, strip);
  root.style.background = STYLE.panel;
  node.a2lTrain = { state, canvas, strip, root };
  const redraw = () => {
    root.dataset.node = String(node.id);       // the id is given when the node joins a graph
    drawChart(canvas, state);
  };
  node.a2lTrain.redraw = redraw;

  const listener = ({ detail }) => {
    if (!detail || !isNodeEvent(node, detail.node)) return;
    if (detail.score !== undefined) {     // resemblance scored at a step: drawn beside that step's loss
      addScore(state, detail);
      redraw();
      return;
    }
    if (detail.preview != null) {
      if (detail.image) {
        strip.append(previewFigure(detail));
        state.previews += 1;
        redraw();
      }
      return;
    }
    if (detail.step === 1 || detail.step <= state.losses.length - 1) {  // a new run (or a resumed one)
      state.losses.length = Math.max(0, detail.step - 1);
      state.scores = state.scores.filter((s) => s.step < detail.step);     // those steps are trained again
      state.best = bestOf(state.scores);
      if (detail.step === 1) {            // a new run's previews replace the last run's
        strip.replaceChildren();
        state.previews = 0;
      }
    }
    state.losses[detail.step - 1] = detail.loss;
    state.last = detail;
    state.received += 1;
    redraw();
  };
  const resize = new ResizeObserver(redraw);
  // Listening starts when the node joins a graph (onAdded) and stops when it leaves (onRemoved): a
  // copy on the clipboard is created but never added, so it never listens.
  node.a2lTrain.connect = () => {
    if (listeners.has(node)) return;
    api.addEventListener(EVENT, listener);
    listeners.set(node, listener);
    resize.observe(canvas);
  };
  node.a2lTrain.dispose = () => {
    api.removeEventListener(EVENT, listener);
    listeners.delete(node);
    resize.disconnect();
  };
  addDisplayWidget(node, "a2l_train_chart", root, 270);
  redraw();
}

/** The full loss list of a finished run (onExecuted's ui.a2l_losses) and its scores
 * (ui.a2l_scores, [{step, score}]): redraw from them. */
export function showFinishedRun(node, losses, scores = []) {
  const view = node.a2lTrain;
  if (!view || !Array.isArray(losses)) return;
  view.state.losses = losses.slice();
  view.state.scores = [];
  for (const s of Array.isArray(scores) ? scores : []) addScore(view.state, s);
  view.state.best = bestOf(view.state.scores);
  if (view.state.last && view.state.last.total !== losses.length) view.state.last = null;
  view.redraw();
}
