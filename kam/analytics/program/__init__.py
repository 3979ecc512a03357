"""The programme's own figures (seeds 003 and 004): concentration of revenue and margin,
account P&L, KPIs, the measured return of key account management and the post-launch
questions. Ibis over the store where the data is transactions; numpy where it is a few
hundred accounts' figures handed in by the app."""
