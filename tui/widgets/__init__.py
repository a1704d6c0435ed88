"""Dashboard widgets: one module per panel, plus the bars and the repaint-only-on-change line."""
