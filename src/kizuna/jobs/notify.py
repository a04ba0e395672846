"""Notification jobs: one e-mail or one Slack message each, queued by playbooks in the
transaction that decided to send it. A failed send raises, and the queue retries it."""

from __future__ import annotations

from typing import Any

from kizuna.jobs.registry import JobContext, handler
from kizuna.playbook import notify
from kizuna.playbook.actions import EMAIL_JOB, SLACK_JOB


@handler(EMAIL_JOB)
def email(ctx: JobContext) -> dict[str, Any]:
    """Send ``payload = {to, subject, body}`` through the configured SMTP server."""
    settings = ctx.settings
    if not settings.smtp_host:
        return {"sent": False, "reason": "KIZUNA_SMTP_HOST is not set"}
    smtp = notify.SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )
    to = str(ctx.payload["to"])
    message_id = notify.send_email(
        smtp, to=to, subject=str(ctx.payload["subject"]), body=str(ctx.payload["body"])
    )
    return {"sent": True, "to": to, "message_id": message_id}


@handler(SLACK_JOB)
def slack(ctx: JobContext) -> dict[str, Any]:
    """Post ``payload["text"]`` to ``payload["url"]`` or the default webhook."""
    url = ctx.payload.get("url") or ctx.settings.slack_webhook_url
    if not url:
        return {"sent": False, "reason": "no webhook URL (KIZUNA_SLACK_WEBHOOK_URL)"}
    status = notify.post_slack(str(url), str(ctx.payload["text"]))
    return {"sent": True, "status": status}
