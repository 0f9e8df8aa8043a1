"""The built-in engine, one idea a module: words (terms and stop words), prose (sentences),
mood (the circumplex in words), hearing (speech or a described sound), cognition (what
cognize writes), clustering (TF-IDF and k-means in numpy and scipy), themes (clusters
named), narrative (the dream told) and engine (the two calls)."""
