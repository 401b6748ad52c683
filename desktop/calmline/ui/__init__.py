"""PySide6 widgets, one per panel. Only the GUI thread touches widgets."""
