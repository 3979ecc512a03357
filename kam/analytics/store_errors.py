"""What the analytical store raises, apart from the store itself, so that the lake (which
the store reads through) can raise them too without importing the store back."""

from pathlib import Path


class StoreError(Exception):
    """The analytical store cannot be opened or is in a state kam does not understand."""


class StoreBusy(StoreError):
    """Another process (an import, a scoring run) holds the store for writing.

    Nothing is wrong with the data: asking again once the writer has finished succeeds.
    ``waited`` is how long this process waited for it, in seconds.
    """

    def __init__(self, path: Path, waited: float, detail: str):
        super().__init__(
            f"the analytical store {path} is being written by another kam process "
            f"(waited {waited:.0f} s); try again when it has finished"
        )
        self.path = path
        self.waited = waited
        self.detail = detail
