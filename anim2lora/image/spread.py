"""Picking ``n`` of many, spread over the whole sequence: a capped frame set, a contact sheet, a
browser gallery, a sample of a dataset to measure."""

from typing import List, Sequence


def evenly(items: Sequence, n: int) -> List:
    """``n`` items spread evenly over ``items`` (the middle of each of ``n`` equal stretches)."""
    if n >= len(items):
        return list(items)
    if n <= 0:
        return []
    step = len(items) / n
    return [items[int(step * i + step / 2)] for i in range(n)]


def evenly_with_ends(items: Sequence, n: int) -> list:
    """Up to ``n`` of ``items`` evenly spaced over the whole sequence, first and last included."""
    if n <= 0:
        return []
    if len(items) <= n:
        return list(items)
    if n == 1:
        return [items[len(items) // 2]]
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]
