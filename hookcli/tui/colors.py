"""render/colors.py's roles as the styles Textual draws: the TUI's one place for colours
of things ls, show and the live lines colour too (Textual's NO_COLOR filter greys them).
The TUI's own chrome (cursor, panels, dialog borders) stays with the theme (hookcli.tcss)."""

from __future__ import annotations

from functools import cache

from rich.style import Style

from hookcli.render.colors import signature_role, style


@cache
def role_style(role: str) -> Style:
    """ROLE's style (render/colors.ROLES) as a rich Style, for Segments and Strips."""
    return Style.parse(style(role)) if style(role) else Style()


def signature_style(state: str | None) -> Style:
    """The style of a signature state, as `ls` colours it."""
    return role_style(signature_role(state))


def text_style(role: str, bold: bool = False) -> str:
    """ROLE's style as the string rich's Text takes, made bold with BOLD."""
    name = style(role)
    return f"bold {name}".strip() if bold else name
