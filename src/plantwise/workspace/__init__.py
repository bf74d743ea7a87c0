"""The planning workspace: a web app and REST API over a run store, for every family.

* :mod:`.settings` — where the store lives and how jobs run;
* :mod:`.models`, :mod:`.db` — SQLAlchemy 2 tables, Alembic migrations applied at start;
* :mod:`.datasets` — immutable, versioned instances (upload, generate, scenarios with a diff);
* :mod:`.runs` — submitting, cancelling, recovering runs; :mod:`.worker` executes them in
  spawned processes (or Ray tasks) supervised by :mod:`.supervisor`;
* :mod:`.app` — the FastAPI app: ``/api/...`` (OpenAPI at ``/docs``) and the Jinja2 pages.
"""
