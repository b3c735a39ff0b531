"""Adapters for the frameworks apps already use: import the one you need.

``semroute.integrations.langchain`` (extra ``semroute[langchain]``) and
``semroute.integrations.litellm`` (extra ``semroute[litellm]``) each translate their
framework's request into the canonical chat request (:mod:`semroute.chat.request`) and
the stored JSON back into the framework's own objects; policy lives below them. Nothing
here is imported by ``import semroute``.
"""
