"""approvals.cases.models"""
