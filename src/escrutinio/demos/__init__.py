"""Demonstrations on real data, run through the application layer: not part of the library core.

``dispute_2021`` words ``escrutinio demo dispute``: the 2021 runoff's docket (rebuilt, seeded, on
the real table frame by ``disputes.scenario_2021``) replayed into a store phase by phase by the
application (``app.replay_2021``). A skin as the CLI is: it imports the application, parsing
and output only (the import contract's ``skins``), and nothing below imports it.
"""
