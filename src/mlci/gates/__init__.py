"""Quality gates: each rule of the policy, evaluated to one GateResult.

``result`` holds the shared types; ``metrics`` evaluates metric rules against a
Report; ``reproducible``, ``data``, ``fairness`` and ``runtime`` are the checks
beyond metrics. Every evaluator returns results and never prints.
"""
