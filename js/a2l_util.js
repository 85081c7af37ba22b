// Small helpers shared by the pack's front-end modules. ComfyUI imports every .js file here as an
// extension module: this one only exports functions and has no effect of its own.
import { api } from "../../scripts/api.js";

/** Extend object[property] (a node callback): the original runs first, then callback. */
export function chainCallback(object, property, callback) {
  const original = object[property];
  object[property] = function () {
    const result = original?.apply(this, arguments);
    callback.apply(this, arguments);
    return result;
  };
}

/** The URL of an image reference {filename, subfolder, type} through ComfyUI's /view. */
export function viewUrl(ref) {
  const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder ?? "", type: ref.type });
  return api.apiURL(`/view?${query}`);
}

/** A DOM element with properties and children: el("div", {className: "x"}, "text", child). */
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

/** Add a display-only DOM widget (never saved with the workflow) and grow the node to show it. */
export function addDisplayWidget(node, name, element, minHeight) {
  const widget = node.addDOMWidget(name, name, element, { serialize: false, getMinHeight: () => minHeight });
  // the canvas saves every widget whose own serialize is not false (the option alone is not read)
  widget.serialize = false;
  const [w, h] = node.computeSize();
  node.setSize([Math.max(node.size[0], w, 420), Math.max(node.size[1], h)]);
  return widget;
}

/** "1h 02m", "3m 05s", "12s" */
export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

export const STYLE = {
  text: "var(--input-text, #ddd)",
  muted: "var(--descrip-text, #999)",
  panel: "var(--comfy-input-bg, #222)",
  border: "var(--border-color, #444)",
  font: "11px sans-serif",
};
