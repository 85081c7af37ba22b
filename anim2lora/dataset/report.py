"""What the caption stage wrote, in numbers: pictures, repeats and share of the steps per group,
the pinned head, the commonest tags, and a sample caption per group."""

from .captions import head_tags
from .kohya import COMPOSED, KINDS, STILLS, step_shares, steps_by_source, steps_per_epoch
from .run import CaptionResult


def caption_report(result: CaptionResult) -> str:
    d = result.dataset
    shares = step_shares(d.subsets)
    subsets = f" ({len(d.subsets)} subsets)" if len(d.subsets) != len(d.groups) else ""
    lines = [f"CaptionWithKeepTokens: {sum(len(s.images) for s in d.subsets)} pictures in {len(d.groups)} groups{subsets}; "
             f"tags: {d.tagger}" + (f" (ran on {result.tagged}, the rest cached)" if d.tagger != "offline" else "")
             + f"; {result.seconds:.1f} s",
             f"steps per epoch at batch 1: {steps_per_epoch(d.subsets)}"]
    for s in d.subsets:
        head = set(head_tags(s.group, result.settings.trigger, result.settings.count_tag))
        common = [t for t in d.tag_frequency.get(s.folder.name, {}) if t not in head]
        lines.append(f"  {s.folder.name:>12}: {len(s.images):4d} pictures x {s.repeats:2d} repeats = {s.steps:5d} steps "
                     f"({shares[s.group]:.0%}); keep_tokens {s.keep_tokens}")
        if s.captions:
            lines.append(f"      e.g. {s.captions[0][:160]}")
        if common[:8]:
            lines.append(f"      common tags: {', '.join(common[:8])}")
    for g, c in result.composed.items():
        lines.append(f"  composed {g}: {c['used']} of {c['made']} used beside {c['real']} real frames (at most "
                     f"{result.settings.composed_share:g}x the real frames, and their repeats)")
    by_source = steps_by_source(d.subsets)
    if any(v[k] for v in by_source.values() for k in (COMPOSED, STILLS)):
        lines.append("steps per character by source (frames include crops; a pair's picture counts for both):")
        for name, v in by_source.items():
            total = sum(v.values()) or 1
            lines.append(f"  {name:>12}: " + ", ".join(f"{k} {v[k]} ({v[k] / total:.0%})" for k in KINDS))
    lines.extend(f"WARNING {w}" for w in result.warnings)
    lines.append(f"dataset: {d.folder}  (kohya: --dataset_config {d.config})")
    return "\n".join(lines)
