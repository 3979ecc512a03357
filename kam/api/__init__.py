"""The JSON API at /api/ (django-ninja) and the personal API tokens that open it.

One module per resource (accounts, scores, plans, stakeholders, ratings, cycles), each a
thin layer over the same queries and services as the web pages, so one set of permission
rules holds everywhere; ``main`` assembles them, ``errors`` turns every refusal into
``{"detail": …, "field": …}``.
"""
