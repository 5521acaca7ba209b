"""Pulse editors: turn a window of canonical face crops into a plan of edits."""
