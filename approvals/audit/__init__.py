"""approvals.audit.services"""
