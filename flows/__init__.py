"""Prefect flows: thin wrappers that run the library's stages with each step as a task."""
