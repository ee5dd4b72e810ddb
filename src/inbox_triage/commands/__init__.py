"""Handlers of the command line, one module per area; cli.py only dispatches."""
