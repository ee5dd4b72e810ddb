"""Bookkeeping of the processor: which messages are due, and recording outcomes."""
