"""Types guest: echo functions over every WIT value kind (emu:types/api), for WAVE tests."""

from typing import Any, TypeVar

from componentize_py_types import Err, Result, Some
from wit_world import exports
from wit_world.exports.api import (
    Color,
    Command,
    MyRecord,
    Permissions,
    Point,
    Shape,
    Shape_Circle,
    Shape_Empty,
    Shape_Rectangle,
    Temperature,
)

T = TypeVar("T")


def _unwrap(r: Result[T, Any]) -> T:
    # A result argument arrives as Ok(..) or Err(..); an export reports its error case by raising Err.
    if isinstance(r, Err):
        raise r
    return r.value


def _shape_text(s: Shape) -> str:
    if isinstance(s, Shape_Circle):
        return f"circle({s.value})"
    if isinstance(s, Shape_Rectangle):
        return f"rectangle({s.value.x},{s.value.y})"
    if isinstance(s, Shape_Empty):
        return "empty"
    return repr(s)


class Api(exports.Api):
    """emu:types/api."""

    def echo_record(self, r: MyRecord) -> MyRecord:
        return r

    def echo_point(self, p: Point) -> Point:
        return p

    def echo_enum(self, c: Color) -> Color:
        return c

    def echo_flags(self, p: Permissions) -> Permissions:
        return p

    def echo_variant(self, s: Shape) -> Shape:
        return s

    def echo_command(self, c: Command) -> Command:
        return c

    def echo_temperature(self, t: Temperature) -> Temperature:
        return t

    def echo_option(self, o: int | None) -> int | None:
        return o

    def echo_nested_option(self, o: Some[str | None] | None) -> Some[str | None] | None:
        return o

    def echo_result(self, r: Result[int, str]) -> int:
        return _unwrap(r)

    def echo_result_unit(self, r: Result[None, None]) -> None:
        return _unwrap(r)

    def echo_result_ok_only(self, r: Result[str, None]) -> str:
        return _unwrap(r)

    def echo_result_err_only(self, r: Result[None, str]) -> None:
        return _unwrap(r)

    def echo_list(self, l: list[int]) -> list[int]:  # noqa: E741 - the parameter name comes from the WIT
        return l

    def echo_bytes(self, b: bytes) -> bytes:
        return b

    def echo_list_of_records(self, l: list[Point]) -> list[Point]:  # noqa: E741
        return l

    def echo_tuple(self, t: tuple[int, str, bool]) -> tuple[int, str, bool]:
        return t

    def echo_string(self, s: str) -> str:
        return s

    def echo_char(self, c: str) -> str:
        return c

    def echo_bool(self, b: bool) -> bool:
        return b

    def echo_ints(
        self, a: int, b: int, c: int, d: int, e: int, f: int, g: int, h: int
    ) -> tuple[int, int, int, int, int, int, int, int]:
        return (a, b, c, d, e, f, g, h)

    def echo_floats(self, a: float, b: float) -> tuple[float, float]:
        return (a, b)

    def describe(self, r: MyRecord, c: Color, p: Permissions, s: Shape) -> str:
        """One line naming every argument, e.g. `box:3 red read|write circle(1.5)`."""
        flags = "|".join(str(f.name).lower() for f in Permissions if f in p) or "none"
        return f"{r.name}:{r.count} {c.name.lower()} {flags} {_shape_text(s)}"

    def make_points(self, n: int) -> list[Point]:
        return [Point(x=i, y=i) for i in range(n)]

    def unit(self, s: str) -> None:
        print(s)
