"""The conductor: the one owner of the cognitive state, the live sessions and the loops."""
