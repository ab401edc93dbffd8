"""What to run: the matrix file's schema and messages, the plan, what is refused before a run."""
