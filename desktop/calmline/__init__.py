"""Calmline: a de-escalation companion for phone agents."""

__version__ = "0.1.0"
APP_NAME = "Calmline"
BUNDLE_ID = "com.calmline.Calmline"
