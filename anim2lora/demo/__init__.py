"""The demo clip: a deterministic two-character animation with per-frame truth."""
