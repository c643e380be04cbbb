"""The policy's checks, one folder each: its spec (from mlci.yaml), its measurement (I/O,
done while collecting) and its judgement (pure). ``registry.CHECKS`` lists them; the parts
every check is made of are in ``base``. See docs/ARCHITECTURE.md.
"""
