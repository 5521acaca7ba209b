"""Synthetic target pulse waveforms."""
