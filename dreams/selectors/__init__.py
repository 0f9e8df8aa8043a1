"""Reads, one module per area: moments, dream_runs (the lock's run, reviews, material),
dream_settings, health (dream health from run history and heartbeats), live (the dream
loop's pick and the conductor's last snapshot). Nothing here writes."""
