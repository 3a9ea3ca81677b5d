"""Workbooks the platform reads (the roster, a branch's month sheet …): one safe, fast
reader (:mod:`zhibu.workbooks.reader`) and one normalization of what people type
(:mod:`zhibu.workbooks.normalize`), shared by every importer.

Pure: no database. Messages are marked with :func:`zhibu.i18n._` (Chinese in the code,
the user's language in a request).
"""
