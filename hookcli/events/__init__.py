"""Built-in event templates for ``hookcli fabricate`` and the builder that signs them.

Templates are package data: ``templates/<provider>/<event>.json``. An event name that
contains ``/`` (Shopify topics such as ``orders/create``) is stored with ``__`` in its place
(``orders__create.json``). A file whose name starts with ``_`` is not listed: ``_generic.json``
is used for event names that have no template of their own, for providers where any event
name is valid (Standard Webhooks).
"""
