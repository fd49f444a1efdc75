"""approvals.stages"""
