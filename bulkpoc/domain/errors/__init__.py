"""Errors as data: the catalogue of codes (``codes``), the exceptions that stop a batch and
the row error record (``types``), and the log rules report into (``log``)."""
