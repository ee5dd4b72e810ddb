"""Shared test helpers: real servers on loopback, settings builders, mail builders."""
