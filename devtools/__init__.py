"""Developer tools: the sandbox provider, the offline demo and a throwaway redis-server.

Installed by the local and test settings only, never by production; no production module
imports it (a test holds both to that).
"""
