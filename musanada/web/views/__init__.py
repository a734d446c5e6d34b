"""The pages of the help desk. They only translate: parse a form, call a selector or a service, render.

Every ticket is read through `selectors` (which go through the policy), every change through `services`;
state never changes on GET.
"""
