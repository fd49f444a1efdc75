"""approvals.access"""
