"""approvals.figures"""
