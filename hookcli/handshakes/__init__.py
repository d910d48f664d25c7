"""Endpoint-verification handshakes: the requests a provider sends to check a URL before
its first event, and the answers its docs require. `names` says which handshakes there
are, `recognise` finds one in a request by its shape, `checks` holds the few signature
checks the signing registry has no scheme for, and `answer` makes the reply. Pure: no
I/O, no server; `listen` (server/answering.py) uses them."""
