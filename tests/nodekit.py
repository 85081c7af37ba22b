"""Driving a node as ComfyUI's front end would, without a host."""


def widget_defaults(node) -> dict:
    """The node's widget values as a new node on the canvas has them (its required inputs that have
    a default; links such as frames or groups have none).  Every required input has a tooltip."""
    required = node.INPUT_TYPES()["required"]
    assert all("tooltip" in spec[1] for spec in required.values()), node.__name__
    return {k: spec[1]["default"] for k, spec in required.items() if "default" in spec[1]}
