"""approvals.casework.models"""
