"""What the report computes from the loaded results: every number it shows.

Anytime curves, statistics, the leaderboard, early-stopping evidence, agreement between
modes, importance, the table optimum, and the colour each strategy gets in every figure.
"""
