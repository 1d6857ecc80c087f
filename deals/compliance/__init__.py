"""The privacy compliance review of a deal: versioned checklists, answers, evidence, findings and decisions.

Models live in `models.py` and are imported at the bottom of `deals/models.py`,
so Django registers them in the `deals` app.
"""
