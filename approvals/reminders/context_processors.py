"""What every admin page shows: the number of unread reminders beside the user's name."""

from approvals.reminders.services import unread_count


def unread_count_of(request) -> int:
    """The unread reminders of the request's person, counted once per request: the admin theme
    renders each card and component ({% component %}) with the request, which runs the context
    processors again (twenty times on the admin index), and the index's to-do list shows the
    same number (``projectdesk.unfold.index``)."""
    if not hasattr(request, "_unread_reminders"):
        request._unread_reminders = unread_count(request.user)
    return request._unread_reminders


def reminders(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/admin/"):
        return {}
    return {"unread_reminders": unread_count_of(request)}
