"""Tokenizer for WAVE text, plus string/char escape decoding and encoding."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from emulator.wave.types import WaveError


class Token(NamedTuple):
    kind: str  # one of "{}()[]:," , "number", "label", "char", "string", "mstring", "eof"
    text: str
    pos: int


_SKIP = re.compile(r"(?:[ \t\n\r]+|//[^\n]*)+")
_NUMBER = re.compile(r"-inf|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
# Broader than a WAVE label so that malformed labels get a precise error.
_WORDISH = re.compile(r"%?[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_LABEL = re.compile(r"%?(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)(?:-(?:[a-z0-9]+|[A-Z0-9]+))*")
_CHAR = re.compile(r"'(?:[^\\'\n]|\\[^\n])*'")
_STRING = re.compile(r'"(?:[^\\"\n]|\\[^\n])*"')
_PUNCT = frozenset("{}()[]:,")


def position(text: str, pos: int) -> tuple[int, int]:
    """1-based (line, column) of offset ``pos`` in ``text``."""
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def error_at(text: str, pos: int, reason: str) -> WaveError:
    line, column = position(text, pos)
    return WaveError(reason, line=line, column=column, multiline="\n" in text.strip())


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos, n = 0, len(text)
    while True:
        m = _SKIP.match(text, pos)
        if m:
            pos = m.end()
        if pos >= n:
            tokens.append(Token("eof", "", pos))
            return tokens
        ch = text[pos]
        if ch in _PUNCT:
            tokens.append(Token(ch, ch, pos))
            pos += 1
            continue
        if ch == '"' and text.startswith('"""', pos):
            end = text.find('"""', pos + 3)
            if end < 0:
                raise error_at(text, pos, 'unterminated multiline string (missing closing """)')
            tokens.append(Token("mstring", text[pos:end + 3], pos))
            pos = end + 3
            continue
        for kind, rx in (("number", _NUMBER), ("label", _WORDISH), ("char", _CHAR), ("string", _STRING)):
            m = rx.match(text, pos)
            if m:
                if kind == "label" and not _LABEL.fullmatch(m.group()):
                    raise error_at(text, pos, f"invalid label `{m.group()}`: labels are kebab-case words, "
                                   "each all-lowercase or all-uppercase, starting with a letter")
                tokens.append(Token(kind, m.group(), pos))
                pos = m.end()
                break
        else:
            if ch == '"':
                raise error_at(text, pos, "unterminated string (strings cannot contain raw newlines)")
            if ch == "'":
                raise error_at(text, pos, "unterminated or invalid char literal")
            raise error_at(text, pos, f"unexpected character {ch!r}")


_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "t": "\t", "n": "\n", "r": "\r"}
_UNICODE_ESCAPE = re.compile(r"u\{([0-9a-fA-F]{1,6})\}")


def unescape(text: str, body: str, body_pos: int) -> str:
    """Decode escapes in ``body`` (which starts at offset ``body_pos`` of ``text``)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while True:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            return "".join(out)
        out.append(body[i:j])
        nxt = body[j + 1:j + 2]
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            i = j + 2
            continue
        m = _UNICODE_ESCAPE.match(body, j + 1)
        if m is None:
            raise error_at(text, body_pos + j, f"invalid escape `\\{nxt}` (valid: \\\\ \\' \\\" \\t \\n \\r "
                           "\\u{hex})")
        code = int(m.group(1), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise error_at(text, body_pos + j, f"escape `\\{m.group()}` is not a Unicode scalar value")
        out.append(chr(code))
        i = m.end()


def decode_char(text: str, tok: Token) -> str:
    value = unescape(text, tok.text[1:-1], tok.pos + 1)
    if len(value) != 1:
        raise error_at(text, tok.pos, f"a char literal must contain exactly one character, got {tok.text}")
    return value


def decode_string(text: str, tok: Token) -> str:
    if tok.kind == "string":
        return unescape(text, tok.text[1:-1], tok.pos + 1)
    inner = tok.text[3:-3]
    start = tok.pos + 3
    if inner.startswith("\r"):
        inner, start = inner[1:], start + 1
    lines = inner.split("\n")
    if len(lines) < 2 or lines[0] != "":
        raise error_at(text, tok.pos, 'opening """ must be followed immediately by a newline')
    indent = lines[-1]
    if indent.strip(" "):
        raise error_at(text, tok.pos + len(tok.text) - 3,
                       'closing """ must be on a line preceded only by spaces')
    out: list[str] = []
    line_pos = start + 1
    for line in lines[1:-1]:
        if not line.startswith(indent):
            raise error_at(text, line_pos, 'lines must be indented at least as much as the closing """')
        body = line[len(indent):]
        if body.endswith("\r"):
            body = body[:-1]
        out.append(unescape(text, body, line_pos + len(indent)))
        line_pos += len(line) + 1
    return "\n".join(out)


_ESCAPE_OUT = {"\\": "\\\\", '"': '\\"', "'": "\\'", "\t": "\\t", "\r": "\\r", "\n": "\\n"}
_RAW_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me"})


def escape_char(ch: str) -> str:
    """Canonical WAVE spelling of one character inside a string or char literal.

    Like wasm-wave's writer: ``\\ " ' \\t \\r \\n`` use short escapes; control, format, unassigned,
    non-space separator and combining characters use ``\\u{hex}``; everything else is literal.
    """
    esc = _ESCAPE_OUT.get(ch)
    if esc is not None:
        return esc
    if ch == " " or (ch.isascii() and ch.isprintable()):
        return ch
    cat = unicodedata.category(ch)
    if cat in _RAW_CATEGORIES or cat == "Zs":
        return f"\\u{{{ord(ch):x}}}"
    return ch


def quote_string(s: str) -> str:
    return '"' + "".join(escape_char(c) for c in s) + '"'


def quote_char(c: str) -> str:
    return "'" + escape_char(c) + "'"
