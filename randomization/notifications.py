"""E-mails of the outbox, rendered at send time from ids. No arm anywhere."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from randomization.documents import confirmation_context, confirmation_filename, confirmation_pdf
from randomization.models import Notification


def build_email(notification: Notification) -> EmailMessage:
    context: dict = {
        "notification": notification,
        "site": notification.site,
        "participant": notification.participant,
        "shipment": notification.shipment,
        "unblinding": notification.unblinding,
    }
    if notification.allocation is not None:
        context.update(confirmation_context(notification.allocation))
    template = f"emails/randomization_{notification.kind}"
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
        message = EmailMessage(subject=subject, body=body, to=notification.recipients)
        if notification.allocation is not None:
            message.attach(
                confirmation_filename(notification.allocation),
                confirmation_pdf(notification.allocation),
                "application/pdf",
            )
    return message
