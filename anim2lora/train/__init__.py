"""TrainLoRA's host-free core: which modules a LoRA adapts, and the kohya file it is saved as."""
