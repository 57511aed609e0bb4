"""Workflows: the one place that combines analyses into answers (console, report, web, sweeps)."""
