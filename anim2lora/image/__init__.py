"""The base layer for pictures, below every stage: reading them (``files``), their ink and
background masks (``masks``), laying them on white paper (``paper``), cutting rectangles out of
them (``crops``), and picking a few spread over many (``spread``).  Nothing here knows a stage."""
