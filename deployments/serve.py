"""`permanence serve`: the daily drift check at 07:00 Europe/London, from this machine.

One long-running process registers a deployment with the Prefect server named by
PREFECT_API_URL and runs each scheduled flow run itself; no work pool or worker is needed.
The cron schedule is kept in Europe/London, so the check runs at 07:00 local time in summer and
winter alike, and the schedule stays active when the process stops (pause_on_shutdown=False),
so a restart picks up where it left off. Store, rules and channels come from the environment
(see permanence.config).
"""

from __future__ import annotations

from prefect.schedules import Cron

DEPLOYMENT_NAME = "daily-drift-check-0700"
SCHEDULE = Cron("0 7 * * *", timezone="Europe/London")


def serve(name: str = DEPLOYMENT_NAME) -> None:
    from permanence.flows.daily_drift_check import daily_drift_check

    daily_drift_check.serve(
        name=name,
        schedules=[SCHEDULE],
        pause_on_shutdown=False,
        description="Evaluates every open case and tells leads about drift, each morning.",
        tags=["permanence"],
    )
