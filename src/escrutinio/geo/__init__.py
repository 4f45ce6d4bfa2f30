"""Geography for maps: shapes from INEI-coded GeoJSON, the RENIEC→INEI code correspondence, and
choropleths drawn as SVG path data on the server.

Why a package of its own, below the application: results are keyed by the codes the counting
authority uses (ONPE's files carry RENIEC ubigeo codes), while published boundaries are keyed by
INEI's. Joining the two, projecting, simplifying and classing values into colours is pure work on
numbers and shapes that every skin (web pages, CLI reports) needs the same way; the skins only
write the markup and the words. Nothing here reads a store or a clock.

- :mod:`.correspondence` — RENIEC ubigeo -> INEI ubigeo (a table derived from names, shipped).
- :mod:`.atlas` — the GeoJSON folder read once: shapes per level and code.
- :mod:`.projection` — Lambert azimuthal equal-area centred on Peru (areas compare truly).
- :mod:`.palette` — colour-blind-safe sequential classes and their legend.
- :mod:`.choropleth` — values per area -> coloured, simplified SVG paths, with what has no shape.
"""
