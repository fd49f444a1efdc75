"""approvals.checklist.services"""
