"""The REST API, one module per area: moments (and their sigil images), dream runs
(with reviews and health), dream settings, personalities. Thin views over services and
selectors."""
