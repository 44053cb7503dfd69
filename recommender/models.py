"""Recommender data models (per-episode emotion summaries) arrive with the backend work."""
