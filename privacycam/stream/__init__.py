"""The streaming core: ring buffer, planner worker, per-frame path and the runner."""
