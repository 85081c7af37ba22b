"""Reading videos with PyAV: open and describe a file, then stream its frames once, in order."""
