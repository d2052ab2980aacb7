"""The web page: the report's live views (the RAG board, team pages, a child's timeline, drift
over time) served over HTTP to signed-in leads, each seeing only the teams their lead row
allows.

`settings` (the environment), `auth` (passwords, sessions, CSRF), `views` (the pages, drawn
with the report's own templates and figures), `app` (addresses, sign-in, who may see what) and
`server` (uvicorn, for `permanence web` and `permanence serve`). Accounts and sessions are kept
in the store (`store.accounts`).
"""
