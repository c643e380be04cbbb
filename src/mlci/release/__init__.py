"""Models as versioned software: which artifacts get a new version, which version, and its model card.

``spec`` is mlci.yaml's ``release:`` section; ``bump`` chooses the kind of bump from the merged
PR (pure); ``plan`` decides, from what git, DVC and GTO say (:mod:`mlci.gto`), which artifacts
get which version. The tags are GTO's (``name@vX.Y.Z``), written through GTO's own API.
"""
