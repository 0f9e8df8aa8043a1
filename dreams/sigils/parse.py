"""Parse sigil source code (a tiny subset of the canvas 2D API) into normalized commands.

The source is never evaluated: a hand-written tokenizer and recursive-descent parser
accept exactly

    statement  := "ctx" "." METHOD "(" [argument {"," argument}] ")"
    program    := {statement} with statements separated by ";" and/or line breaks
    argument   := expression | "true" | "false"     (true/false only as arc's ccw)
    expression := term {("+" | "-") term}
    term       := unary {("*" | "/") unary}
    unary      := ("+" | "-") unary | NUMBER | "Math" "." "PI" | "(" expression ")"

plus ``//`` and ``/* */`` comments, folding the arithmetic into numbers as it goes.
Anything else raises ``SigilSyntaxError`` pointing at the offending line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from enum import Enum
from typing import NamedTuple

from dreams.sigils.commands import (
    COMMAND_SPECS,
    MAX_COMMANDS,
    check_number,
    normalize_number,
)

__all__ = [
    "MAX_COMMANDS",
    "MAX_NESTING",
    "MAX_SOURCE_BYTES",
    "SigilSyntaxError",
    "parse_sigil",
]

MAX_SOURCE_BYTES = 20 * 1024
# Parentheses and unary signs recurse; a small bound keeps hostile input far from
# Python's recursion limit while leaving room for any sane expression.
MAX_NESTING = 32

# One pattern for every token, each with the whitespace before it, so that finditer walks
# the whole source; "other" catches any character nothing else accepts. JavaScript's
# line terminators are \n, \r, \r\n, U+2028 and U+2029; "\r\n" counts as one break so
# line numbers match what editors show.
_TOKEN = re.compile(
    r"""
    [^\S\n\r\u2028\u2029]*
    (?:(?P<newline>\r\n|[\n\r\u2028\u2029])
    |(?P<comment>//[^\n\r\u2028\u2029]*|/\*.*?\*/)
    |(?P<open_comment>/\*)
    |(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    |(?P<identifier>[A-Za-z_$][A-Za-z0-9_$]*)
    |(?P<punctuation>[().,;+\-*/])
    |(?P<other>.)
    )?""",
    re.VERBOSE | re.DOTALL,
)
_BREAKS = re.compile(r"\r\n|[\n\r\u2028\u2029]")


class SigilSyntaxError(ValueError):
    """Invalid sigil source, with a 1-based position."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class Kind(Enum):
    NUMBER = "number"
    IDENTIFIER = "identifier"
    PUNCTUATION = "punctuation"
    END = "end of input"


_KINDS = {"number": Kind.NUMBER, "identifier": Kind.IDENTIFIER, "punctuation": Kind.PUNCTUATION}


class Token(NamedTuple):
    kind: Kind
    text: str
    line: int
    column: int
    # A line break (or a comment containing one) precedes the token: it may end a statement.
    after_line_break: bool

    def describe(self) -> str:
        if self.kind is Kind.END:
            return "end of input"
        if self.kind is Kind.PUNCTUATION:
            return f"'{self.text}'"
        return f"{self.kind.value} '{self.text}'"


def _error(message: str, line: int, column: int) -> SigilSyntaxError:
    return SigilSyntaxError(message, line, column)


def tokenize(source: str) -> Iterator[Token]:
    """Yield tokens lazily, dropping whitespace and comments, ending with an END token.

    Lazy so that the first error in reading order is the one reported.
    """
    line = 1
    line_start = 0
    line_break = False
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind is None:  # trailing whitespace
            continue
        pos = match.start(kind)
        if kind == "newline":
            line += 1
            line_start = match.end()
            line_break = True
            continue
        if kind == "comment":
            # A block comment spanning lines counts as a line break, as in JavaScript.
            for line_end in _BREAKS.finditer(source, pos, match.end()):
                line += 1
                line_start = line_end.end()
                line_break = True
            continue
        column = pos - line_start + 1
        text = match.group(kind)
        if kind == "other":
            raise _error(_describe_bad_character(text), line, column)
        if kind == "open_comment":
            raise _error("unterminated block comment: expected '*/'", line, column)
        if kind == "number":
            following = source[match.end() : match.end() + 1]
            if following and (following.isalnum() or following in "_$."):
                raise _error(
                    f"invalid number literal starting '{text}{following}': only decimal "
                    "numbers like 12, 0.5, .5 or 1e2 are allowed",
                    line,
                    column,
                )
            if len(text) > 1 and text[0] == "0" and text[1].isdigit():
                raise _error(
                    f"invalid number literal '{text}': leading zeros are not allowed",
                    line,
                    column,
                )
        yield Token(_KINDS[kind], text, line, column, line_break)
        line_break = False
    yield Token(Kind.END, "", line, len(source) - line_start + 1, True)


def _describe_bad_character(char: str) -> str:
    if char in "'\"":
        return "strings are not allowed: arguments must be numbers"
    if char == "`":
        return "template literals are not allowed: arguments must be numbers"
    if char == "=":
        return "assignment is not allowed: only ctx.<method>(...) calls are"
    if char in "[]{}":
        return f"unexpected '{char}': only ctx.<method>(...) calls are allowed"
    return f"unexpected character {char!r}"


class Parser:
    def __init__(self, tokens: Iterator[Token]) -> None:
        self.tokens = tokens
        self.current = next(tokens)

    def advance(self) -> Token:
        token = self.current
        if token.kind is not Kind.END:
            self.current = next(self.tokens)
        return token

    def at(self, text: str) -> bool:
        # Only punctuation tokens can have punctuation as their text.
        return self.current.text == text

    def fail(self, message: str, token: Token | None = None) -> SigilSyntaxError:
        token = token or self.current
        return _error(message, token.line, token.column)

    def expect(self, text: str, context: str) -> Token:
        if not self.at(text):
            raise self.fail(f"expected '{text}' {context}, found {self.current.describe()}")
        return self.advance()

    def parse_program(self) -> list[list]:
        commands: list[list] = []
        while True:
            while self.at(";"):
                self.advance()
            if self.current.kind is Kind.END:
                return commands
            if len(commands) == MAX_COMMANDS:
                raise self.fail(f"too many commands: at most {MAX_COMMANDS} are allowed")
            commands.append(self.parse_statement())
            token = self.current
            if not (self.at(";") or token.after_line_break):
                raise self.fail(
                    f"expected ';' or a line break after a statement, found {token.describe()}"
                )

    def parse_statement(self) -> list:
        token = self.current
        if token.kind is not Kind.IDENTIFIER:
            raise self.fail(f"expected a statement 'ctx.<method>(...)', found {token.describe()}")
        if token.text != "ctx":
            raise self.fail(
                f"identifier '{token.text}' is not allowed: statements must be "
                "ctx.<method>(...) calls"
            )
        self.advance()
        self.expect(".", "after 'ctx'")
        name_token = self.current
        if name_token.kind is not Kind.IDENTIFIER:
            raise self.fail(f"expected a method name after 'ctx.', found {name_token.describe()}")
        self.advance()
        name = name_token.text
        if name not in COMMAND_SPECS:
            if self.at("."):
                raise self.fail(
                    f"property access 'ctx.{name}' is not allowed: only ctx.<method>(...) "
                    "calls are",
                    name_token,
                )
            allowed = ", ".join(COMMAND_SPECS)
            raise self.fail(f"unknown method 'ctx.{name}': allowed are {allowed}", name_token)
        self.expect("(", f"after ctx.{name}")
        return [name, *self.parse_arguments(name)]

    def parse_arguments(self, name: str) -> list:
        spec = COMMAND_SPECS[name]
        # arc's counterclockwise flag is optional, as in the canvas API.
        optional = 1 if name == "arc" else 0
        arity = len(spec)
        values: list = []
        # A trailing comma before ')' is accepted, as JavaScript does.
        while not self.at(")"):
            if len(values) == arity:
                raise self.fail(f"too many arguments for {name}: expected {_count(spec, optional)}")
            arg_name, kind = spec[len(values)]
            start = self.current
            if kind == "flag":
                values.append(self.parse_flag(name))
            else:
                value = self.parse_expression(name, 0)
                problem = check_number(value, kind, arg_name, name)
                if problem is not None:
                    raise self.fail(problem, start)
                values.append(normalize_number(value))
            if self.at(","):
                self.advance()
            elif len(values) == arity and not self.at(")"):
                raise self.fail(
                    f"expected ')' after arguments of {name}, found {self.current.describe()}"
                )
            elif not self.at(")"):
                raise self.fail(
                    f"expected ',' or ')' after argument {len(values)} of {name}, "
                    f"found {self.current.describe()}"
                )
        if len(values) < arity - optional:
            raise self.fail(
                f"too few arguments for {name}: expected {_count(spec, optional)}, "
                f"found {len(values)}"
            )
        self.advance()
        if optional and len(values) < arity:
            values.append(False)
        return values

    def parse_flag(self, name: str) -> bool:
        token = self.current
        if token.kind is Kind.IDENTIFIER and token.text in ("true", "false"):
            self.advance()
            return token.text == "true"
        raise self.fail(
            f"expected true or false as the counterclockwise argument of {name}, "
            f"found {token.describe()}"
        )

    def parse_expression(self, name: str, depth: int) -> float:
        value = self.parse_term(name, depth)
        while self.at("+") or self.at("-"):
            operator = self.advance()
            right = self.parse_term(name, depth)
            value = value + right if operator.text == "+" else value - right
            value = self.finite(value, operator)
        return value

    def parse_term(self, name: str, depth: int) -> float:
        value = self.parse_unary(name, depth)
        while self.at("*") or self.at("/"):
            operator = self.advance()
            right = self.parse_unary(name, depth)
            if operator.text == "*":
                value = value * right
            elif right == 0:
                raise self.fail("division by zero", operator)
            else:
                value = value / right
            value = self.finite(value, operator)
        return value

    def parse_unary(self, name: str, depth: int) -> float:
        if depth >= MAX_NESTING:
            raise self.fail(f"expression nested too deeply (more than {MAX_NESTING} levels)")
        token = self.current
        if self.at("-") or self.at("+"):
            self.advance()
            value = self.parse_unary(name, depth + 1)
            return -value if token.text == "-" else value
        if self.at("("):
            self.advance()
            value = self.parse_expression(name, depth + 1)
            self.expect(")", "to close '('")
            return value
        if token.kind is Kind.NUMBER:
            self.advance()
            value = float(token.text)
            if not math.isfinite(value):
                raise self.fail(f"number {token.text} is too large", token)
            return value
        if token.kind is Kind.IDENTIFIER:
            return self.parse_math_pi(name)
        raise self.fail(f"expected a number in the arguments of {name}, found {token.describe()}")

    def parse_math_pi(self, name: str) -> float:
        token = self.advance()
        if token.text in ("true", "false"):
            raise self.fail(
                f"'{token.text}' is only allowed as the counterclockwise argument of arc",
                token,
            )
        if token.text != "Math":
            raise self.fail(
                f"identifier '{token.text}' is not allowed: arguments may only use numbers, "
                "Math.PI, + - * / and parentheses",
                token,
            )
        self.expect(".", "after 'Math'")
        member = self.current
        if member.kind is not Kind.IDENTIFIER or member.text != "PI":
            shown = member.text if member.kind is Kind.IDENTIFIER else member.describe()
            raise self.fail(f"only Math.PI is allowed, found Math.{shown}", member)
        self.advance()
        if self.at(".") or self.at("("):
            raise self.fail(f"Math.PI cannot be followed by '{self.current.text}'")
        return math.pi

    def finite(self, value: float, operator: Token) -> float:
        if not math.isfinite(value):
            raise self.fail(f"arithmetic overflow at '{operator.text}'", operator)
        return value


def _count(spec: tuple[tuple[str, str], ...], optional: int) -> str:
    names = [arg_name for arg_name, _ in spec]
    if optional:
        return f"{len(spec) - optional} or {len(spec)} ({', '.join(names)})"
    return f"{len(spec)} ({', '.join(names)})" if spec else "0"


def parse_sigil(source: str) -> list[list]:
    """Parse canvas code into the normalized command list (see ``commands``)."""
    size = len(source.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise _error(f"source is {size} bytes, at most {MAX_SOURCE_BYTES} are allowed", 1, 1)
    return Parser(tokenize(source)).parse_program()
