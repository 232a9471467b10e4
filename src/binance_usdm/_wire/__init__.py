"""Sans-I/O core shared by the sync and async clients: no sockets, no event loop."""
