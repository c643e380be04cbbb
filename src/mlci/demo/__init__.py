"""`mlci demo`: an example DVC project with two pull requests, reported by mlci."""
