"""Plans: the living account plan — objectives, targets, SWOT, PEST, risks, actions,
versions and reviews.
"""
