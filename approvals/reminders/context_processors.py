"""What every admin page shows: the number of unread reminders beside the user's name."""

from approvals.reminders.services import unread_count


def reminders(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/admin/"):
        return {}
    return {"unread_reminders": unread_count(user)}
