"""The chart screen's parts: drawing (draw.py, imports plotext) and targets (target.py, light)."""
