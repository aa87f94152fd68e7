"""Stage: staged rows → the one clean, deduplicated, classified ``activities`` table.

Owns normalise, rebuild, the secretariat's category overrides and the classification
dictionary. May import ``renkei.core``, ``transforms`` and ``warehouse``; no other stage.
"""
