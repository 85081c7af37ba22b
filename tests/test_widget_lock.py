"""Saved workflows keep loading: no node's widget list (names, order, kinds, defaults, ranges,
choices, tooltips) changes unless tests/data/widgets.json is regenerated on purpose, after the
shipped workflows were."""

import json

from widgetlock import LOCK, widget_table

HOW = ("A node's inputs changed. Saved workflows keep widget values by position, so an existing widget must "
       "never be renamed, reordered or removed; a new one goes last (or in 'optional'). If the change is on "
       "purpose, regenerate the shipped workflows (workflows/*.json and workflows/api/*.json), then rewrite the "
       "lock with: python tests/widgetlock.py")


def _widgets(inputs: dict) -> list:
    return [(section, name) for section in ("required", "optional") for name in inputs.get(section, {})]


def test_every_nodes_widget_list_is_as_locked(pack):
    locked = json.loads(LOCK.read_text(encoding="utf-8"))
    now = widget_table(pack)
    assert sorted(now) == sorted(locked), f"nodes added or removed. {HOW}"
    for name in locked:
        assert _widgets(now[name]) == _widgets(locked[name]), f"{name}: widget names or order. {HOW}"
        for section in ("required", "optional", "hidden"):
            for key, entry in locked[name].get(section, {}).items():
                assert now[name][section][key] == entry, \
                    f"{name}.{key}: kind, default, range, choices or tooltip. {HOW}"
