"""Deployments of the daily drift check."""
