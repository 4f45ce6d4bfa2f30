"""Demonstrations on real data, run through the application layer: not part of the library core.

``scenario_2021`` rebuilds the 2021 runoff's docket (seeded, on the real table frame) and what
the bodies did with it; ``dispute_2021`` replays it into a store, phase by phase, through
:class:`escrutinio.app.Session` (``escrutinio demo dispute``). Nothing in ``app/`` or in the
capabilities imports this package.
"""
