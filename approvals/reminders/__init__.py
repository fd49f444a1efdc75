"""approvals.reminders.services"""
