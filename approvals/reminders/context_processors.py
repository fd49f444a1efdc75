"""What every admin page shows: the number of unread reminders beside the user's name."""

from approvals.reminders.services import unread_count


def reminders(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/admin/"):
        return {}
    # Counted once per request: the admin theme renders each card ({% component %}) with the
    # request, which runs the context processors again (twenty times on the admin index).
    if not hasattr(request, "_unread_reminders"):
        request._unread_reminders = unread_count(user)
    return {"unread_reminders": request._unread_reminders}
