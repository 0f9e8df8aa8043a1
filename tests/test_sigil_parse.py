import math

import pytest

from dreams.sigils import (
    MAX_COMMANDS,
    MAX_SOURCE_BYTES,
    SigilCommandError,
    SigilSyntaxError,
    commands_to_code,
    generate_sigil,
    parse_sigil,
    validate_commands,
)

EXAMPLE = """\
// a sigil
ctx.beginPath();
ctx.moveTo(50, 10);
ctx.lineTo(50 + 20, 90 - 5 * 2);
ctx.arc(50, 50, 30, 0, Math.PI * 2);
ctx.quadraticCurveTo(20, 20, 40, 60);
ctx.bezierCurveTo(1, 2, 3, 4, 5, 6);
/* block comment */
ctx.closePath();
ctx.stroke();
ctx.fill();
"""


def test_example_with_comments_arithmetic_and_math_pi_parses_to_normalized_commands():
    assert parse_sigil(EXAMPLE) == [
        ["beginPath"],
        ["moveTo", 50.0, 10.0],
        ["lineTo", 70.0, 80.0],
        ["arc", 50.0, 50.0, 30.0, 0.0, 6.2832, False],
        ["quadraticCurveTo", 20.0, 20.0, 40.0, 60.0],
        ["bezierCurveTo", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        ["closePath"],
        ["stroke"],
        ["fill"],
    ]


def test_statements_may_be_separated_by_line_breaks_alone():
    source = "ctx.moveTo(1, 2)\nctx.lineTo(3, 4)\r\nctx.stroke()"
    assert parse_sigil(source) == [["moveTo", 1.0, 2.0], ["lineTo", 3.0, 4.0], ["stroke"]]


def test_several_statements_on_one_line_need_semicolons():
    assert parse_sigil("ctx.moveTo(1, 2); ctx.lineTo(3, 4);;") == [
        ["moveTo", 1.0, 2.0],
        ["lineTo", 3.0, 4.0],
    ]


def test_arithmetic_follows_precedence_unary_signs_and_parentheses():
    [[_, x, y]] = parse_sigil("ctx.moveTo(-(2 + 3) * 4 / -2 + +1, .5e1 - -1e-1)")
    assert (x, y) == (11.0, 5.1)


def test_numbers_are_rounded_to_four_decimals_without_negative_zero():
    [[_, x, y]] = parse_sigil("ctx.moveTo(Math.PI, -0.00001)")
    assert x == 3.1416
    assert y == 0.0
    assert math.copysign(1.0, y) == 1.0


def test_arc_direction_defaults_to_clockwise_and_accepts_true_or_false():
    commands = parse_sigil(
        "ctx.arc(1, 2, 3, 0, 1)\nctx.arc(1, 2, 3, 0, 1, true)\nctx.arc(1, 2, 3, 0, 1, false)"
    )
    assert [command[-1] for command in commands] == [False, True, False]


def test_syntax_error_is_a_value_error_with_position_and_readable_text():
    with pytest.raises(SigilSyntaxError) as caught:
        parse_sigil("ctx.beginPath();\nctx.moveTo(10, 10);\nctx.lineTo(10, 20 3);")
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.line, error.column) == (3, 19)
    assert error.message.startswith("expected ')' after arguments of lineTo")
    assert str(error) == f"line 3, column 19: {error.message}"


@pytest.mark.parametrize(
    ("source", "line", "column", "fragment"),
    [
        ("ctx.canvas.width", 1, 5, "property access 'ctx.canvas'"),
        ("ctx.moveTo(ctx.canvas, 1)", 1, 12, "identifier 'ctx' is not allowed"),
        ("ctx.moveTo(Math.sin(1), 2)", 1, 17, "only Math.PI is allowed, found Math.sin"),
        ("ctx.moveTo(Math.PI.x, 2)", 1, 19, "Math.PI cannot be followed by '.'"),
        ("window.x", 1, 1, "identifier 'window' is not allowed"),
        ("eval(1)", 1, 1, "identifier 'eval' is not allowed"),
        ("ctx.fillRect(0, 0, 10, 10)", 1, 5, "unknown method 'ctx.fillRect'"),
        ("ctx.lineWidth = 2", 1, 15, "assignment is not allowed"),
        ("ctx.moveTo = 1", 1, 12, "assignment is not allowed"),
        ("ctx.moveTo('a', 2)", 1, 12, "strings are not allowed"),
        ('ctx.moveTo("a", 2)', 1, 12, "strings are not allowed"),
        ("ctx.moveTo(`${1}`, 2)", 1, 12, "template literals are not allowed"),
        ("ctx.moveTo(x, 2)", 1, 12, "identifier 'x' is not allowed"),
        ("ctx.moveTo(1e400, 2)", 1, 12, "number 1e400 is too large"),
        ("ctx.moveTo(1 / 0, 2)", 1, 14, "division by zero"),
        ("ctx.moveTo(1e300 * 1e300, 2)", 1, 18, "arithmetic overflow"),
        ("ctx.moveTo(5000, 2)", 1, 12, "outside the allowed range [-1000, 1100]"),
        ("ctx.lineTo(1, -1000.5)", 1, 15, "y of lineTo is -1000.5"),
        ("ctx.arc(50, 50, -5, 0, 1)", 1, 17, "radius of arc must not be negative"),
        ("ctx.arc(50, 50, 5, 0, 2000)", 1, 23, "endAngle of arc is 2000"),
        ("ctx.lineTo(1)", 1, 13, "too few arguments for lineTo: expected 2"),
        ("ctx.lineTo(1, 2, 3)", 1, 18, "too many arguments for lineTo"),
        ("ctx.stroke(1)", 1, 12, "too many arguments for stroke"),
        ("ctx.arc(1, 2, 3, 4)", 1, 19, "too few arguments for arc: expected 5 or 6"),
        ("ctx.arc(1, 2, 3, 4, 5, 1)", 1, 24, "expected true or false"),
        ("ctx.moveTo(true, 2)", 1, 12, "only allowed as the counterclockwise argument"),
        ("ctx.moveTo(010, 2)", 1, 12, "leading zeros"),
        ("ctx.moveTo(0x10, 2)", 1, 12, "invalid number literal"),
        ("ctx.moveTo(1, 2) ctx.lineTo(3, 4)", 1, 18, "expected ';' or a line break"),
        ("ctx.moveTo(1, 2).x", 1, 17, "expected ';' or a line break"),
        ("ctx.stroke", 1, 11, "expected '(' after ctx.stroke"),
        ("ctx.moveTo(1, 2)\n  /* never closed", 2, 3, "unterminated block comment"),
        ("ctx.moveTo(1, 2)\n/* two\nlines */ ctx.foo()", 3, 14, "unknown method 'ctx.foo'"),
        ("ctx.moveTo(" + "(" * 40 + "1" + ")" * 40 + ", 2)", 1, 44, "nested too deeply"),
    ],
)
def test_rejected_source_names_line_and_column(source, line, column, fragment):
    with pytest.raises(SigilSyntaxError) as caught:
        parse_sigil(source)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert fragment in caught.value.message


