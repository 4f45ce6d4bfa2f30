"""Risk-limiting audits: pure math over exact integers, and the audit record built on it.

Modules, each named after what it holds:

- :mod:`~escrutinio.audit.sampler`: the public seed, Rivest's consistent sampler, and weighted
  draws with replacement (PPEB for tables, uniform for ballots) from SHA-256 of the seed.
- :mod:`~escrutinio.audit.bravo`: BRAVO ballot polling (sample sizes, measured risk).
- :mod:`~escrutinio.audit.minerva`: Minerva by the exact binomial law: risks, kmins and round
  sizes for the first and later rounds.
- :mod:`~escrutinio.audit.comparison`: ballot-level comparison, Super-Simple / Kaplan–Markov.
- :mod:`~escrutinio.audit.macro`: MACRO batch comparison with tables as batches.
- :mod:`~escrutinio.audit.alpha`: ALPHA supermartingales for polling and batch comparison.
- :mod:`~escrutinio.audit.risk`: risk limits as exact fractions, risks written as strings.
- :mod:`~escrutinio.audit.manifest`: the tables in the count, from the table-results frame.
- :mod:`~escrutinio.audit.contest`: contests with any number of choices and winners (maxima
  over winner–loser pairs, MACRO's per-table maximum).
- :mod:`~escrutinio.audit.rounds`: every method's next-round size, or a full hand count.
- :mod:`~escrutinio.audit.plan`: every method's sample size side by side for an election.
- :mod:`~escrutinio.audit.workflow`: the audit record (plain payloads, replay, retrieval lists).
- :mod:`~escrutinio.audit.simulate`: simulated audits through that record.
"""
