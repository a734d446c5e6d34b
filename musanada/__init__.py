"""Musanada (مساندة): the ministry of education's tiered help desk."""
