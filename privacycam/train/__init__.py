"""Training of the learned pulse editor (``privacycam train``)."""
