"""Engagement: customer feedback (CSAT, NPS, comments), listening sessions and service reviews,
and the experience score that sets perceived quality beside measured quality.

Pure domain code: records and the arithmetic over them; storage and interfaces live elsewhere.
"""
