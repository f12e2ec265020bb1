"""Scheduled runs: inbox passes that make a batch of each new file, and the loop that fires
them on time."""
