"""Stage: the period's activities → a reviewed, approved bulletin (HTML + text).

Owns selecting and sorting items into sections (``compose``), rendering with Jinja2 + MJML
(``render``), the stored draft (``draft``), the secretariat's edits (``editing``), review
pages (``review``, ``preview``) and the approval gate bound to the content hash
(``approval``). May import ``renkei.core``, ``transforms``, ``warehouse`` and the
``newsletter_templates``; no other stage (delivery and dataset read this one).
"""
