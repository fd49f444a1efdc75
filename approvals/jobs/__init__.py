"""approvals.jobs.services"""
