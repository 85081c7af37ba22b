"""VideoFrameExtract's logic: decode once, collapse holds, find shots, score and pick frames."""
