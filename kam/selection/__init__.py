"""Selection: the segmented portfolio, the scoring policy, tiers, McDonald's four types,
the yearly selection cycle and manager assignment."""
