"""Permanence tracker: rule-defined permanence timelines, evaluated daily, drift escalated."""
