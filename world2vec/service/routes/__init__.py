"""The blueprints, one module per group of routes: concepts (similar, compose, analogy,
encode), memories (items, search, qa, filter), relations, system (health, metrics,
openapi, the page). They share helpers.py and never import one another."""
