"""Orchestration: how the stages run on Prefect.

Owns task wrapping (``tasks``: each step a task run, with the retries the step declared),
the global concurrency limits (``limits``), the Dask path (``cluster``) and the failure
alerts (``alerts``). May import ``renkei.pipeline``, the stage packages and ``renkei.core``;
only ``flows/`` and the application layer import it.
"""
