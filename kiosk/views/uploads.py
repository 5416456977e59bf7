"""The few routes that take more than MAX_CONTENT_LENGTH (10 MB): photos. The limit is the
request's own, so it holds before anything reads the body (the CSRF check reads the form
before any view runs), and costs the other routes nothing."""

from flask import Request

from ..headshots import MAX_BYTES
from ..photo_import import MAX_ZIP_BYTES

FORM_SLACK = 64 * 1024  # a form's other fields and the multipart framing, beside the file
LIMITS = {
    "admin.attendee_photo": MAX_BYTES + FORM_SLACK,
    "admin.photos_upload": MAX_ZIP_BYTES + FORM_SLACK,
    "api.take_headshot": MAX_BYTES,
}


class UploadRequest(Request):
    @property
    def max_content_length(self):
        return LIMITS.get(self.endpoint) or super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value):
        self._max_content_length = value
