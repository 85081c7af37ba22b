// The filter nodes' frame gallery (ui.a2l_gallery) and GroupSplit's counts table (ui.a2l_groups).
// Exports only; anim2lora.js attaches them to nodes.
import { el, STYLE, viewUrl } from "./a2l_util.js";

function thumb(frame) {
  const url = viewUrl(frame);
  const img = el("img", { src: url, className: "a2l-thumb", loading: "eager", title: "open the full picture" });
  img.dataset.kept = frame.kept ? "1" : "0";
  img.dataset.reason = frame.reason ?? "";
  img.style.cssText = "width:100%;aspect-ratio:16/9;object-fit:contain;background:#000;cursor:pointer;display:block;";
  img.addEventListener("click", () => window.open(url, "_blank"));
  const where = [`#${frame.index}`, frame.time != null ? `${frame.time.toFixed(1)}s` : null].filter(Boolean).join(" · ");
  const caption = el("div", { className: "a2l-caption" },
    el("span", { textContent: where }),
    frame.reason ? el("b", { className: "a2l-reason", textContent: ` ${frame.reason}` }) : "");
  caption.style.cssText = `font:${STYLE.font};color:${STYLE.text};white-space:nowrap;overflow:hidden;text-overflow:ellipsis;`;
  const b = caption.querySelector("b");
  if (b) b.style.color = frame.kept ? "#8c8" : "#e88";
  return el("figure", { style: "margin:0;min-width:0;" }, img, caption);
}

function grid(frames) {
  const box = el("div", { className: "a2l-grid" }, ...frames.map(thumb));
  box.style.cssText = "display:grid;grid-template-columns:repeat(auto-fill,minmax(96px,1fr));gap:4px;";
  if (!frames.length) box.append(el("div", { textContent: "none", style: `color:${STYLE.muted};font:${STYLE.font};` }));
  return box;
}

/** Fill `root` with Kept / Rejected tabs for one a2l_gallery payload. */
export function renderGallery(root, payload) {
  const kept = payload.frames.filter((f) => f.kept);
  const rejected = payload.frames.filter((f) => !f.kept);
  const reasons = Object.entries(payload.by_reason ?? {}).map(([r, n]) => `${r} ${n}`).join(", ");
  const sides = {
    kept: { label: `Kept ${payload.kept}`, frames: kept, note: `${kept.length} of ${payload.kept} shown` },
    rejected: { label: `Rejected ${payload.rejected}`, frames: rejected,
      note: `${rejected.length} of ${payload.rejected} shown${reasons ? ` · ${reasons}` : ""}` },
  };
  const tabs = el("div", { className: "a2l-tabs", style: "display:flex;gap:4px;margin-bottom:4px;align-items:center;" });
  const note = el("span", { style: `color:${STYLE.muted};font:${STYLE.font};margin-left:6px;` });
  const pages = {};
  const show = (side) => {
    for (const [name, page] of Object.entries(pages)) page.style.display = name === side ? "grid" : "none";
    for (const button of tabs.querySelectorAll("button")) {
      const on = button.dataset.side === side;
      button.style.background = on ? "#446" : STYLE.panel;
      button.style.fontWeight = on ? "bold" : "normal";
    }
    note.textContent = sides[side].note;
  };
  for (const [side, info] of Object.entries(sides)) {
    const button = el("button", { textContent: info.label });
    button.dataset.side = side;
    button.style.cssText = `font:${STYLE.font};color:${STYLE.text};border:1px solid ${STYLE.border};border-radius:4px;padding:2px 8px;cursor:pointer;`;
    button.addEventListener("click", () => show(side));
    tabs.append(button);
    pages[side] = grid(info.frames);
    pages[side].dataset.side = side;
  }
  tabs.append(note);
  root.replaceChildren(tabs, pages.kept, pages.rejected);
  show(kept.length || !rejected.length ? "kept" : "rejected");
}

/** The height the counts table needs: a line per group and reason, two per warning. */
export function groupsHeight(payload) {
  return 24 + 17 * (1 + payload.groups.length + Object.keys(payload.rejected).length) + 28 * payload.warnings.length;
}

/** Fill `root` with a2l_groups: frames per group (thin groups highlighted), rejections by reason. */
export function renderGroups(root, payload) {
  const cell = (tag, text, extra = "") => el(tag, { textContent: text, style: `padding:1px 6px;text-align:left;${extra}` });
  const table = el("table", { className: "a2l-groups-table" },
    el("tr", {}, cell("th", "group"), cell("th", "frames"), cell("th", "crops"), cell("th", "")));
  table.style.cssText = `border-collapse:collapse;font:${STYLE.font};color:${STYLE.text};width:100%;`;
  for (const row of payload.groups) {
    const tr = el("tr", { className: row.warning ? "a2l-group a2l-warn" : "a2l-group" },
      cell("td", row.group), cell("td", String(row.frames)), cell("td", String(row.crops)),
      cell("td", row.warning ? "⚠ thin" : "", "color:#fc6;"));
    tr.dataset.group = row.group;
    tr.dataset.frames = String(row.frames);
    if (row.warning) {
      tr.title = row.warning;
      tr.style.background = "rgba(200,120,0,0.25)";
    }
    table.append(tr);
  }
  for (const [reason, count] of Object.entries(payload.rejected)) {
    const tr = el("tr", { className: "a2l-rejected" }, cell("td", `rejected: ${reason}`, "color:#e88;"),
      cell("td", String(count)), cell("td", ""), cell("td", payload.reasons?.[reason] ?? "", `color:${STYLE.muted};`));
    tr.dataset.reason = reason;
    tr.dataset.frames = String(count);
    table.append(tr);
  }
  const warnings = el("ul", { className: "a2l-warnings", style: `margin:4px 0 0 0;padding-left:16px;font:${STYLE.font};color:#fc6;` },
    ...payload.warnings.map((w) => el("li", { textContent: w })));
  const head = el("div", { textContent: `${payload.frames} frames in`, style: `font:${STYLE.font};color:${STYLE.muted};` });
  root.replaceChildren(head, table, warnings);
}
