"""Emotion data models (characters, episodes, detections) arrive with the backend work."""
