"""Benchmarks: a dev-only Django app, installed only in a checkout (never in the wheel).

``dreamsite.settings`` adds it to INSTALLED_APPS when it can be imported, so its commands
(``manage.py bench_sigils``, ``bench_dream``, ``bench_dream_pick``, ``bench_fanout``,
``bench_pages``) run from a checkout; no product module imports it. The plain scripts beside it
(``cron_tick.py``, ``refused_bodies.py``) run as ``python benchmarks/<script>.py``.
"""