def test_first_error_in_reading_order_is_reported():
    with pytest.raises(SigilSyntaxError) as caught:
        parse_sigil("ctx.foo()\nctx.moveTo('late', 1)")
    assert caught.value.line == 1


def test_source_over_20_kb_is_rejected_and_one_at_the_limit_is_not():
    at_limit = "//" + "x" * (MAX_SOURCE_BYTES - 2)
    assert parse_sigil(at_limit) == []
    with pytest.raises(SigilSyntaxError) as caught:
        parse_sigil(at_limit + "x")
    assert (caught.value.line, caught.value.column) == (1, 1)
    assert f"at most {MAX_SOURCE_BYTES}" in caught.value.message


def test_source_size_counts_utf8_bytes_not_characters():
    with pytest.raises(SigilSyntaxError, match="bytes"):
        parse_sigil("//" + "é" * (MAX_SOURCE_BYTES // 2))


def test_more_than_500_commands_are_rejected_at_the_first_extra_one():
    assert len(parse_sigil("ctx.stroke()\n" * MAX_COMMANDS)) == MAX_COMMANDS
    with pytest.raises(SigilSyntaxError) as caught:
        parse_sigil("ctx.stroke()\n" * (MAX_COMMANDS + 1))
    assert (caught.value.line, caught.value.column) == (MAX_COMMANDS + 1, 1)
    assert "too many commands" in caught.value.message


def test_commands_to_code_round_trips_through_the_parser():
    commands = [
        *parse_sigil(EXAMPLE),
        ["moveTo", -999.9999, 1099.0001],
        ["arc", 0.0005, -0.0005, 1100.0, -1000.0, 999.9999, True],
    ]
    code = commands_to_code(commands)
    assert parse_sigil(code) == commands
    assert code.splitlines()[0] == "ctx.beginPath();"
    assert "ctx.arc(50, 50, 30, 0, 6.2832, false);" in code.splitlines()


def test_commands_to_code_round_trips_generated_sigils():
    for seed in range(50):
        commands = generate_sigil(seed).commands
        assert parse_sigil(commands_to_code(commands)) == commands


def test_validate_commands_normalizes_integers_and_rounding():
    assert validate_commands([["moveTo", 1, 2.123456], ("arc", 1, 2, 3, 0, 1, True)]) == [
        ["moveTo", 1.0, 2.1235],
        ["arc", 1.0, 2.0, 3.0, 0.0, 1.0, True],
    ]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"moveTo": [1, 2]}, "must be a list"),
        ("ctx.stroke()", "must be a list"),
        ([[]], "non-empty list"),
        (["stroke"], "non-empty list"),
        ([["eval", 1]], "unknown name 'eval'"),
        ([[1, 2]], "unknown name 1"),
        ([["moveTo", 1]], "needs 2 arguments, found 1"),
        ([["stroke", 1]], "needs 0 arguments, found 1"),
        ([["arc", 1, 2, 3, 4, 5]], "needs 6 arguments"),
        ([["moveTo", True, 2]], "x must be a number"),
        ([["moveTo", "1", 2]], "x must be a number"),
        ([["moveTo", 1, math.nan]], "y must be finite"),
        ([["moveTo", math.inf, 1]], "x must be finite"),
        ([["lineTo", 1, 5000]], "outside the allowed range"),
        ([["arc", 1, 2, -3, 0, 1, False]], "must not be negative"),
        ([["arc", 1, 2, 3, 0, 1, 1]], "counterclockwise must be a boolean"),
        ([["stroke"]] * (MAX_COMMANDS + 1), "too many commands"),
    ],
)
def test_validate_commands_rejects_shapes_off_the_contract(data, fragment):
    with pytest.raises(SigilCommandError) as caught:
        validate_commands(data)
    assert isinstance(caught.value, ValueError)
    assert fragment in str(caught.value)
