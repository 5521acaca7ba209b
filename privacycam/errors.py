"""Errors that the CLI reports as one clear line instead of a traceback."""


class PrivacyCamError(Exception):
    """Base class: anything the user can act on."""


class VideoInputError(PrivacyCamError):
    """A video file or camera could not be opened or read."""


class VideoOutputError(PrivacyCamError):
    """An output (file, virtual camera, stream) could not be opened or written."""


class DependencyMissingError(PrivacyCamError):
    """An optional dependency (TensorRT, pycuda, a tray toolkit) is not installed."""
