"""Uploads stay in memory and stop at the cap: no raw document ever touches a temporary file.

Django's default handlers spool large uploads to /tmp; for identity documents that would leave raw
images on disk. This handler keeps at most UPLOAD_MAX_BYTES per file in memory and marks the request
when a file is larger, so the view can answer `file_too_large` without reading the rest.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

TOO_LARGE_FLAG = "tasdeeq_upload_too_large"
_MULTIPART_OVERHEAD = 64 * 1024


class CappedMemoryUploadHandler(FileUploadHandler):
    def handle_raw_input(
        self, input_data: Any, META: dict[str, Any], content_length: int, boundary: Any, encoding: Any = None
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        if content_length > settings.UPLOAD_MAX_BYTES + _MULTIPART_OVERHEAD:
            setattr(self.request, TOO_LARGE_FLAG, True)
            # An empty parse result: the body is never read, the view answers file_too_large.
            return QueryDict(), MultiValueDict()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > settings.UPLOAD_MAX_BYTES:
            setattr(self.request, TOO_LARGE_FLAG, True)
            self.buffer = io.BytesIO()
            raise SkipFile()
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name or "upload",
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
