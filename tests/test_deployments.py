"""Deployment definitions: the schedule is 07:00 London time and prefect.yaml points at the flow."""

from __future__ import annotations

from pathlib import Path

from prefect.utilities.importtools import import_object
from ruamel.yaml import YAML
from typer.testing import CliRunner

from permanence.cli import app
from permanence.deployments.serve import SCHEDULE
from permanence.flows.daily_drift_check import FLOW_NAME, daily_drift_check

PREFECT_YAML = Path(__file__).parents[1] / "deployments" / "prefect.yaml"


class TestServeSchedule:
    """`permanence serve` runs the check at 07:00 Europe/London, all year round."""

    def test_cron_keeps_london_time(self) -> None:
        assert SCHEDULE.cron == "0 7 * * *"
        assert SCHEDULE.timezone == "Europe/London"

    def test_needs_a_server(self, monkeypatch) -> None:
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
        result = CliRunner().invoke(app, ["serve"])
        assert result.exit_code == 1
        assert result.stderr.startswith("set PREFECT_API_URL to a running Prefect server first")


class TestPrefectYaml:
    """deployments/prefect.yaml deploys the same flow on the same schedule."""

    def test_entrypoint_is_the_flow(self) -> None:
        document = YAML(typ="safe").load(PREFECT_YAML.read_text())
        (deployment,) = document["deployments"]
        flow = import_object(deployment["entrypoint"])
        assert flow is daily_drift_check
        assert flow.name == FLOW_NAME == "daily-drift-check"
        assert deployment["schedules"] == [
            {"cron": "0 7 * * *", "timezone": "Europe/London", "active": True}]
        assert deployment["work_pool"]["name"] == "permanence"
