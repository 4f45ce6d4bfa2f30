"""Disputes: the docket of the dispute bodies (``service``) and the bulk-filing CSV
(``requests_csv``). The claim rules live in ``escrutinio.domain.claims``; what is at stake in
``count.stakes``, and what a published list of tables puts at stake in ``listed_stakes``; the
2021-shaped docket in ``scenario_2021`` (replayed into a store by ``escrutinio.app.replay_2021``).
"""
