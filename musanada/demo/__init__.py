"""Demo and benchmark data: the named demo people, the generated national population, demo and load-test
tickets, bench tickets, and the `demo`, `generate` and `bench` commands.

It builds on the domain apps and nothing in the domain imports it: a deployment without demos could drop it.
"""
