"""The names of Golem's virtual `golem:http/incoming-handler.{handle}` export, apart from its (heavy) host side,
so that resolving an invocation name needs no wasi:http import."""

FUNCTION_NAME = "golem:http/incoming-handler.{handle}"
HANDLER_INTERFACES = tuple(f"wasi:http/incoming-handler@0.2.{minor}" for minor in range(4))
