"""Moroccan administrative formats for every language of the interface (FORMAT_MODULE_PATH).

The ministry writes 25/11/2026 14:05 whatever the language, with Western digits even in Arabic.
"""
