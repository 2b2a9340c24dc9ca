"""Hostile world: generated hostile inputs, crashes mid-run, load during rebuilds (issue 10)."""
