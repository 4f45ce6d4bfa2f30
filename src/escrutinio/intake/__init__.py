"""Intake: from a parsed sheet file to the events that record it."""
