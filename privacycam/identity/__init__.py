"""Face identity: a torch port of dlib's face recogniser, dlib-exact face chips, evaluation."""
