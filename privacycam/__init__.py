"""PrivacyCam: a real-time webcam privacy filter that edits what rPPG estimators read."""

__version__ = "0.1.0"
