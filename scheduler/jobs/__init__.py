"""Scheduled jobs: each module here defines ``JOBS`` (see scheduler/__init__.py); no job code
lives in this file, so adding a job never touches another feature's files."""
