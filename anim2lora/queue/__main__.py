"""``python -m anim2lora.queue WORKFLOW --server URL [--video FILE] [--set NODE.input=value …] [--json]``

Queues a workflow (as the canvas saves it, or in API format) on a running ComfyUI as a user
would from the canvas, shows its progress, and prints the nodes' reports (the verdict table last).  Exit status: 0 success;
1 a node failed (its id, type and message on stderr); 2 the workflow, a --set or the video is
unusable, the host refused the prompt, or the host cannot be reached (its URL is named);
130 cancelled (Ctrl-C, which also stops the prompt on the host) or interrupted on the host.
"""

import argparse
import json
import sys
import urllib.parse
import uuid
from pathlib import Path

from ..errors import Anim2LoRAError, BadInputError
from .client import Host, HostUnreachable, NoEvents, PromptRefused
from .progress import ProgressView
from .prompt import apply_override, load_prompt, node_label, node_title, parse_override, video_nodes

VERDICT_NODE = "LineArtVerdict"
EXIT = {"success": 0, "error": 1, "interrupted": 130}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m anim2lora.queue", description=__doc__.split("\n\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workflow", type=Path, help="a workflow as the canvas saves it (workflows/*.json) or an "
                                               "API-format prompt (\"Export (API)\", workflows/api/*.json)")
    p.add_argument("--server", required=True, help="the ComfyUI address, e.g. http://127.0.0.1:8188")
    p.add_argument("--video", type=Path, help="uploaded into the host's input folder and set on every "
                                              "VideoFrameExtract node (over any --set of its video)")
    p.add_argument("--set", action="append", default=[], metavar="NODE.input=value",
                   help="change one input; NODE is a node's id, class or title; the value is read as JSON "
                        "when it parses (20, 0.5, true, [1,2]), else as text; on a file choice with an upload "
                        "button, @FILE uploads a local file into the host's input folder and sets its name "
                        "(a reference still); repeatable")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout instead of the reports")
    return p


def _refusal(prompt: dict, e: PromptRefused) -> str:
    lines = [str(e)]
    for node_id, entry in (e.node_errors or {}).items():
        for err in entry.get("errors", []):
            details = err.get("details")
            lines.append(f"  {node_label(prompt, node_id)}: {err.get('message', 'invalid')}"
                         + (f": {details}" if details else ""))
    error = e.body.get("error")
    if len(lines) == 1 and isinstance(error, dict) and error.get("details"):
        lines.append(f"  {error['details']}")
    return "\n".join(lines)


def _failure(prompt: dict, error: dict) -> str:
    node_id = str(error.get("node_id", "?"))
    label = node_label(prompt, node_id) if node_id in prompt else f"#{node_id} {error.get('node_type', '?')}"
    kind = error.get("exception_type", "")
    return f"{label} failed: {error.get('exception_message', '').strip()}" + (f" ({kind})" if kind else "")


def _images(url: str, outputs: dict) -> list:
    found = []
    for node_id, ui in outputs.items():
        for image in ui.get("images") or []:
            query = urllib.parse.urlencode({k: image.get(k, "") for k in ("filename", "subfolder", "type")})
            found.append({"node": node_id, **image, "url": f"{url}/view?{query}"})
    return found


def _reports(prompt: dict, outputs: dict) -> str:
    """Every node's a2l_report, in node order, with the verdicts last: they are the answer."""
    order = sorted(outputs, key=lambda i: (prompt.get(i, {}).get("class_type") == VERDICT_NODE,
                                           int(i) if i.isdigit() else 0, i))
    parts = []
    for node_id in order:
        text = "\n".join(outputs[node_id].get("a2l_report") or [])
        if text:
            verdict = "Verdict: " if prompt.get(node_id, {}).get("class_type") == VERDICT_NODE else ""
            parts.append(f"== {verdict}#{node_id} {node_title(prompt, node_id)} ==\n{text.rstrip()}\n")
    return "\n".join(parts)


def _follow(host: Host, prompt: dict, client_id: str, view: ProgressView):
    """Queue the prompt and wait for its outcome; (prompt_id, Outcome).  The websocket is opened
    first so no event is missed; without it the outcome comes from polling /history."""
    try:
        stream = host.events(client_id)
    except NoEvents as e:
        view.note(f"no live progress ({e}); polling {host.url}/history instead")
        stream = None
    prompt_id = None
    try:
        prompt_id = host.queue(prompt, client_id)
        view.note(f"queued prompt {prompt_id} on {host.url}")
        result = stream.follow(prompt_id, view.handle) if stream else None
        if result is None:
            if stream:
                view.note(f"lost the websocket; polling {host.url}/history")
            result = host.wait(prompt_id)
        return prompt_id, result
    except KeyboardInterrupt:
        view.close()
        if prompt_id is not None:
            try:
                host.cancel(prompt_id)
                view.note(f"cancelled: asked ComfyUI to stop prompt {prompt_id}")
            except HostUnreachable as e:
                view.note(f"cancelled, but could not ask ComfyUI to stop prompt {prompt_id}: {e}")
        raise
    finally:
        view.close()
        if stream:
            stream.close()


def run(args, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    overrides = [parse_override(text) for text in args.set]
    host = Host(args.server)
    prompt = load_prompt(args.workflow, host.object_info)
    # everything is checked before the first upload
    uploads = [(apply_override(prompt, o, host.object_info), o) for o in overrides]
    targets = video_nodes(prompt) if args.video else []
    if args.video and not args.video.is_file():
        raise BadInputError(f"--video {args.video}: no such file.", hint="Give the path of a video on this computer.")
    for node_id, override in uploads:
        if override.upload is not None:
            prompt[node_id]["inputs"][override.name] = host.upload(override.upload, f"--set {override.target}."
                                                                                    f"{override.name}")
    if args.video:
        name = host.upload(args.video, "--video")
        for node_id in targets:
            prompt[node_id]["inputs"]["video"] = name
    view = ProgressView({i: node_title(prompt, i) for i in prompt}, stream=err)
    try:
        prompt_id, result = _follow(host, prompt, uuid.uuid4().hex, view)
    except PromptRefused as e:
        print(_refusal(prompt, e), file=err)
        if args.json:
            print(json.dumps({"prompt_id": None, "status": "refused", "node_errors": e.node_errors,
                              "error": e.body.get("error")}), file=out)
        return 2
    reports = {i: "\n".join(ui["a2l_report"]) for i, ui in result.outputs.items() if ui.get("a2l_report")}
    if args.json:
        summary = {"prompt_id": prompt_id, "status": result.status, "outputs": reports,
                   "images": _images(host.url, result.outputs)}
        if result.error:
            summary["error"] = {k: result.error.get(k) for k in ("node_id", "node_type", "exception_type",
                                                                   "exception_message")}
        print(json.dumps(summary, indent=1), file=out)
    else:
        text = _reports(prompt, result.outputs)
        if text:
            print(text, file=out)
        for image in _images(host.url, result.outputs):
            print(f"image from #{image['node']}: {image['url']}", file=out)
    if result.status == "error":
        print(f"error: {_failure(prompt, result.error or {})}", file=err)
    elif result.status == "interrupted":
        print(f"prompt {prompt_id} was interrupted on the host", file=err)
    return EXIT[result.status]


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except Anim2LoRAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
