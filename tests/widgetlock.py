"""Every pack node's inputs as a saved workflow depends on them: names and order (a canvas file
keeps widget values by position), kind, default, range, choices and tooltip.  Listed with no
host and empty folders, so environment-dependent lists (videos, installed models, LoRAs) are the
same everywhere.  ``python tests/widgetlock.py`` rewrites tests/data/widgets.json."""

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCK = HERE / "data" / "widgets.json"


def widget_table(pack) -> dict:
    """Node name -> its INPUT_TYPES as JSON would carry it (order kept)."""
    bridge = sys.modules[pack.__name__ + ".nodes.bridge"]
    saved = dict(bridge._configured)
    with tempfile.TemporaryDirectory() as empty:
        bridge._configured.clear()
        bridge.configure(input_dir=empty, output_dir=empty, temp_dir=empty)
        try:
            table = {name: json.loads(json.dumps(cls.INPUT_TYPES()))
                     for name, cls in sorted(pack.NODE_CLASS_MAPPINGS.items())}
        finally:
            bridge._configured.clear()
            bridge._configured.update(saved)
    return table


def _write() -> None:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from packload import load_pack

    LOCK.write_text(json.dumps(widget_table(load_pack()), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {LOCK}")


if __name__ == "__main__":
    _write()
