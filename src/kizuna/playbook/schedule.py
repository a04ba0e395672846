"""The ``playbooks.evaluate`` job: hourly (``jobs/schedules.py``), right after a daily
journey evaluation that moved anything (``jobs/journey.py``, in the same transaction), and
soon after the events playbooks react to (``survey.answered``, ``handoff.accepted``,
``lead.passed``, ``lead.accepted``, ``renewal.at_risk``).

Features below the playbook layer that publish such events ask for a run with
``scheduler.request_run(session, "playbooks.evaluate", delay=…)`` themselves (the survey
service does); requests coalesce with a queued run that has not started.
"""

from __future__ import annotations

EVALUATE_JOB = "playbooks.evaluate"
