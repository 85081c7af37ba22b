"""Random streams keyed by (run seed, purpose, counter): each draw is a function of those alone,
never of a generator carried through a run, so a resumed run and a preview draw exactly what an
unbroken run would."""


def stream_seed(seed: int, what: str, n: int) -> int:
    """A seed for (run seed, purpose, counter): independent streams without shared state."""
    import hashlib

    return int.from_bytes(hashlib.sha256(f"{seed}:{what}:{n}".encode()).digest()[:8], "little")


def torch_generator(seed: int, what: str, n: int):
    import torch

    g = torch.Generator(device="cpu")
    g.manual_seed(stream_seed(seed, what, n))
    return g
