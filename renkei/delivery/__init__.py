"""Stage: an approved issue → one message per subscribed contact, each recorded once.

Owns building messages (``message``), the crash-safe send (``send``) and its journal,
delivery reports, proof copies, subscribers and their interests, unsubscribe tokens and
the unsubscribe endpoint. May import ``renkei.core``, ``renkei.newsletter`` (what is
sent), ``transforms`` and ``warehouse``.
"""
