// The pack's front end. Every anim2lora node shows its text report (ui.a2l_report); the filter
// nodes a gallery of kept and rejected frames (ui.a2l_gallery); GroupSplit a table of counts
// (ui.a2l_groups); TrainLoRA a live loss chart and sample previews. All of it is display only:
// nothing is saved with the workflow and nothing the backend needs lives here.
import { app } from "../../scripts/app.js";
import { groupsHeight, renderGallery, renderGroups } from "./a2l_gallery.js";
import { attachTrainView, listenerCount, showFinishedRun } from "./a2l_train.js";
import { addDisplayWidget, chainCallback, el, STYLE } from "./a2l_util.js";

/** The node's display widget `name` (made on first use), filled by render(element, payload). */
function showPanel(node, name, payload, render, minHeight) {
  node.a2lPanels ??= {};
  let box = node.a2lPanels[name];
  if (!box) {
    box = el("div", { className: name });
    box.dataset.node = String(node.id);
    box.style.cssText = `width:100%;height:100%;overflow:auto;box-sizing:border-box;background:${STYLE.panel};`;
    node.a2lPanels[name] = box;
    render(box, payload);
    addDisplayWidget(node, name, box, minHeight);
  } else {
    render(box, payload);
  }
}

function showReport(box, text) {
  box.replaceChildren(el("textarea", { readOnly: true, value: text,
    style: "width:100%;height:100%;resize:none;font:11px monospace;box-sizing:border-box;" }));
}

window.anim2lora = { trainListeners: listenerCount };

app.registerExtension({
  name: "anim2lora.report",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!nodeData.category?.startsWith("anim2lora")) return;
    if (nodeData.name === "TrainLoRA") {
      chainCallback(nodeType.prototype, "onNodeCreated", function () {
        attachTrainView(this);
      });
      chainCallback(nodeType.prototype, "onAdded", function () {
        this.a2lTrain?.connect();
      });
      chainCallback(nodeType.prototype, "onRemoved", function () {
        this.a2lTrain?.dispose();
      });
    }
    chainCallback(nodeType.prototype, "onExecuted", function (message) {
      const text = message?.a2l_report?.join("\n");
      if (text) showPanel(this, "a2l_report", text, showReport, 80);
      const groups = message?.a2l_groups?.[0];
      if (groups) showPanel(this, "a2l_groups", groups, renderGroups, Math.min(260, groupsHeight(groups)));
      const gallery = message?.a2l_gallery?.[0];
      if (gallery) showPanel(this, "a2l_gallery", gallery, renderGallery, 300);
      if (message?.a2l_losses) showFinishedRun(this, message.a2l_losses, message.a2l_scores);
      this.setDirtyCanvas(true, true);
    });
  },
});
