"""A script-built set of agent-microphone recordings with ground truth taken
from how each file was built, and a scorer for Calmline's cue detector.

    python -m tests.voiceset.build [--quick] [--out DIR]
    python -m tests.voiceset.score [--caller] [--quick] [--verbose]
"""
