"""Evaluation workflow: scheme versions, cycles and phases, score sheets, incidents,
activity records, recompute, and the rectification ledger."""
