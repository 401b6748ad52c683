"""Microphone capture (sounddevice/PortAudio) and device discovery."""
