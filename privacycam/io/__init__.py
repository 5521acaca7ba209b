"""The edges of the pipeline: frame sources (files, cameras, synthetic) and sinks
(files, the virtual camera, a preview window, a local MJPEG stream)."""
