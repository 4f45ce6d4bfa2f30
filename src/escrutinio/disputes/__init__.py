"""Disputes: the pure parts of claims handling beyond the domain rules.

``scenario`` rebuilds the 2021 runoff's docket (seeded, on the real table frame) and what the
bodies did with it, and reads and writes the bulk-filing CSV layout for nullity requests. The
rules themselves live in ``escrutinio.domain.claims``; what is at stake in ``count.stakes``.
"""
