"""Errors a stage raises on purpose: their message is the one line the user reads."""


class StageError(Exception):
    """A failure with a message that names the file and the fix (no traceback shown)."""


class SkipStage(Exception):  # noqa: N818 - it is a signal, not an error
    """An optional stage cannot run; its reason is recorded and the run goes on.

    `record` (optional): more fields for the skipped JSON outputs, so a stage can say
    more than the reason in its output's own shape (tmdb's `query`, `source`).
    """

    def __init__(self, reason: str, record: dict | None = None):
        super().__init__(reason)
        self.record = record or {}
