"""LineArtSampler's host-free half: the line-art prompt from a dataset's pinned names, the
clean-up of generated pictures, and headless sampling on the trainer's backend."""
