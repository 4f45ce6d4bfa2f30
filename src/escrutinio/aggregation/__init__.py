"""Pure aggregation over frames: what each table adds to every area's tally, and the one
table-results frame the capabilities read.

It sits below the store (the store keeps tallies up to date with these same functions, and
replay recomputes them from scratch with them), so it imports only the domain and polars.
"""
