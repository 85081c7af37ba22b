// Shows a node's text report (sent by the backend as ui.a2l_report) in a read-only box on the
// node. The box is display only: it is not saved with the workflow.
import { app } from "../../scripts/app.js";

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
      if (!this.a2lReportBox) {
        const box = document.createElement("textarea");
        box.readOnly = true;
        box.style.cssText = "width:100%;height:100%;resize:none;font:11px monospace;";
        this.a2lReportBox = box;
        this.addDOMWidget("a2l_report", "a2l_report", box, { serialize: false });
      }
      this.a2lReportBox.value = text;
      this.setDirtyCanvas(true, true);
    });
  },
});
