"""`golem-emu serve`: a local server that keeps workers instantiated between invocations.

pool.py keeps the warm workers and runs their invocations; http.py serves them on 127.0.0.1 (an API shaped
like Golem's worker service where that costs little); client.py is what the CLI uses to find and call it.
"""
