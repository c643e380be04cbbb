"""GitHub: the one place mlci talks to GitHub's REST API (through PyGithub) and to the
Actions runner's files (job summary, step outputs)."""
