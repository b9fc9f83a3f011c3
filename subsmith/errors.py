"""Errors a stage raises on purpose: their message is the one line the user reads."""


class StageError(Exception):
    """A failure with a message that names the file and the fix (no traceback shown)."""


class SkipStage(Exception):  # noqa: N818 - it is a signal, not an error
    """An optional stage cannot run; its reason is recorded and the run goes on."""
