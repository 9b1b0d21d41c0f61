"""The JSON API under `/api/v1`: bearer-token auth, role checks, one router per resource.

Routes validate input, open one transaction, call a core function and shape
the answer; domain errors become HTTP errors in `errors.py`.
"""
