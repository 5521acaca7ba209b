"""rPPG estimators (the attackers), heart-rate metrics and the evaluation face region."""
