"""Application: the secretariat's web console (`renkei console`), in Japanese.

Server-rendered pages (Starlette + Jinja2), every asset served by the app. Handlers only
wire the stage packages' functions together — the same ones the CLI and the flows call —
and never hold the warehouse between requests (README, "The console beside the flows").

May import every stage package, ``renkei.pipeline``, ``renkei.orchestration`` and
``renkei.status``; only the CLI imports it.
"""
