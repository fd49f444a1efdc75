"""What the accounts' controls announce for others to record: the audit log listens
(``approvals.audit.services``), so that this package needs nothing of ``approvals`` to be heard."""

from django.dispatch import Signal

#: A second-factor code refused unchecked because of the throttle (django-otp counts no failure
#: then, and sends none of its own signals). Sent with ``device``, the person's TOTPDevice.
second_factor_throttled = Signal()
