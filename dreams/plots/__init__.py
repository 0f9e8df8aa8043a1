"""Pictures of the mind, drawn on the server as SVG: the mood over time, the moments on the
circumplex, the continuity threads across dreams. Pure builders: plain data in, a `Plot`
out; no Django, no database (the reads are in dreams.selectors.plot_data)."""
