"""approvals.core"""
