"""Before/after evaluation: what rPPG estimators read on a filtered clip vs its original, and fidelity."""
