"""approvals.cases"""
