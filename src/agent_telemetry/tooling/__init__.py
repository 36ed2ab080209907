"""The repository's tooling, behind a boundary the library never crosses: the native stack runner, the
rule and dashboard generators, the demo fleet and the fake provider.

Applications never import this package. Its commands say in one line which extra they need.
"""
