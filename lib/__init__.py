"""Plumbing shared by the apps: time ranges, API plumbing, cache, locks, health.

Imports no app of this project (the layers of docs/design.md).
"""
