// Shows a node's text report (sent as ui.a2l_report) in a read-only box on the node itself.
import { app } from "../../scripts/app.js";
import { ComfyWidgets } from "../../scripts/widgets.js";

function chainCallback(object, property, callback) {
  const original = object[property];
  object[property] = function () {
    const result = original?.apply(this, arguments);
    callback.apply(this, arguments);
    return result;
  };
}

app.registerExtension({
  name: "anim2lora.report",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!nodeData.category?.startsWith("anim2lora")) return;
    chainCallback(nodeType.prototype, "onExecuted", function (message) {
      const text = message?.a2l_report?.join("\n");
      if (!text) return;
      let widget = this.widgets?.find((w) => w.name === "a2l_report");
      if (!widget) {
        widget = ComfyWidgets.STRING(this, "a2l_report", ["STRING", { multiline: true }], app).widget;
        widget.inputEl.readOnly = true;
        widget.serialize = false;
      }
      widget.value = text;
      this.setDirtyCanvas(true, true);
    });
  },
});

