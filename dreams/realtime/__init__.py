"""The one owner of events (docs/events.md): typed models (`events`), the one entry
(`publish`), numbering and encoding, the observers' hub, the bus between processes and the
daphne port (every internal of daphne, Twisted and autobahn, in one room)."""
