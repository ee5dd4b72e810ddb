"""The product's own exceptions.

`InboxTriageError` and its subclasses are expected failures: the CLI shows them
as one line and exits non-zero. Anything else is a bug and keeps its traceback.
"""


class InboxTriageError(Exception):
    """An expected failure, shown to the user as one clear line."""

    exit_code = 1


class ConfigError(InboxTriageError):
    """The configuration file or environment has a bad or unknown key."""

    exit_code = 2


class UsageError(InboxTriageError):
    """The command line was given bad input (missing file, bad date, unknown right)."""

    exit_code = 2


class NotFoundError(InboxTriageError):
    """A case, message or draft that the user named does not exist."""


class StorageError(InboxTriageError):
    """The database could not be reached or refused a write."""


class StorageFullError(StorageError):
    """The database's disk is full: temporary, so mail is deferred and retried, never lost."""


class WorkflowError(InboxTriageError):
    """A case state transition or action that the workflow does not allow."""


class ModelError(InboxTriageError):
    """The trained classifier is missing, broken, or of the wrong version."""
