"""Uploaded import files: the one form field that accepts them and the one place they are saved.

Every import page (customers and lines, contacts, ratings) takes its file through
``ImportFileField``, which refuses a suffix kam does not read and a file over the upload
limit with a message saying so, and saves it with ``save_upload`` for the import to read
from disk. Django streams an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary
file, so the limit is about disk and time, not memory; files past it go through
``kam import`` instead (see docs/importing.md).
"""

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile


def human_size(size: int) -> str:
    """``size`` bytes as people say it: 512 KB, 20 MB, 2 GB."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{size} bytes"


class ImportFileField(forms.FileField):
    """A file for an import: one of ``suffixes``, at most ``max_bytes`` (a setting by default)."""

    def __init__(
        self,
        *,
        suffixes: Sequence[str],
        max_bytes: int | None = None,
        what: str = "CSV",
        **kwargs: Any,
    ) -> None:
        self.suffixes = tuple(suffixes)
        self.max_bytes = max_bytes
        self.what = what
        kwargs.setdefault(
            "widget", forms.ClearableFileInput(attrs={"accept": ",".join(self.suffixes)})
        )
        super().__init__(**kwargs)

    @property
    def limit(self) -> int:
        """The largest file this field accepts, in bytes."""
        return self.max_bytes or int(settings.MAX_UPLOAD_BYTES)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload is None:
            return upload
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in self.suffixes:
            readable = ", ".join(self.suffixes)
            raise forms.ValidationError(
                f"{upload.name}: kam reads {self.what} files ({readable}) here, "
                f"not {suffix or 'a file without a suffix'}."
            )
        if upload.size is not None and upload.size > self.limit:
            raise forms.ValidationError(
                f"{upload.name} is {human_size(upload.size)}; uploads here are limited to "
                f"{human_size(self.limit)}. Import larger files with `kam import` on the server."
            )
        return upload


def save_upload(upload: UploadedFile) -> Path:
    """Write the upload to a private temporary file in UPLOAD_DIR, keeping its suffix."""
    directory = Path(settings.UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=Path(upload.name or "").suffix.lower(), dir=directory)
    with os.fdopen(handle, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return Path(name)
