"""Node definitions as ComfyUI's ``/object_info`` gives them, without a host: the pack's from
its classes, and the three host nodes the shipped workflows use as recorded from a real ComfyUI
(tests/data/host_object_info.json; test_real_host checks the recording against a live host)."""

import json
from pathlib import Path

HOST_NODES = Path(__file__).parent / "data" / "host_object_info.json"


def object_info(pack) -> dict:
    infos = json.loads(HOST_NODES.read_text())
    for name, cls in pack.NODE_CLASS_MAPPINGS.items():
        infos[name] = {"input": json.loads(json.dumps(cls.INPUT_TYPES())), "output": list(cls.RETURN_TYPES),
                       "name": name, "display_name": pack.NODE_DISPLAY_NAME_MAPPINGS.get(name, name)}
    return infos
