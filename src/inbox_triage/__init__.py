"""inbox-triage: GDPR requests from a company mailbox, tracked as cases with deadlines."""

__version__ = "0.1.0"
