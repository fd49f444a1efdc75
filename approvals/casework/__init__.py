"""approvals.casework"""
