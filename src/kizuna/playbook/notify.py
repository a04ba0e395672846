"""Sending notifications: e-mail over SMTP and Slack incoming webhooks. Called by the
``notify.*`` jobs after the transaction that queued them committed; a failed send raises,
so the queue retries it (``max_attempts``). Settings: ``KIZUNA_SMTP_*``,
``KIZUNA_SLACK_WEBHOOK_URL`` (docs/playbooks.md).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from kizuna.kit.errors import FieldProblem, Invalid

TIMEOUT = 30.0  # seconds


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = True


def send_email(smtp: SmtpSettings, *, to: str, subject: str, body: str) -> str:
    """Send a plain-text e-mail; returns its Message-ID. Raises on any SMTP failure."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or "kizuna")
    message.set_content(body)
    if smtp.port == 465:
        with smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=TIMEOUT, context=ssl.create_default_context()
        ) as client:
            _login_and_send(client, smtp, message)
    else:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            _login_and_send(client, smtp, message)
    return str(message["Message-ID"])


def _login_and_send(client: smtplib.SMTP, smtp: SmtpSettings, message: EmailMessage) -> None:
    if smtp.username:
        client.login(smtp.username, smtp.password)
    client.send_message(message)


def post_slack(url: str, text: str) -> int:
    """POST ``{"text": …}`` to a Slack incoming webhook; returns the HTTP status. Raises
    on a non-2xx answer or a network failure."""
    if not url.startswith(("https://", "http://")):
        raise Invalid(FieldProblem(("webhook_url",), "bad_url", "an http(s) URL"))
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        status = int(response.status)
    if not 200 <= status < 300:
        raise RuntimeError(f"Slack answered {status}")
    return status
