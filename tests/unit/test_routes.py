"""Routes: which targets a capture is forwarded to, and how bad route input is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookcli.delivery.routes import Route, Routes, load_routes, parse_route
from hookcli.errors import ExitCode, UsageError

A = "http://localhost:3000/billing"
B = "http://localhost:4000"
D = "http://localhost:9999/default"


def test_parse_route_splits_at_the_first_equals_sign() -> None:
    assert parse_route("invoice.*=http://h:1/x?a=b") == Route("invoice.*", ("http://h:1/x?a=b",))


@pytest.mark.parametrize("text", ["invoice.*", "=http://h", "invoice.*=", " =http://h"])
def test_parse_route_without_glob_or_url_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--route: expected GLOB=URL"):
        parse_route(text)


def test_parse_route_with_a_non_http_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not an http\\(s\\) URL") as e:
        parse_route("invoice.*=ftp://h/x")
    assert e.value.code == ExitCode.USAGE


def test_first_matching_route_wins_in_order() -> None:
    routes = Routes([Route("invoice.*", (A,)), Route("invoice.paid", (B,))], [D])
    assert routes.for_event("invoice.paid") == (A,)
    assert routes.for_event("invoice.created") == (A,)


def test_unmatched_and_untyped_captures_go_to_forward_to() -> None:
    routes = Routes([Route("*", (A,))], [D])
    assert routes.for_event("customer.created") == (A,)
    assert routes.for_event(None) == (D,)  # as `ls --event`: no event type, no match


def test_globs_are_case_sensitive() -> None:
    routes = Routes([Route("invoice.*", (A,))], [D])
    assert routes.for_event("Invoice.paid") == (D,)


def test_no_match_and_no_forward_to_sends_nowhere() -> None:
    routes = Routes([Route("invoice.*", (A,))], [])
    assert routes.for_event("charge.succeeded") == ()


def test_routes_with_the_same_glob_merge_their_targets() -> None:
    routes = Routes([Route("invoice.*", (A,)), Route("invoice.*", (B, A))], [])
    assert routes.for_event("invoice.paid") == (A, B)
    assert len(routes.routes) == 1


def test_targets_lists_every_base_once_in_order() -> None:
    routes = Routes([Route("a.*", (A, D)), Route("b.*", (B,))], [D, D])
    assert routes.targets == (D, A, B)
    assert routes.default == (D,)


def test_empty_routes_are_false() -> None:
    assert not Routes([], [])
    assert Routes([], [D])


def test_the_memo_of_event_types_is_bounded() -> None:
    routes = Routes([Route("e.1*", (A,))], [D])
    for n in range(5000):
        routes.for_event(f"e.{n}")
    assert len(routes._memo) <= 1024
    assert routes.for_event("e.4999") == (D,)
    assert routes.for_event("e.1999") == (A,)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routes.toml"
    path.write_text(text)
    return path


def test_routes_file_keeps_file_order_and_takes_one_or_many_targets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[[route]]\nevent = "invoice.*"\nto = "{A}"\n\n'
        f'[[route]]\nevent = "customer.*"\nto = ["{B}", "{D}"]\n',
    )
    assert load_routes(path) == [Route("invoice.*", (A,)), Route("customer.*", (B, D))]


def test_routes_file_that_does_not_parse_names_file_and_position(tmp_path: Path) -> None:
    path = write(tmp_path, '[[route]]\nevent = "invoice.*"\nto "http://x"\n')
    with pytest.raises(UsageError) as e:
        load_routes(path)
    assert e.value.message.startswith(f"--routes {path}: line 3, column 4: ")
    assert "\n" not in e.value.message
    assert e.value.code == ExitCode.USAGE


def test_missing_routes_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot read .*nope\.toml: No such file"):
        load_routes(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('[route]\nevent = "a"\nto = "http://x"\n', "array of tables"),
        ("routes = []\n", "unknown key 'routes'"),
        ('[[route]]\nto = "http://x"\n', "route 1: event must be a glob"),
        ('[[route]]\nevent = "a"\n', "route 1: to must be a URL or a list"),
        ('[[route]]\nevent = "a"\nto = []\n', "route 1: to must be a URL or a list"),
        (
            '[[route]]\nevent = "a"\nto = "http://x"\n[[route]]\nevent = "b"\nto = "x"\n',
            "route 2: to: 'x' is not an http",
        ),
        ('[[route]]\nevent = "a"\nto = "http://x"\nmethod = "GET"\n', "unknown key 'method'"),
    ],
)
def test_routes_file_of_the_wrong_shape_says_which_route(
    tmp_path: Path, text: str, why: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as e:
        load_routes(path)
    assert why in e.value.message
    assert str(path) in e.value.message
